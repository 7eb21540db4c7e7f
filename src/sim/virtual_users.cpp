// Platform's virtual users (platform.h): creating them, and their actions — scan, follow,
// unfollow, menu clicks and views, location, text — with the push each makes WeChat send (the XML
// of wechat-protocol.md section 6), and the follows the datacube counts.
#include "sim/platform.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "sim/platform_fields.h"
#include "wechat/reply.h"

namespace qrscene::sim {
namespace {

std::string cdata(std::string_view name, std::string_view value) {
  std::string out = fmt::format("<{}>", name);
  wechat::append_cdata(out, value);
  out += fmt::format("</{}>", name);
  return out;
}

constexpr std::array<std::string_view, 12> kSubscribeScenes{
    "ADD_SCENE_SEARCH",       "ADD_SCENE_ACCOUNT_MIGRATION", "ADD_SCENE_PROFILE_CARD", "ADD_SCENE_QR_CODE",
    "ADD_SCENE_PROFILE_LINK", "ADD_SCENE_PROFILE_ITEM",      "ADD_SCENE_PAID",         "ADD_SCENE_WECHAT_ADVERTISEMENT",
    "ADD_SCENE_REPRINT",      "ADD_SCENE_LIVESTREAM",        "ADD_SCENE_CHANNELS",     "ADD_SCENE_OTHERS"};

// datacube user_source for a subscribe scene (section 8).
int user_source_of(std::string_view scene) {
  if (scene == "ADD_SCENE_SEARCH") return 1;
  if (scene == "ADD_SCENE_PROFILE_CARD") return 17;
  if (scene == "ADD_SCENE_QR_CODE") return 30;
  if (scene == "ADD_SCENE_PROFILE_LINK") return 57;
  if (scene == "ADD_SCENE_WECHAT_ADVERTISEMENT") return 100;
  if (scene == "ADD_SCENE_REPRINT") return 161;
  if (scene == "ADD_SCENE_CHANNELS") return 200;
  if (scene == "ADD_SCENE_LIVESTREAM") return 201;
  return 0;
}

// Opens the 3-messages-a-minute window a follow, scan or menu click gives.
void open_event_window(SimUser& u, std::int64_t now) {
  u.event_window_until = now + 60;
  u.event_window_left = 3;
}

}  // namespace

std::string Platform::mint_openid(const AccountState& a) {
  // Real openids are 28 characters starting with "o"; ours too, unique across accounts.
  std::string id;
  do {
    id = "o" + rng_.text(27, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
  } while (openid_owner_.contains(id) || a.users.contains(id));
  return id;
}

Result<std::vector<SimUser>> Platform::create_users(std::string_view appid, int count, std::string openid,
                                                    bool following) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (count < 1 || count > 1'000'000) return unexpected(ErrorCode::kInvalidArgument, "count must be 1..1000000");
  if (!openid.empty() && count != 1) return unexpected(ErrorCode::kInvalidArgument, "an openid names one user: count must be 1");
  if (!openid.empty() && openid_owner_.contains(openid)) {
    return unexpected(ErrorCode::kAlreadyExists, "openid " + openid + " exists already");
  }
  std::vector<SimUser> made;
  for (int i = 0; i < count; ++i) {
    SimUser u;
    u.appid = std::string(appid);
    u.openid = openid.empty() ? mint_openid(*a) : openid;
    if (a->account.unionid) u.unionid = "o" + rng_.text(27, Rng::kAlnum);
    u.subscribed = following;
    openid_owner_[u.openid] = std::string(appid);
    a->users[u.openid] = u;
    made.push_back(std::move(u));
  }
  return made;
}

Result<SimUser> Platform::user(std::string_view appid, std::string_view openid) const {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(const AccountState* a, state(appid));
  auto it = a->users.find(openid);
  if (it == a->users.end()) return unexpected(ErrorCode::kNotFound, "no user " + std::string(openid) + " in " + std::string(appid));
  return it->second;
}

std::vector<SimUser> Platform::users(std::string_view appid) const {
  std::lock_guard lock(mu_);
  std::vector<SimUser> out;
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) return out;
  for (const auto& [id, u] : it->second.users) out.push_back(u);
  return out;
}

