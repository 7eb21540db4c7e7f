#include "sim/platform.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "base/encoding.h"
#include "base/strings.h"
#include "sim/wx_error.h"
#include "wechat/reply.h"

namespace qrscene::sim {
namespace {

constexpr std::int64_t kBeijingOffset = 8 * 3600;
constexpr std::int64_t kMaxTags = 100;
constexpr std::int64_t kMaxTagsPerUser = 20;
constexpr std::int64_t kMaxFansToDelete = 100'000;
constexpr std::size_t kMaxTagOpenids = 50;
constexpr std::size_t kMaxBatchget = 100;

std::int64_t beijing_day(std::int64_t t) { return (t + kBeijingOffset) / 86400; }

// "yyyy-mm-dd" → days since the epoch, or nothing.
std::optional<std::int64_t> parse_date(const Json& v) {
  if (!v.is_string()) return std::nullopt;
  return parse_iso_date(v.get_ref<const std::string&>());
}

// An integer from a JSON number or a string of digits (WeChat's parser takes both).
std::optional<std::int64_t> as_int(const Json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(INT64_MAX) ? std::nullopt : std::optional<std::int64_t>(static_cast<std::int64_t>(u));
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

const Json* member(const Json& body, std::string_view key) {
  if (!body.is_object()) return nullptr;
  auto it = body.find(key);
  return it == body.end() ? nullptr : &*it;
}

std::string string_member(const Json& body, std::string_view key) {
  const Json* v = member(body, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

Json ok() { return Json{{"errcode", 0}, {"errmsg", "ok"}}; }

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

std::string cdata(std::string_view name, std::string_view value) {
  std::string out = fmt::format("<{}>", name);
  wechat::append_cdata(out, value);
  out += fmt::format("</{}>", name);
  return out;
}

bool is_click_type(std::string_view t) {
  static constexpr std::array<std::string_view, 7> kTypes{"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
                                                          "pic_photo_or_album", "pic_weixin", "location_select"};
  return std::find(kTypes.begin(), kTypes.end(), t) != kTypes.end();
}

bool is_menu_type(std::string_view t) {
  static constexpr std::array<std::string_view, 6> kOthers{"view", "media_id", "view_limited", "article_id",
                                                           "article_view_limited", "miniprogram"};
  return is_click_type(t) || std::find(kOthers.begin(), kOthers.end(), t) != kOthers.end();
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

// The id menu/get and VIEW events give the account's menu (stable per account).
std::int64_t menu_id(std::string_view appid) {
  return 1000 + static_cast<std::int64_t>(std::hash<std::string_view>{}(appid) % 1000);
}

}  // namespace

std::string beijing_date(std::int64_t unix_seconds) { return format_iso_date(beijing_day(unix_seconds)); }

const char* to_string(PushMode mode) noexcept {
  switch (mode) {
    case PushMode::kPlain: return "plain";
    case PushMode::kCompatible: return "compatible";
    case PushMode::kSafe: return "safe";
  }
  return "plain";
}

Platform::Platform(const Clock& clock, Rng& rng, PlatformOptions options)
    : clock_(clock), rng_(rng), options_(std::move(options)) {}

void Platform::add_account(SimAccount account) {
  std::lock_guard lock(mu_);
  if (account.original_id.empty()) account.original_id = "gh_" + account.appid.substr(account.appid.size() > 12 ? account.appid.size() - 12 : 0);
  auto& a = accounts_[account.appid];
  a.account = std::move(account);
  if (a.tags.empty()) a.tags[2] = Tag{2, "星标组"};  // WeChat's own starred tag, id 2
}

std::optional<SimAccount> Platform::account(std::string_view appid) const {
  std::lock_guard lock(mu_);
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) return std::nullopt;
  return it->second.account;
}

std::vector<SimAccount> Platform::accounts() const {
  std::lock_guard lock(mu_);
  std::vector<SimAccount> out;
  for (const auto& [id, a] : accounts_) out.push_back(a.account);
  return out;
}

Result<Platform::AccountState*> Platform::state(std::string_view appid) {
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) return wx_error(40013);
  return &it->second;
}

Result<const Platform::AccountState*> Platform::state(std::string_view appid) const {
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) return wx_error(40013);
  return &it->second;
}

Status Platform::charge(AccountState& a, std::string_view api) {
  const auto day = beijing_day(clock_.unix_seconds());
  if (day != a.quota_day) {
    a.quota_day = day;
    a.quota_used.clear();
  }
  auto q = options_.daily_quota.find(api);
  if (q == options_.daily_quota.end()) return {};
  const std::int64_t limit = a.account.test_account ? q->second.second : q->second.first;
  auto& used = a.quota_used[std::string(api)];
  if (used >= limit) return wx_error(45009);
  ++used;
  return {};
}

Result<SimUser*> Platform::find_user(AccountState& a, std::string_view openid) const {
  auto it = a.users.find(openid);
  if (it != a.users.end()) return &it->second;
  // Another account's openid is "not match openid with appid"; anything else is invalid.
  if (openid_owner_.contains(openid)) return wx_error(49003);
  return wx_error(40003);
}

// --- QR codes ---------------------------------------------------------------------------------

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

// --- users -------------------------------------------------------------------------------------

namespace {

Json user_json(const SimUser& u, bool with_unionid) {
  if (!u.subscribed) return Json{{"subscribe", 0}, {"openid", u.openid}};
  Json j{{"subscribe", 1},
         {"openid", u.openid},
         {"language", u.language},
         {"subscribe_time", u.subscribe_time},
         {"remark", u.remark},
         {"groupid", 0},
         {"tagid_list", u.tags},
         {"subscribe_scene", u.subscribe_scene},
         {"qr_scene", u.qr_scene},
         {"qr_scene_str", u.qr_scene_str}};
  if (with_unionid && !u.unionid.empty()) j["unionid"] = u.unionid;
  return j;
}

}  // namespace

Result<Json> Platform::user_info(std::string_view appid, std::string_view openid, std::string_view lang) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (!lang.empty() && lang != "zh_CN" && lang != "zh_TW" && lang != "en") return wx_error(40005, "invalid lang");
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, openid));
  QRSCENE_TRY(charge(*a, "user/info"));
  return user_json(*u, a->account.unionid);
}

