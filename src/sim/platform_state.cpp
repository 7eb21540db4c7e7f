// Platform's saved state (platform.h): to_json() and from_json() — accounts, users, tickets, tags,
// menus, figures, templates and temporary media files (their bytes in base64, while they live);
// tokens, quotas, received messages and client_msg_ids are not saved. A file saved before media
// and templates were simulated loads with none.
#include "sim/platform.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/encoding.h"

namespace qrscene::sim {
namespace {

// A saved user of the account `appid` (throws Json::exception when a field is missing or wrong).
SimUser read_user(const Json& ju, const std::string& appid) {
  SimUser u;
  u.appid = appid;
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
  return u;
}

// A saved ticket (throws Json::exception when a field is missing or wrong).
SimTicket read_ticket(const Json& jt) {
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
  return t;
}

// A saved media file (throws Json::exception when a field is missing or wrong; an error for bytes
// that are not base64).
Result<SimMedia> read_media(const Json& jm) {
  SimMedia m;
  m.media_id = jm.at("media_id").get<std::string>();
  m.type = jm.at("type").get<std::string>();
  m.filename = jm.at("filename").get<std::string>();
  m.format = jm.at("format").get<std::string>();
  m.content_type = jm.at("content_type").get<std::string>();
  m.created_at = jm.at("created_at").get<std::int64_t>();
  if (jm.contains("base64")) {
    auto bytes = decode_base64(jm.at("base64").get<std::string>());
    if (!bytes) {
      return unexpected(ErrorCode::kInvalidArgument,
                        "simulator state file is damaged: media " + m.media_id + ": " + bytes.error().message);
    }
    m.bytes = std::make_shared<const std::string>(std::move(*bytes));
  }
  return m;
}

SimTemplate read_template(const Json& jt) {
  SimTemplate t;
  t.template_id = jt.at("template_id").get<std::string>();
  t.title = jt.at("title").get<std::string>();
  t.content = jt.at("content").get<std::string>();
  t.example = jt.value("example", "");
  t.primary_industry = jt.value("primary_industry", "");
  t.deputy_industry = jt.value("deputy_industry", "");
  return t;
}

}  // namespace

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
    Json media = Json::array();
    for (const auto& [id, m] : a.media) {
      Json jm{{"media_id", m.media_id}, {"type", m.type},         {"filename", m.filename},
              {"format", m.format},     {"content_type", m.content_type}, {"created_at", m.created_at}};
      if (m.bytes) jm["base64"] = encode_base64(*m.bytes);
      media.push_back(std::move(jm));
    }
    Json templates = Json::array();
    for (const auto& [id, t] : a.templates) {
      templates.push_back({{"template_id", t.template_id}, {"title", t.title}, {"content", t.content},
                           {"example", t.example}, {"primary_industry", t.primary_industry},
                           {"deputy_industry", t.deputy_industry}});
    }
    accounts.push_back({{"appid", c.appid}, {"secret", c.secret}, {"test_account", c.test_account},
                        {"ip_whitelist", c.ip_whitelist}, {"original_id", c.original_id}, {"token", c.token},
                        {"encoding_aes_key", c.encoding_aes_key}, {"mode", to_string(c.mode)},
                        {"callback_url", c.callback_url}, {"verified", c.verified}, {"unionid", c.unionid},
                        {"users", users}, {"tags", tags}, {"next_tag_id", a.next_tag_id},
                        {"menu", a.menu ? *a.menu : Json()}, {"days", days}, {"followers", a.followers},
                        {"tickets", tickets}, {"media", media}, {"templates", templates}});
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
        SimUser u = read_user(ju, c.appid);
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
        SimTicket t = read_ticket(jt);
        if (t.permanent) {
          a.permanent_by_scene[(t.string_scene ? "s:" : "i:") + t.scene()] = t.ticket;
          ++a.permanent_used;
        }
        by_url[t.url] = t.ticket;
        ticket_owner[t.ticket] = c.appid;
        tickets[t.ticket] = std::move(t);
      }
      if (j.contains("media")) {
        for (const auto& jm : j.at("media")) {
          QRSCENE_ASSIGN_OR_RETURN(SimMedia m, read_media(jm));
          a.media[m.media_id] = std::move(m);
        }
      }
      if (j.contains("templates")) {
        for (const auto& jt : j.at("templates")) {
          SimTemplate t = read_template(jt);
          a.templates[t.template_id] = std::move(t);
        }
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
