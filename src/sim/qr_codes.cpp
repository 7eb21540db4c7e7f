// Platform's QR codes (platform.h): qrcode/create with tickets shaped as WeChat's, the lookups of
// the image host and the control API, and the API host route.
#include "sim/platform.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/strings.h"
#include "sim/api_host.h"
#include "sim/platform_fields.h"
#include "sim/wx_error.h"

namespace qrscene::sim {
namespace {

// A ticket shaped like WeChat's (wechat-protocol.md section 2.2): 81 01, two varying bytes, the
// TLV length, seven zeros, then TLVs 1 = url (NUL-terminated), 2 = creation time, 3 = lifetime.
std::string mint_ticket(Rng& rng, const std::string& url, std::int64_t created, std::int64_t expire) {
  std::string tlv;
  tlv += '\x01';
  tlv += static_cast<char>(url.size() + 1);
  tlv += url;
  tlv += '\0';
  auto le32 = [&tlv](char type, std::int64_t v) {
    tlv += type;
    tlv += '\x04';
    for (int i = 0; i < 4; ++i) tlv += static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFF);
  };
  le32('\x02', created);
  le32('\x03', expire);
  std::string raw;
  raw += '\x81';
  raw += '\x01';
  const auto r = rng.next();
  raw += static_cast<char>(r & 0xFF);
  raw += static_cast<char>((r >> 8) & 0xFF);
  raw += static_cast<char>(tlv.size());
  raw.append(7, '\0');
  raw += tlv;
  return encode_base64(raw);
}

}  // namespace

Result<Json> Platform::qrcode_create(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (!a->account.verified) return wx_error(48001);
  const std::string action = string_member(body, "action_name");
  const bool temporary = action == "QR_SCENE" || action == "QR_STR_SCENE";
  const bool permanent = action == "QR_LIMIT_SCENE" || action == "QR_LIMIT_STR_SCENE";
  if (!temporary && !permanent) return wx_error(40052, "invalid action name");
  const bool string_scene = action == "QR_STR_SCENE" || action == "QR_LIMIT_STR_SCENE";
  const Json* info = member(body, "action_info");
  if (info == nullptr || !info->is_object()) return wx_error(40053);

  SimTicket t;
  t.action_name = action;
  t.permanent = permanent;
  const Json* scene = member(*info, "scene");
  if (scene == nullptr) {
    // WeChat does not reject a body without the "scene" level: the code is made with scene 0.
    t.scene_id = 0;
  } else if (string_scene) {
    const Json* s = member(*scene, "scene_str");
    if (s == nullptr || !s->is_string()) return wx_error(40053);
    t.scene_str = s->get<std::string>();
    t.string_scene = true;
    if (t.scene_str.empty() || utf8_length(t.scene_str) > 64) return wx_error(40053);
  } else {
    const Json* s = member(*scene, "scene_id");
    const auto id = s == nullptr ? std::nullopt : as_int(*s);
    if (!id) return wx_error(40053);
    const std::int64_t max = permanent ? 100'000 : (options_.qr_scene_id_unsigned ? 4'294'967'295LL : 2'147'483'647LL);
    if (*id < 1 || *id > max) return wx_error(40053);
    t.scene_id = *id;
  }

  if (temporary) {
    t.expire_seconds = options_.qr_default_expire_seconds;
    if (const Json* e = member(body, "expire_seconds")) {
      const auto v = as_int(*e);
      if (!v) return wx_error(40053);
      if (*v <= 0 || *v > options_.qr_max_expire_seconds) {
        if (options_.qr_expire_out_of_range_is_error) return wx_error(40053, "invalid expire_seconds");
        t.expire_seconds = *v <= 0 ? options_.qr_default_expire_seconds : options_.qr_max_expire_seconds;
      } else {
        t.expire_seconds = *v;
      }
    }
  }

  const std::string scene_key = (t.string_scene ? "s:" : "i:") + t.scene();
  if (permanent) {
    if (auto it = a->permanent_by_scene.find(scene_key);
        it != a->permanent_by_scene.end() && options_.qr_permanent_idempotent) {
      QRSCENE_TRY(charge(*a, "qrcode/create"));
      const SimTicket& old = tickets_.at(it->second);
      return Json{{"ticket", old.ticket}, {"url", old.url}};
    }
    if (a->permanent_used >= options_.qr_permanent_quota) return wx_error(options_.qr_quota_errcode);
  }
  QRSCENE_TRY(charge(*a, "qrcode/create"));

  t.created = clock_.unix_seconds();
  do {
    t.url = "http://weixin.qq.com/q/02" + rng_.text(20, Rng::kAlnum);
  } while (ticket_by_url_.contains(t.url));
  t.ticket = mint_ticket(rng_, t.url, t.created, t.expire_seconds);
  if (permanent) {
    a->permanent_by_scene[scene_key] = t.ticket;
    ++a->permanent_used;
  }
  ticket_by_url_[t.url] = t.ticket;
  ticket_owner_[t.ticket] = std::string(appid);
  tickets_[t.ticket] = t;
  if (permanent) return Json{{"ticket", t.ticket}, {"url", t.url}};
  return Json{{"ticket", t.ticket}, {"expire_seconds", t.expire_seconds}, {"url", t.url}};
}

Result<SimTicket> Platform::ticket(std::string_view ticket) const {
  std::lock_guard lock(mu_);
  auto it = tickets_.find(ticket);
  if (it == tickets_.end()) return unexpected(ErrorCode::kNotFound, "unknown ticket");
  const SimTicket& t = it->second;
  if (!t.permanent && options_.showqrcode_expired_404 && clock_.unix_seconds() >= t.created + t.expire_seconds) {
    return unexpected(ErrorCode::kNotFound, "expired ticket");
  }
  return t;
}

std::vector<SimTicket> Platform::tickets(std::string_view appid) const {
  std::lock_guard lock(mu_);
  std::vector<SimTicket> out;
  for (const auto& [id, t] : tickets_) {
    if (ticket_owner_.at(id) == appid) out.push_back(t);
  }
  std::sort(out.begin(), out.end(), [](const SimTicket& x, const SimTicket& y) { return x.created < y.created; });
  return out;
}

void add_qr_routes(ApiHost& api, Platform& platform) {
  api.add("POST", "/cgi-bin/qrcode/create", [&platform](const std::string& appid, const net::HttpRequest&, const Json& b) {
    return platform.qrcode_create(appid, b);
  });
}

}  // namespace qrscene::sim