Result<Json> Platform::user_info_batchget(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  const Json* list = member(body, "user_list");
  if (list == nullptr || !list->is_array()) return wx_error(47001);
  if (list->empty() || list->size() > kMaxBatchget) return wx_error(40032);
  Json out = Json::array();
  for (const auto& item : *list) {
    QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, string_member(item, "openid")));
    out.push_back(user_json(*u, a->account.unionid));
  }
  QRSCENE_TRY(charge(*a, "user/info"));
  return Json{{"user_info_list", std::move(out)}};
}

Result<Json> Platform::user_get(std::string_view appid, std::string_view next_openid) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  auto it = a->users.begin();
  if (!next_openid.empty()) {
    it = a->users.find(next_openid);
    if (it == a->users.end()) return wx_error(40003);
    ++it;
  }
  QRSCENE_TRY(charge(*a, "user/get"));
  std::vector<std::string> page;
  for (; it != a->users.end() && page.size() < options_.user_get_page; ++it) {
    if (it->second.subscribed) page.push_back(it->first);
  }
  Json out{{"total", a->followers}, {"count", page.size()}};
  // As WeChat does: the last openid of the page, also on the last page; an empty page has no data.
  out["next_openid"] = page.empty() ? std::string() : page.back();
  if (!page.empty()) out["data"] = Json{{"openid", std::move(page)}};
  return out;
}

Result<Json> Platform::update_remark(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, string_member(body, "openid")));
  const std::string remark = string_member(body, "remark");
  if (utf8_length(remark) >= 30) return wx_error(45003, "remark too long");
  QRSCENE_TRY(charge(*a, "user/info/updateremark"));
  u->remark = remark;
  return ok();
}

// --- tags ----------------------------------------------------------------------------------------

