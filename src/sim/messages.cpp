// Platform's customer-service messages (platform.h): message/custom/send within the windows a
// user's message or action opens (an image, voice or video naming a live temporary media file of
// media.cpp), what the virtual users received, and the API host route.
#include "sim/platform.h"

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "sim/api_host.h"
#include "sim/platform_fields.h"
#include "sim/wx_error.h"

namespace qrscene::sim {

Result<Json> Platform::custom_send(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (!body.is_object()) return wx_error(47001);
  const std::string msgtype = string_member(body, "msgtype");
  static constexpr std::array<std::string_view, 11> kTypes{"text", "image", "voice", "video", "music", "news",
                                                           "mpnews", "mpnewsarticle", "msgmenu", "wxcard",
                                                           "miniprogrampage"};
  if (std::find(kTypes.begin(), kTypes.end(), msgtype) == kTypes.end()) return wx_error(40008, "invalid message type");
  const Json* payload = member(body, msgtype);
  if (payload == nullptr || !payload->is_object()) return wx_error(47001);
  if (msgtype == "text" && string_member(*payload, "content").empty()) return wx_error(44003, "empty content");
  if (msgtype == "news") {
    const Json* articles = member(*payload, "articles");
    if (articles == nullptr || !articles->is_array() || articles->empty() || articles->size() > 8) {
      return wx_error(45008, "article size out of limit");
    }
  }
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, string_member(body, "touser")));
  if (!u->subscribed) return wx_error(43004);
  // An image, voice or video names a live temporary file of its type (40007; expired per the
  // options). Whether WeChat looks at the media before or after the window is not documented.
  std::shared_ptr<const std::string> media;
  if (msgtype == "image" || msgtype == "voice" || msgtype == "video") {
    QRSCENE_ASSIGN_OR_RETURN(const SimMedia* m, live_media(*a, string_member(*payload, "media_id"), msgtype));
    media = m->bytes;
  }
  const std::int64_t now = clock_.unix_seconds();
  // The user's own message opens 5 (or 20) replies in 48 h; a follow, scan or click 3 in a minute.
  int* left = nullptr;
  if (now < u->message_window_until) left = &u->message_window_left;
  if ((left == nullptr || *left == 0) && now < u->event_window_until) left = &u->event_window_left;
  if (left == nullptr) return wx_error(45015);
  if (*left <= 0) return wx_error(45047);
  QRSCENE_TRY(charge(*a, "message/custom/send"));
  --*left;
  a->received.push_back(ReceivedMessage{std::string(appid), u->openid, now, body, std::move(media)});
  return ok();
}

std::vector<ReceivedMessage> Platform::received(std::string_view appid, std::string_view openid) const {
  std::lock_guard lock(mu_);
  std::vector<ReceivedMessage> out;
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) return out;
  for (const auto& m : it->second.received) {
    if (openid.empty() || m.openid == openid) out.push_back(m);
  }
  return out;
}

void add_message_routes(ApiHost& api, Platform& platform) {
  api.add("POST", "/cgi-bin/message/custom/send",
          [&platform](const std::string& appid, const net::HttpRequest&, const Json& b) { return platform.custom_send(appid, b); });
}

}  // namespace qrscene::sim
