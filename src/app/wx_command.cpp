#include "app/wx_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <sstream>

#include "base/clock.h"
#include "config/config.h"
#include "net/curl_transport.h"
#include "wechat/api_client.h"
#include "wechat/token_provider.h"

namespace qrscene::app {
namespace {

using Json = nlohmann::json;

struct WxSettings {
  // Where and who.
  std::string config_file;
  std::string appid;
  std::string secret;
  std::string api_base;
  std::string mp_base;
  std::string token_mode;
  // What: the chosen leaf command and its arguments.
  std::string action;
  bool temporary = false;
  bool permanent = false;
  std::optional<std::int64_t> scene_id;
  std::optional<std::string> scene_str;
  std::optional<std::int64_t> expire;
  std::string output;
  std::string ticket;
  std::string openid;
  std::string lang = "zh_CN";
  std::vector<std::string> openids;
  std::int64_t tag_id = 0;
  std::string name;
  std::string file;
  std::string text;
  std::string begin;
  std::string end;
};

Json to_json(const wechat::UserInfo& u) {
  return Json{{"subscribe", u.subscribe ? 1 : 0}, {"openid", u.openid},
              {"language", u.language},           {"subscribe_time", u.subscribe_time},
              {"unionid", u.unionid},             {"remark", u.remark},
              {"tagid_list", u.tagid_list},       {"subscribe_scene", u.subscribe_scene},
              {"qr_scene", u.qr_scene},           {"qr_scene_str", u.qr_scene_str}};
}

Result<std::string> read_file(const std::string& path) {
  std::stringstream buf;
  if (path == "-") {
    buf << std::cin.rdbuf();
    return buf.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(ErrorCode::kNotFound, fmt::format("cannot read {}", path));
  buf << in.rdbuf();
  return buf.str();
}

Status write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return unexpected(ErrorCode::kUnavailable, fmt::format("cannot write {}", path));
  return {};
}

Error unknown_action(const std::string& a) {
  return unexpected(ErrorCode::kInternal, fmt::format("unknown action '{}'", a));
}

Result<Json> perform_qrcode(const WxSettings& s, wechat::ApiClient& api) {
  const std::string& a = s.action;
  if (a == "qrcode create") {
    if (s.temporary == s.permanent) {
      return unexpected(ErrorCode::kInvalidArgument, "say --temporary or --permanent");
    }
    wechat::QrRequest r;
    r.kind = s.permanent ? wechat::QrKind::kPermanent : wechat::QrKind::kTemporary;
    r.scene_id = s.scene_id;
    r.scene_str = s.scene_str;
    r.expire_seconds = s.expire;
    QRSCENE_ASSIGN_OR_RETURN(auto t, api.create_qrcode(r));
    if (!t.warning.empty()) fmt::print(stderr, "qrscene wx: warning: {}\n", t.warning);
    Json out{{"ticket", t.ticket},
             {"url", t.url},
             {"expire_seconds", t.expire_seconds},
             {"expires_at", t.expires_at},
             {"image_url", api.showqrcode_url(t.ticket)}};
    if (!s.output.empty()) {
      QRSCENE_ASSIGN_OR_RETURN(auto image, api.download_qrcode(t.ticket));
      QRSCENE_TRY(write_file(s.output, image.bytes));
      out["image_file"] = s.output;
    }
    return out;
  }
  if (a == "qrcode image") {
    QRSCENE_ASSIGN_OR_RETURN(auto image, api.download_qrcode(s.ticket));
    QRSCENE_TRY(write_file(s.output, image.bytes));
    return Json{{"file", s.output}, {"bytes", image.bytes.size()}, {"content_type", image.content_type}};
  }
  if (a == "qrcode url") return Json{{"image_url", api.showqrcode_url(s.ticket)}};
  return unknown_action(a);
}

Result<Json> perform_user(const WxSettings& s, wechat::ApiClient& api) {
  const std::string& a = s.action;
  if (a == "user info") {
    QRSCENE_ASSIGN_OR_RETURN(auto u, api.user_info(s.openid, s.lang));
    return to_json(u);
  }
  if (a == "user batch") {
    QRSCENE_ASSIGN_OR_RETURN(auto users, api.users_info(s.openids, s.lang));
    Json list = Json::array();
    for (const auto& u : users) list.push_back(to_json(u));
    return Json{{"user_info_list", list}};
  }
  if (a == "user list") {
    QRSCENE_ASSIGN_OR_RETURN(auto all, api.followers());
    return Json{{"count", all.size()}, {"openids", all}};
  }
  return unknown_action(a);
}

Result<Json> perform_tags(const WxSettings& s, wechat::ApiClient& api) {
  const std::string& a = s.action;
  if (a == "tags list") {
    QRSCENE_ASSIGN_OR_RETURN(auto tags, api.tags());
    Json list = Json::array();
    for (const auto& t : tags) list.push_back({{"id", t.id}, {"name", t.name}, {"count", t.count}});
    return Json{{"tags", list}};
  }
  if (a == "tags create") {
    QRSCENE_ASSIGN_OR_RETURN(auto t, api.create_tag(s.name));
    return Json{{"id", t.id}, {"name", t.name}};
  }
  if (a == "tags update") {
    QRSCENE_TRY(api.update_tag(s.tag_id, s.name));
    return Json{{"ok", true}};
  }
  if (a == "tags delete") {
    QRSCENE_TRY(api.delete_tag(s.tag_id));
    return Json{{"ok", true}};
  }
  if (a == "tags tag" || a == "tags untag") {
    QRSCENE_TRY(a == "tags tag" ? api.tag_users(s.tag_id, s.openids) : api.untag_users(s.tag_id, s.openids));
    return Json{{"ok", true}, {"openids", s.openids.size()}};
  }
  if (a == "tags of") {
    QRSCENE_ASSIGN_OR_RETURN(auto ids, api.user_tags(s.openid));
    return Json{{"tagid_list", ids}};
  }
  return unknown_action(a);
}

Result<Json> perform_menu(const WxSettings& s, wechat::ApiClient& api) {
  const std::string& a = s.action;
  if (a == "menu get") {
    QRSCENE_ASSIGN_OR_RETURN(auto body, api.menu());
    return Json::parse(body, nullptr, false);
  }
  if (a == "menu create") {
    QRSCENE_ASSIGN_OR_RETURN(auto menu, read_file(s.file));
    QRSCENE_TRY(api.create_menu(menu));
    return Json{{"ok", true}};
  }
  if (a == "menu delete") {
    QRSCENE_TRY(api.delete_menu());
    return Json{{"ok", true}};
  }
  return unknown_action(a);
}

Result<Json> perform_message(const WxSettings& s, wechat::ApiClient& api) {
  if (s.action == "message text") {
    wechat::CustomMessage m;
    m.touser = s.openid;
    m.content = s.text;
    QRSCENE_TRY(api.send_message(m));
    return Json{{"ok", true}};
  }
  return unknown_action(s.action);
}

Result<Json> perform_datacube(const WxSettings& s, wechat::ApiClient& api) {
  const std::string& a = s.action;
  if (a == "datacube summary") {
    QRSCENE_ASSIGN_OR_RETURN(auto rows, api.user_summary(s.begin, s.end));
    Json list = Json::array();
    for (const auto& r : rows) {
      list.push_back({{"ref_date", r.ref_date}, {"user_source", r.user_source}, {"new_user", r.new_user},
                      {"cancel_user", r.cancel_user}});
    }
    return Json{{"list", list}};
  }
  if (a == "datacube cumulate") {
    QRSCENE_ASSIGN_OR_RETURN(auto rows, api.user_cumulate(s.begin, s.end));
    Json list = Json::array();
    for (const auto& r : rows) list.push_back({{"ref_date", r.ref_date}, {"cumulate_user", r.cumulate_user}});
    return Json{{"list", list}};
  }
  return unknown_action(a);
}

// Runs the chosen action; JSON on success.
Result<Json> perform(const WxSettings& s, wechat::ApiClient& api, wechat::TokenStore& store) {
  const std::string& a = s.action;
  if (a == "token") {
    QRSCENE_ASSIGN_OR_RETURN(auto token, api.tokens().token());
    QRSCENE_ASSIGN_OR_RETURN(auto stored, store.get(api.appid()));
    return Json{{"appid", api.appid()}, {"access_token", token}, {"expires_at", stored ? stored->expires_at : 0}};
  }
  if (a.starts_with("qrcode ")) return perform_qrcode(s, api);
  if (a.starts_with("user ")) return perform_user(s, api);
  if (a.starts_with("tags ")) return perform_tags(s, api);
  if (a.starts_with("menu ")) return perform_menu(s, api);
  if (a.starts_with("message ")) return perform_message(s, api);
  if (a.starts_with("datacube ")) return perform_datacube(s, api);
  return unknown_action(a);
}

int run_wx(const WxSettings& s) {
  // Flags over the environment over the file.
  auto config = config::load_config(s.config_file, config::process_environment());
  if (!config) {
    fmt::print(stderr, "qrscene wx: {}\n", config.error().message);
    return 2;
  }
  wechat::ApiClientOptions options;
  options.api_base = s.api_base.empty() ? config->wechat.api_base : s.api_base;
  options.mp_base = s.mp_base.empty() ? config->wechat.mp_base : s.mp_base;
  options.timeout = std::chrono::milliseconds(config->wechat.timeout_ms);
  wechat::TokenProviderOptions token_options;
  token_options.api_base = options.api_base;
  token_options.timeout = options.timeout;
  const std::string_view mode = s.token_mode.empty() ? config::to_string(config->wechat.token_mode) : s.token_mode;
  token_options.mode = mode == "classic" ? wechat::TokenMode::kClassic : wechat::TokenMode::kStable;
  if (!s.secret.empty()) {
    auto secret = config::resolve_secret(s.secret, "--secret", config::process_environment());
    if (!secret) {
      fmt::print(stderr, "qrscene wx: {}\n", secret.error().message);
      return 2;
    }
    if (s.appid.empty()) {
      fmt::print(stderr, "qrscene wx: --secret needs --appid\n");
      return 2;
    }
    token_options.appid = s.appid;
    token_options.secret = std::move(*secret);
  } else {
    auto account = config->account(s.appid);
    if (!account) {
      fmt::print(stderr, "qrscene wx: {}\n", account.error().message);
      return 2;
    }
    if ((*account)->secret.empty()) {
      fmt::print(stderr, "qrscene wx: account {} has no secret: give --secret, QRSCENE_SECRET or secret = in the file\n",
                 (*account)->appid);
      return 2;
    }
    token_options.appid = (*account)->appid;
    token_options.secret = (*account)->secret;
  }

  net::CurlTransport transport;
  wechat::MemoryTokenStore store;
  wechat::TokenProvider tokens(transport, store, SystemClock::instance(), token_options);
  wechat::ApiClient api(transport, tokens, SystemClock::instance(), options);
  auto result = perform(s, api, store);
  if (!result) {
    fmt::print(stderr, "qrscene wx {}: {}\n", s.action, result.error().to_string());
    return result.error().code == ErrorCode::kInvalidArgument && result.error().detail == 0 ? 2 : 1;
  }
  fmt::print("{}\n", result->dump(2));
  return 0;
}

void add_where_and_who_options(CLI::App& cmd, WxSettings& s) {
  cmd.add_option("--config", s.config_file, "qrscene.toml to take the account and hosts from");
  cmd.add_option("--appid", s.appid, "AppID (env QRSCENE_APPID); picks the account when the file has several");
  cmd.add_option("--secret", s.secret, "AppSecret, or env:NAME / file:PATH (env QRSCENE_SECRET)");
  cmd.add_option("--api-base", s.api_base, "API host, e.g. http://127.0.0.1:9100 for qrscene sim "
                                           "(default https://api.weixin.qq.com)");
  cmd.add_option("--mp-base", s.mp_base, "showqrcode host (default https://mp.weixin.qq.com)");
  cmd.add_option("--token-mode", s.token_mode, "stable (default) or classic")
      ->check(CLI::IsMember({"stable", "classic"}));
}

// Each leaf names its action; the parsed settings are run once CLI11 is done.
struct CommandTree {
  CLI::App& cmd;
  std::shared_ptr<WxSettings> settings;