std::int64_t Platform::tag_count(const AccountState& a, std::int64_t id) const {
  std::int64_t n = 0;
  for (const auto& [openid, u] : a.users) {
    if (u.subscribed && std::find(u.tags.begin(), u.tags.end(), id) != u.tags.end()) ++n;
  }
  return n;
}

Result<std::int64_t> Platform::user_tag_id(const AccountState& a, const Json& body) const {
  const Json* tag = member(body, "tag");
  const Json* id = tag == nullptr ? nullptr : member(*tag, "id");
  const auto value = id == nullptr ? std::nullopt : as_int(*id);
  if (!value) return wx_error(47001);
  if (*value >= 0 && *value <= 2) return wx_error(45058);  // WeChat's own tags
  if (!a.tags.contains(*value)) return wx_error(45159);
  return *value;
}

Status Platform::check_tag_name(const AccountState& a, std::string_view name, std::optional<std::int64_t> renaming) const {
  if (name.empty()) return wx_error(45157);
  if ((options_.tag_name_limit_in_bytes ? name.size() : utf8_length(name)) > 30) return wx_error(45158);
  for (const auto& [id, t] : a.tags) {
    if (id != renaming && t.name == name) return wx_error(45157);
  }
  return {};
}

Result<Json> Platform::tags_create(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  const Json* tag = member(body, "tag");
  if (tag == nullptr || !tag->is_object()) return wx_error(47001);
  const std::string name = string_member(*tag, "name");
  QRSCENE_TRY(check_tag_name(*a, name, std::nullopt));
  if (static_cast<std::int64_t>(a->tags.size()) >= kMaxTags) return wx_error(45056);
  const std::int64_t id = a->next_tag_id++;
  a->tags[id] = Tag{id, name};
  return Json{{"tag", {{"id", id}, {"name", name}}}};
}

Result<Json> Platform::tags_get(std::string_view appid) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  Json tags = Json::array();
  for (const auto& [id, t] : a->tags) tags.push_back({{"id", id}, {"name", t.name}, {"count", tag_count(*a, id)}});
  return Json{{"tags", std::move(tags)}};
}

Result<Json> Platform::tags_update(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(const std::int64_t id, user_tag_id(*a, body));
  const std::string name = string_member(body["tag"], "name");
  QRSCENE_TRY(check_tag_name(*a, name, id));
  a->tags[id].name = name;
  return ok();
}

Result<Json> Platform::tags_delete(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(const std::int64_t id, user_tag_id(*a, body));
  if (tag_count(*a, id) > kMaxFansToDelete) return wx_error(45057);
  a->tags.erase(id);
  for (auto& [openid, u] : a->users) std::erase(u.tags, id);
  return ok();
}

Result<Json> Platform::tags_members(std::string_view appid, const Json& body, bool tag) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  const Json* list = member(body, "openid_list");
  const Json* tagid = member(body, "tagid");
  if (list == nullptr || !list->is_array() || tagid == nullptr) return wx_error(47001);
  if (list->empty() || list->size() > kMaxTagOpenids) return wx_error(40032);
  const auto id = as_int(*tagid);
  if (!id || !a->tags.contains(*id)) return wx_error(45159);
  std::vector<SimUser*> users;
  for (const auto& o : *list) {
    if (!o.is_string()) return wx_error(40003);
    QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, o.get<std::string>()));
    if (!u->subscribed) return wx_error(40003);
    users.push_back(u);
  }
  if (tag) {
    // All or nothing: a user already at 20 tags fails the whole call.
    for (SimUser* u : users) {
      const bool has = std::find(u->tags.begin(), u->tags.end(), *id) != u->tags.end();
      if (!has && static_cast<std::int64_t>(u->tags.size()) >= kMaxTagsPerUser) return wx_error(45059);
    }
    for (SimUser* u : users) {
      if (std::find(u->tags.begin(), u->tags.end(), *id) == u->tags.end()) u->tags.push_back(*id);
    }
  } else {
    for (SimUser* u : users) std::erase(u->tags, *id);
  }
  return ok();
}