Action Platform::push_event(AccountState& a, SimUser& u, std::string_view event, std::string extra_xml) {
  Action act;
  act.appid = a.account.appid;
  act.openid = u.openid;
  act.event = std::string(event);
  act.create_time = clock_.unix_seconds();
  act.xml = "<xml>" + cdata("ToUserName", a.account.original_id) + cdata("FromUserName", u.openid) +
            fmt::format("<CreateTime>{}</CreateTime>", act.create_time) + cdata("MsgType", "event") +
            cdata("Event", event) + extra_xml + "</xml>";
  return act;
}

void Platform::record_follow(AccountState& a, SimUser& u, bool follow) {
  auto& day = a.days[beijing_date(clock_.unix_seconds())];
  auto& counts = day.by_source[u.user_source];
  if (follow) {
    ++counts.first;
    ++a.followers;
  } else {
    ++counts.second;
    --a.followers;
  }
  day.cumulate = a.followers;
}

Result<Action> Platform::scan(std::string_view appid, std::string_view openid, std::string_view ticket_or_url,
                              bool follow) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, openid));
  std::string key(ticket_or_url);
  if (auto by_url = ticket_by_url_.find(key); by_url != ticket_by_url_.end()) key = by_url->second;
  auto it = tickets_.find(key);
  if (it == tickets_.end()) {
    return unexpected(ErrorCode::kNotFound, "no QR code with this ticket or url: " + std::string(ticket_or_url));
  }
  const SimTicket& t = it->second;
  Action nothing;
  nothing.appid = std::string(appid);
  nothing.openid = u->openid;
  nothing.ticket = t.ticket;
  if (ticket_owner_.at(t.ticket) != appid) {
    // Another account's code: WeChat shows that account, which is not the one being simulated.
    return unexpected(ErrorCode::kInvalidArgument, "the QR code belongs to account " + ticket_owner_.at(t.ticket));
  }
  const std::int64_t now = clock_.unix_seconds();
  if (!t.permanent && now >= t.created + t.expire_seconds) {
    nothing.note = "二维码已过期";
    return nothing;
  }
  if (u->subscribed) {
    open_event_window(*u, now);
    Action act = push_event(*a, *u, "SCAN", cdata("EventKey", t.scene()) + cdata("Ticket", t.ticket));
    act.ticket = t.ticket;
    return act;
  }
  if (!follow) {
    nothing.note = "关注页面已显示，用户未关注";
    return nothing;
  }
  u->subscribed = true;
  u->subscribe_time = now;
  u->subscribe_scene = "ADD_SCENE_QR_CODE";
  u->user_source = 30;
  u->qr_scene = t.string_scene ? 0 : t.scene_id;
  u->qr_scene_str = t.string_scene ? t.scene_str : std::string();
  open_event_window(*u, now);
  record_follow(*a, *u, true);
  Action act = push_event(*a, *u, "subscribe", cdata("EventKey", "qrscene_" + t.scene()) + cdata("Ticket", t.ticket));
  act.ticket = t.ticket;
  return act;
}

Result<Action> Platform::follow(std::string_view appid, std::string_view openid, std::string_view scene) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, openid));
  const std::string_view s = scene.empty() ? "ADD_SCENE_SEARCH" : scene;
  if (std::find(kSubscribeScenes.begin(), kSubscribeScenes.end(), s) == kSubscribeScenes.end() ||
      s == "ADD_SCENE_QR_CODE") {
    return unexpected(ErrorCode::kInvalidArgument,
                      "scene must be an ADD_SCENE_… value other than ADD_SCENE_QR_CODE (scan a code for that)");
  }
  if (u->subscribed) return unexpected(ErrorCode::kFailedPrecondition, "user " + u->openid + " already follows");
  const std::int64_t now = clock_.unix_seconds();
  u->subscribed = true;
  u->subscribe_time = now;
  u->subscribe_scene = std::string(s);
  u->user_source = user_source_of(s);
  u->qr_scene = 0;
  u->qr_scene_str.clear();
  open_event_window(*u, now);
  record_follow(*a, *u, true);
  return push_event(*a, *u, "subscribe", cdata("EventKey", ""));
}