  CLI::App* leaf(CLI::App& parent, const std::string& name, const std::string& help) const {
    CLI::App* sub = parent.add_subcommand(name, help);
    const std::string action = &parent == &cmd ? name : fmt::format("{} {}", parent.get_name(), name);
    sub->callback([s = settings, action] { s->action = action; });
    return sub;
  }
  CLI::App* group(const std::string& name, const std::string& help) const {
    CLI::App* g = cmd.add_subcommand(name, help);
    g->require_subcommand(1);
    return g;
  }
};

void add_qrcode_commands(const CommandTree& tree) {
  WxSettings& s = *tree.settings;
  CLI::App* qr = tree.group("qrcode", "parametric QR codes");
  CLI::App* create = tree.leaf(*qr, "create", "create a code; prints ticket, url and image URL");
  auto* temporary = create->add_flag("--temporary", s.temporary, "a temporary code (QR_SCENE / QR_STR_SCENE)");
  auto* permanent = create->add_flag("--permanent", s.permanent, "a permanent code (QR_LIMIT_…), 100,000 per account");
  temporary->excludes(permanent);
  auto* id = create->add_option("--scene-id", s.scene_id, "integer scene (temporary 1..4294967295, permanent 1..100000)");
  auto* str = create->add_option("--scene-str", s.scene_str, "string scene (1..64 bytes)");
  id->excludes(str);
  create->add_option("--expire", s.expire, "lifetime of a temporary code in seconds (default 2592000, 30 days)");
  create->add_option("-o,--output", s.output, "also download the image to this file");
  CLI::App* image = tree.leaf(*qr, "image", "download a ticket's image from the mp host");
  image->add_option("ticket", s.ticket, "the ticket")->required();
  image->add_option("-o,--output", s.output, "file to write (JPEG)")->required();
  CLI::App* url = tree.leaf(*qr, "url", "print the showqrcode URL of a ticket");
  url->add_option("ticket", s.ticket, "the ticket")->required();
}

void add_user_commands(const CommandTree& tree) {
  WxSettings& s = *tree.settings;
  CLI::App* user = tree.group("user", "followers");
  CLI::App* info = tree.leaf(*user, "info", "user/info of one follower");
  info->add_option("openid", s.openid, "the openid")->required();
  info->add_option("--lang", s.lang, "zh_CN, zh_TW or en")->check(CLI::IsMember({"zh_CN", "zh_TW", "en"}));
  CLI::App* batch = tree.leaf(*user, "batch", "user/info of many followers (sent 100 at a time)");
  batch->add_option("openids", s.openids, "openids")->required();
  batch->add_option("--lang", s.lang, "zh_CN, zh_TW or en")->check(CLI::IsMember({"zh_CN", "zh_TW", "en"}));
  tree.leaf(*user, "list", "every follower's openid (user/get, all pages)");
}

void add_tags_commands(const CommandTree& tree) {
  WxSettings& s = *tree.settings;
  CLI::App* tags = tree.group("tags", "user tags");
  tree.leaf(*tags, "list", "every tag with its follower count");
  tree.leaf(*tags, "create", "create a tag")->add_option("name", s.name, "tag name (at most 30 characters)")->required();
  CLI::App* update = tree.leaf(*tags, "update", "rename a tag");
  update->add_option("id", s.tag_id, "tag id")->required();
  update->add_option("name", s.name, "new name")->required();
  tree.leaf(*tags, "delete", "delete a tag")->add_option("id", s.tag_id, "tag id")->required();
  for (const char* verb : {"tag", "untag"}) {
    CLI::App* t = tree.leaf(*tags, verb, std::string(verb) + " followers (sent 50 at a time)");
    t->add_option("id", s.tag_id, "tag id")->required();
    t->add_option("openids", s.openids, "openids")->required();
  }
  tree.leaf(*tags, "of", "the tags of one follower")->add_option("openid", s.openid, "the openid")->required();
}

void add_menu_message_and_datacube_commands(const CommandTree& tree) {
  WxSettings& s = *tree.settings;
  CLI::App* menu = tree.group("menu", "the custom menu");
  tree.leaf(*menu, "get", "the menu as WeChat answers it");
  tree.leaf(*menu, "create", "set the menu from a JSON file ({\"button\":[…]}; - for stdin)")
      ->add_option("file", s.file, "JSON file")
      ->required();
  tree.leaf(*menu, "delete", "delete the menu");

  CLI::App* message = tree.group("message", "customer-service messages");
  CLI::App* text = tree.leaf(*message, "text", "send a text (never retried blindly)");
  text->add_option("openid", s.openid, "recipient")->required();
  text->add_option("text", s.text, "content")->required();

  CLI::App* cube = tree.group("datacube", "WeChat's own daily user figures");
  for (const char* what : {"summary", "cumulate"}) {
    CLI::App* c = tree.leaf(*cube, what, std::string("getuser") + what + " over any span (asked 7 days at a time)");
    c->add_option("begin", s.begin, "first day, yyyy-mm-dd")->required();
    c->add_option("end", s.end, "last day, yyyy-mm-dd")->required();
  }
}

}  // namespace

void configure_wx_command(CLI::App& cmd, std::function<int()>& run) {
  auto s = std::make_shared<WxSettings>();
  cmd.require_subcommand(1);
  add_where_and_who_options(cmd, *s);
  const CommandTree tree{cmd, s};
  tree.leaf(cmd, "token", "print the access_token (fetching one)");
  add_qrcode_commands(tree);
  add_user_commands(tree);
  add_tags_commands(tree);
  add_menu_message_and_datacube_commands(tree);
  run = [s] { return run_wx(*s); };
}

}  // namespace qrscene::app