Result<Json> Platform::tags_getidlist(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, string_member(body, "openid")));
  return Json{{"tagid_list", u->tags}};
}

Result<Json> Platform::user_tag_get(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  const Json* tagid = member(body, "tagid");
  const auto id = tagid == nullptr ? std::nullopt : as_int(*tagid);
  if (!id || !a->tags.contains(*id)) return wx_error(45159);
  const std::string next = string_member(body, "next_openid");
  auto it = a->users.begin();
  if (!next.empty()) {
    it = a->users.find(next);
    if (it == a->users.end()) return wx_error(40003);
    ++it;
  }
  std::vector<std::string> page;
  for (; it != a->users.end() && page.size() < options_.user_get_page; ++it) {
    const auto& tags = it->second.tags;
    if (it->second.subscribed && std::find(tags.begin(), tags.end(), *id) != tags.end()) page.push_back(it->first);
  }
  Json out{{"count", page.size()}, {"next_openid", page.empty() ? std::string() : page.back()}};
  if (!page.empty()) out["data"] = Json{{"openid", std::move(page)}};
  return out;
}

// --- menus ---------------------------------------------------------------------------------------

Result<Json> Platform::menu_create(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  const Json* buttons = member(body, "button");
  if (buttons == nullptr || !buttons->is_array() || buttons->empty() || buttons->size() > 3) return wx_error(40016);
  // Checks one button; `sub` selects the sub-button codes and limits.
  auto check = [this](const Json& b, bool sub) -> Status {
    if (!b.is_object()) return wx_error(47001);
    const std::string name = string_member(b, "name");
    if (name.empty() || name.size() > (sub ? options_.menu_sub_name_bytes : 16)) return wx_error(sub ? 40025 : 40018);
    const std::string type = string_member(b, "type");
    if (!is_menu_type(type)) return wx_error(sub ? 40024 : 40017);
    const std::string key = string_member(b, "key");
    const std::string url = string_member(b, "url");
    if (is_click_type(type) && (key.empty() || key.size() > 128)) return wx_error(sub ? 40026 : 40019);
    if ((type == "view" || type == "miniprogram") && (url.empty() || url.size() > options_.menu_url_bytes)) {
      return wx_error(sub ? 40027 : 40020);
    }
    if (type == "miniprogram" && (string_member(b, "appid").empty() || string_member(b, "pagepath").empty())) {
      return wx_error(40166, "invalid weapp appid or pagepath");
    }
    if ((type == "media_id" || type == "view_limited") && string_member(b, "media_id").empty()) {
      return wx_error(40007, "invalid media_id");
    }
    if ((type == "article_id" || type == "article_view_limited") && string_member(b, "article_id").empty()) {
      return wx_error(40007, "invalid media_id");
    }
    return {};
  };
  for (const auto& b : *buttons) {
    if (const Json* subs = member(b, "sub_button"); subs != nullptr && subs->is_array() && !subs->empty()) {
      if (subs->size() > 5) return wx_error(40023);
      const std::string name = string_member(b, "name");
      if (name.empty() || name.size() > 16) return wx_error(40018);
      for (const auto& s : *subs) QRSCENE_TRY(check(s, true));
    } else {
      QRSCENE_TRY(check(b, false));
    }
  }
  QRSCENE_TRY(charge(*a, "menu/create"));
  a->menu = Json{{"button", *buttons}};
  return ok();
}

Result<Json> Platform::menu_get(std::string_view appid) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (!a->menu) return wx_error(46003);
  QRSCENE_TRY(charge(*a, "menu/get"));
  Json menu = *a->menu;
  menu["menuid"] = menu_id(appid);
  return Json{{"menu", std::move(menu)}};
}

Result<Json> Platform::menu_delete(std::string_view appid) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_TRY(charge(*a, "menu/delete"));
  a->menu.reset();
  return ok();
}

