// Platform's menus (platform.h): the custom menu created (with WeChat's checks), read and deleted,
// its live form (get_current_selfmenu_info), and their API host routes.
#include "sim/platform.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "sim/api_host.h"
#include "sim/platform_fields.h"
#include "sim/wx_error.h"

namespace qrscene::sim {
namespace {

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

}  // namespace

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

void add_menu_routes(ApiHost& api, Platform& platform) {
  using net::HttpRequest;
  api.add("POST", "/cgi-bin/menu/create",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.menu_create(appid, b); });
  api.add("GET", "/cgi-bin/menu/get",
          [&platform](const std::string& appid, const HttpRequest&, const Json&) { return platform.menu_get(appid); });
  api.add("GET", "/cgi-bin/menu/delete",
          [&platform](const std::string& appid, const HttpRequest&, const Json&) { return platform.menu_delete(appid); });
  api.add("GET", "/cgi-bin/get_current_selfmenu_info", [&platform](const std::string& appid, const HttpRequest&, const Json&) {
    return platform.current_selfmenu_info(appid);
  });
}

}  // namespace qrscene::sim
