// Platform's tags (platform.h): an account's tags, tagging its followers and the lists by tag, and
// their API host routes.
#include "sim/platform.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "sim/api_host.h"
#include "sim/platform_fields.h"
#include "sim/wx_error.h"

namespace qrscene::sim {
namespace {

constexpr std::int64_t kMaxTags = 100;
constexpr std::int64_t kMaxTagsPerUser = 20;
constexpr std::int64_t kMaxFansToDelete = 100'000;
constexpr std::size_t kMaxTagOpenids = 50;

}  // namespace

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

void add_tag_routes(ApiHost& api, Platform& platform) {
  using net::HttpRequest;
  api.add("POST", "/cgi-bin/tags/create",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.tags_create(appid, b); });
  api.add("GET", "/cgi-bin/tags/get",
          [&platform](const std::string& appid, const HttpRequest&, const Json&) { return platform.tags_get(appid); });
  api.add("POST", "/cgi-bin/tags/update",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.tags_update(appid, b); });
  api.add("POST", "/cgi-bin/tags/delete",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.tags_delete(appid, b); });
  api.add("POST", "/cgi-bin/tags/members/batchtagging",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) {
            return platform.tags_members(appid, b, true);
          });
  api.add("POST", "/cgi-bin/tags/members/batchuntagging",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) {
            return platform.tags_members(appid, b, false);
          });
  api.add("POST", "/cgi-bin/tags/getidlist",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.tags_getidlist(appid, b); });
  api.add("POST", "/cgi-bin/user/tag/get",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.user_tag_get(appid, b); });
}

}  // namespace qrscene::sim