Result<Json> Platform::current_selfmenu_info(std::string_view appid) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (!a->menu) return Json{{"is_menu_open", 0}};
  // The live menu in get_current_selfmenu_info's shape: sub_button wrapped in {"list": [...]}.
  Json buttons = Json::array();
  for (const auto& b : (*a->menu)["button"]) {
    Json copy = b;
    if (copy.contains("sub_button")) copy["sub_button"] = Json{{"list", b["sub_button"]}};
    if (copy.contains("url") && !copy.contains("type")) copy["type"] = "view";
    buttons.push_back(std::move(copy));
  }
  return Json{{"is_menu_open", 1}, {"selfmenu_info", {{"button", std::move(buttons)}}}};
}

// --- customer-service messages -----------------------------------------------------------------

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
  const std::int64_t now = clock_.unix_seconds();
  // The user's own message opens 5 (or 20) replies in 48 h; a follow, scan or click 3 in a minute.
  int* left = nullptr;
  if (now < u->message_window_until) left = &u->message_window_left;
  if ((left == nullptr || *left == 0) && now < u->event_window_until) left = &u->event_window_left;
  if (left == nullptr) return wx_error(45015);
  if (*left <= 0) return wx_error(45047);
  QRSCENE_TRY(charge(*a, "message/custom/send"));
  --*left;
  a->received.push_back(ReceivedMessage{std::string(appid), u->openid, now, body});
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

// --- datacube ------------------------------------------------------------------------------------

Result<Json> Platform::datacube(std::string_view appid, const Json& body, bool cumulate) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (!a->account.verified) return wx_error(48001);
  const Json* b = member(body, "begin_date");
  const Json* e = member(body, "end_date");
  const auto begin_date = b == nullptr ? std::nullopt : parse_date(*b);
  const auto end_date = e == nullptr ? std::nullopt : parse_date(*e);
  if (!begin_date || !end_date) return wx_error(61500);
  // Plain values from here: g++ 12 -O2 misreads the optionals as maybe-uninitialized in the loops.
  const std::int64_t begin_day = *begin_date;
  const std::int64_t end_day = *end_date;
  const std::int64_t* begin = &begin_day;
  const std::int64_t* end = &end_day;
  const std::int64_t now = clock_.unix_seconds();
  const std::int64_t today = beijing_day(now);
  const std::int64_t first = parse_date(Json("2014-12-01")).value();
  // At most 7 days per call, ending yesterday at the latest, starting 2014-12-01 at the earliest.
  if (*end < *begin || *end - *begin > 6 || *end >= today || *begin < first) return wx_error(61501);
  // Yesterday's figures appear at 08:00 Beijing time.
  const bool yesterday_ready = (now + kBeijingOffset) % 86400 >= 8 * 3600;
  Json list = Json::array();
  std::int64_t running = 0;  // followers at the end of the last day with a figure
  for (const auto& [date, f] : a->days) {
    if (parse_date(Json(date)).value() >= *begin) break;
    if (f.cumulate >= 0) running = f.cumulate;
  }
  for (std::int64_t d = *begin; d <= *end; ++d) {
    if (d == today - 1 && !yesterday_ready) break;
    const std::string date = format_iso_date(d);
    auto it = a->days.find(date);
    if (cumulate) {
      if (it != a->days.end() && it->second.cumulate >= 0) running = it->second.cumulate;
      list.push_back({{"ref_date", date}, {"cumulate_user", running}});
      continue;
    }
    if (it == a->days.end() || it->second.by_source.empty()) {
      list.push_back({{"ref_date", date}, {"user_source", 0}, {"new_user", 0}, {"cancel_user", 0}});
      continue;
    }
    for (const auto& [source, counts] : it->second.by_source) {
      list.push_back({{"ref_date", date}, {"user_source", source}, {"new_user", counts.first},
                      {"cancel_user", counts.second}});
    }
  }
  return Json{{"list", std::move(list)}};
}