Result<Action> Platform::unfollow(std::string_view appid, std::string_view openid) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, openid));
  if (!u->subscribed) return unexpected(ErrorCode::kFailedPrecondition, "user " + u->openid + " does not follow");
  record_follow(*a, *u, false);
  u->subscribed = false;
  u->tags.clear();
  u->remark.clear();
  u->message_window_until = u->event_window_until = 0;
  return push_event(*a, *u, "unsubscribe", cdata("EventKey", ""));
}

Result<Action> Platform::click(std::string_view appid, std::string_view openid, std::string_view key) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, openid));
  if (!u->subscribed) return unexpected(ErrorCode::kFailedPrecondition, "only followers see the menu");
  open_event_window(*u, clock_.unix_seconds());
  return push_event(*a, *u, "CLICK", cdata("EventKey", key));
}

Result<Action> Platform::template_send_finished(std::string_view appid, std::string_view openid) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, openid));
  if (!u->subscribed) return unexpected(ErrorCode::kFailedPrecondition, "template messages go to followers only");
  return template_finished(*a, *u, ++next_msg_id_);
}

Action Platform::template_finished(AccountState& a, SimUser& u, std::int64_t msg_id) {
  return push_event(a, u, "TEMPLATESENDJOBFINISH", fmt::format("<MsgID>{}</MsgID>", msg_id) + cdata("Status", "success"));
}

Result<Action> Platform::view(std::string_view appid, std::string_view openid, std::string_view url) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, openid));
  if (!u->subscribed) return unexpected(ErrorCode::kFailedPrecondition, "only followers see the menu");
  return push_event(*a, *u, "VIEW", cdata("EventKey", url) + fmt::format("<MenuId>{}</MenuId>", menu_id(appid)));
}

Result<Action> Platform::location(std::string_view appid, std::string_view openid, double latitude, double longitude,
                                  double precision) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, openid));
  if (!u->subscribed) return unexpected(ErrorCode::kFailedPrecondition, "only followers report their location");
  return push_event(*a, *u, "LOCATION",
                    fmt::format("<Latitude>{:.6f}</Latitude><Longitude>{:.6f}</Longitude><Precision>{:.6f}</Precision>",
                                latitude, longitude, precision));
}

Result<Action> Platform::text(std::string_view appid, std::string_view openid, std::string_view content) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, openid));
  if (!u->subscribed) return unexpected(ErrorCode::kFailedPrecondition, "only followers can send messages");
  if (content.empty()) return unexpected(ErrorCode::kInvalidArgument, "content must not be empty");
  const std::int64_t now = clock_.unix_seconds();
  u->message_window_until = now + 48 * 3600;
  u->message_window_left = options_.kf_user_message_quota;
  Action act;
  act.appid = std::string(appid);
  act.openid = u->openid;
  act.event = "text";
  act.create_time = now;
  // MsgIds are 64-bit and large in practice: keep them above 2^53 so a double would lose them.
  const std::uint64_t msg_id = 24'000'000'000'000'000ULL + static_cast<std::uint64_t>(++next_msg_id_);
  act.xml = "<xml>" + cdata("ToUserName", a->account.original_id) + cdata("FromUserName", u->openid) +
            fmt::format("<CreateTime>{}</CreateTime>", now) + cdata("MsgType", "text") + cdata("Content", content) +
            fmt::format("<MsgId>{}</MsgId>", msg_id) + "</xml>";
  return act;
}

}  // namespace qrscene::sim
