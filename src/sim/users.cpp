// Platform's users (platform.h): user/info, its batch, the follower list and remarks, and their
// API host routes.
#include "sim/platform.h"

#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "sim/api_host.h"
#include "sim/platform_fields.h"
#include "sim/wx_error.h"

namespace qrscene::sim {
namespace {

constexpr std::size_t kMaxBatchget = 100;

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

void add_user_routes(ApiHost& api, Platform& platform) {
  using net::HttpRequest;
  api.add("GET", "/cgi-bin/user/info", [&platform](const std::string& appid, const HttpRequest& req, const Json&) {
    return platform.user_info(appid, req.query_param("openid"), req.query_param("lang"));
  });
  api.add("POST", "/cgi-bin/user/info/batchget", [&platform](const std::string& appid, const HttpRequest&, const Json& b) {
    return platform.user_info_batchget(appid, b);
  });
  api.add("GET", "/cgi-bin/user/get", [&platform](const std::string& appid, const HttpRequest& req, const Json&) {
    return platform.user_get(appid, req.query_param("next_openid"));
  });
  api.add("POST", "/cgi-bin/user/info/updateremark",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.update_remark(appid, b); });
}

}  // namespace qrscene::sim