Result<Json> Platform::clear_quota(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (string_member(body, "appid") != appid) return wx_error(40013);
  const auto ymd = std::chrono::year_month_day{
      std::chrono::sys_days{std::chrono::days{beijing_day(clock_.unix_seconds())}}};
  const std::int64_t month = static_cast<int>(ymd.year()) * 12 + static_cast<unsigned>(ymd.month());
  if (month != a->clear_month) {
    a->clear_month = month;
    a->clears = 0;
  }
  if (a->clears >= options_.clear_quota_per_month) return wx_error(48006);
  ++a->clears;
  a->quota_used.clear();
  return ok();
}

// --- virtual users -------------------------------------------------------------------------------

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

namespace {

// Opens the 3-messages-a-minute window a follow, scan or menu click gives.
void open_event_window(SimUser& u, std::int64_t now) {
  u.event_window_until = now + 60;
  u.event_window_left = 3;
}

}  // namespace

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
  const std::int64_t msg_id = ++next_msg_id_;
  return push_event(*a, *u, "TEMPLATESENDJOBFINISH",
                    fmt::format("<MsgID>{}</MsgID>", msg_id) + cdata("Status", "success"));
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

// --- saved state ---------------------------------------------------------------------------------

Json Platform::to_json() const {
  std::lock_guard lock(mu_);
  Json accounts = Json::array();
  for (const auto& [appid, a] : accounts_) {
    const auto& c = a.account;
    Json users = Json::array();
    for (const auto& [openid, u] : a.users) {
      users.push_back({{"openid", u.openid}, {"unionid", u.unionid}, {"subscribed", u.subscribed},
                       {"subscribe_time", u.subscribe_time}, {"subscribe_scene", u.subscribe_scene},
                       {"user_source", u.user_source}, {"qr_scene", u.qr_scene}, {"qr_scene_str", u.qr_scene_str},
                       {"remark", u.remark}, {"language", u.language}, {"tags", u.tags}});
    }
    Json tags = Json::array();
    for (const auto& [id, t] : a.tags) tags.push_back({{"id", id}, {"name", t.name}});
    Json days = Json::object();
    for (const auto& [date, f] : a.days) {
      Json sources = Json::object();
      for (const auto& [s, n] : f.by_source) sources[std::to_string(s)] = {n.first, n.second};
      days[date] = {{"sources", sources}, {"cumulate", f.cumulate}};
    }
    Json tickets = Json::array();
    for (const auto& [id, t] : tickets_) {
      if (ticket_owner_.at(id) != appid) continue;
      tickets.push_back({{"ticket", t.ticket}, {"url", t.url}, {"action_name", t.action_name},
                         {"scene_id", t.scene_id}, {"scene_str", t.scene_str}, {"string_scene", t.string_scene},
                         {"permanent", t.permanent}, {"created", t.created}, {"expire_seconds", t.expire_seconds}});
    }
    accounts.push_back({{"appid", c.appid}, {"secret", c.secret}, {"test_account", c.test_account},
                        {"ip_whitelist", c.ip_whitelist}, {"original_id", c.original_id}, {"token", c.token},
                        {"encoding_aes_key", c.encoding_aes_key}, {"mode", to_string(c.mode)},
                        {"callback_url", c.callback_url}, {"verified", c.verified}, {"unionid", c.unionid},
                        {"users", users}, {"tags", tags}, {"next_tag_id", a.next_tag_id},
                        {"menu", a.menu ? *a.menu : Json()}, {"days", days}, {"followers", a.followers},
                        {"tickets", tickets}});
  }
  return Json{{"version", 1}, {"accounts", accounts}, {"next_msg_id", next_msg_id_}};
}

Status Platform::from_json(const Json& state) {
  try {
    if (state.value("version", 0) != 1) {
      return unexpected(ErrorCode::kInvalidArgument, "not a simulator state file (version 1 expected)");
    }
    std::map<std::string, AccountState, std::less<>> accounts;
    std::map<std::string, SimTicket, std::less<>> tickets;
    std::map<std::string, std::string, std::less<>> by_url, ticket_owner, openid_owner;
    for (const auto& j : state.at("accounts")) {
      AccountState a;
      auto& c = a.account;
      c.appid = j.at("appid").get<std::string>();
      c.secret = j.at("secret").get<std::string>();
      c.test_account = j.at("test_account").get<bool>();
      c.ip_whitelist = j.at("ip_whitelist").get<std::vector<std::string>>();
      c.original_id = j.at("original_id").get<std::string>();
      c.token = j.at("token").get<std::string>();
      c.encoding_aes_key = j.at("encoding_aes_key").get<std::string>();
      const auto mode = j.at("mode").get<std::string>();
      c.mode = mode == "safe" ? PushMode::kSafe : mode == "compatible" ? PushMode::kCompatible : PushMode::kPlain;
      c.callback_url = j.at("callback_url").get<std::string>();
      c.verified = j.at("verified").get<bool>();
      c.unionid = j.at("unionid").get<bool>();
      for (const auto& ju : j.at("users")) {
        SimUser u;
        u.appid = c.appid;
        u.openid = ju.at("openid").get<std::string>();
        u.unionid = ju.at("unionid").get<std::string>();
        u.subscribed = ju.at("subscribed").get<bool>();
        u.subscribe_time = ju.at("subscribe_time").get<std::int64_t>();
        u.subscribe_scene = ju.at("subscribe_scene").get<std::string>();
        u.user_source = ju.at("user_source").get<int>();
        u.qr_scene = ju.at("qr_scene").get<std::int64_t>();
        u.qr_scene_str = ju.at("qr_scene_str").get<std::string>();
        u.remark = ju.at("remark").get<std::string>();
        u.language = ju.at("language").get<std::string>();
        u.tags = ju.at("tags").get<std::vector<std::int64_t>>();
        openid_owner[u.openid] = c.appid;
        a.users[u.openid] = std::move(u);
      }
      for (const auto& jt : j.at("tags")) {
        const auto id = jt.at("id").get<std::int64_t>();
        a.tags[id] = Tag{id, jt.at("name").get<std::string>()};
      }
      a.next_tag_id = j.at("next_tag_id").get<std::int64_t>();
      if (!j.at("menu").is_null()) a.menu = j.at("menu");
      for (const auto& [date, jd] : j.at("days").items()) {
        DayFigures f;
        f.cumulate = jd.at("cumulate").get<std::int64_t>();
        for (const auto& [s, n] : jd.at("sources").items()) {
          f.by_source[std::stoi(s)] = {n.at(0).get<std::int64_t>(), n.at(1).get<std::int64_t>()};
        }
        a.days[date] = std::move(f);
      }
      a.followers = j.at("followers").get<std::int64_t>();
      for (const auto& jt : j.at("tickets")) {
        SimTicket t;
        t.ticket = jt.at("ticket").get<std::string>();
        t.url = jt.at("url").get<std::string>();
        t.action_name = jt.at("action_name").get<std::string>();
        t.scene_id = jt.at("scene_id").get<std::int64_t>();
        t.scene_str = jt.at("scene_str").get<std::string>();
        t.string_scene = jt.at("string_scene").get<bool>();
        t.permanent = jt.at("permanent").get<bool>();
        t.created = jt.at("created").get<std::int64_t>();
        t.expire_seconds = jt.at("expire_seconds").get<std::int64_t>();
        if (t.permanent) {
          a.permanent_by_scene[(t.string_scene ? "s:" : "i:") + t.scene()] = t.ticket;
          ++a.permanent_used;
        }
        by_url[t.url] = t.ticket;
        ticket_owner[t.ticket] = c.appid;
        tickets[t.ticket] = std::move(t);
      }
      accounts[c.appid] = std::move(a);
    }
    std::lock_guard lock(mu_);
    accounts_ = std::move(accounts);
    tickets_ = std::move(tickets);
    ticket_by_url_ = std::move(by_url);
    ticket_owner_ = std::move(ticket_owner);
    openid_owner_ = std::move(openid_owner);
    next_msg_id_ = state.value("next_msg_id", std::int64_t{0});
    return {};
  } catch (const Json::exception& e) {
    return unexpected(ErrorCode::kInvalidArgument, std::string("simulator state file is damaged: ") + e.what());
  }
}

}  // namespace qrscene::sim
