#include "config/config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <type_traits>
#include <toml++/toml.h>

namespace qrscene::config {
namespace {

// Collects every problem so that one run shows them all.
struct Problems {
  std::vector<std::string> lines;
  void add(std::string line) { lines.push_back(std::move(line)); }
  template <class... A>
  void add(fmt::format_string<A...> f, A&&... a) {
    lines.push_back(fmt::format(f, std::forward<A>(a)...));
  }
};

bool is_alnum(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string strip_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

void check_base_url(const std::string& url, std::string_view key, Problems& p) {
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
    p.add("{}: must start with https:// (or http:// for the simulator), got '{}'", key, url);
  }
}

// Reads a key of type T (std::string or std::int64_t) when present; records a problem when it has
// another type.
template <class T>
void read(const toml::table& t, std::string_view key, std::string_view path, T& out, Problems& p) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return;
  if (const auto* v = n->as<T>()) {
    out = v->get();
  } else {
    p.add("{}: must be {}", path, std::is_same_v<T, std::string> ? "a string" : "an integer");
  }
}

void reject_unknown(const toml::table& t, std::initializer_list<std::string_view> known, std::string_view where,
                    Problems& p) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (auto name : known) ok = ok || k.str() == name;
    if (!ok) p.add("{}{}: unknown key (docs/configuration.md lists the keys)", where, k.str());
  }
}

void override_from_env(const Environment& env, std::string_view name, std::string& out) {
  if (auto v = env(name)) out = *v;
}

void check_account(const AccountConfig& a, std::string_view where, Problems& p) {
  if (a.appid.empty()) {
    p.add("{}.appid: missing", where);
  } else if (!is_alnum(a.appid) || a.appid.size() > 32) {
    p.add("{}.appid: '{}' is not an AppID (letters and digits, like wx0a1b2c3d4e5f6789)", where, a.appid);
  }
  if (!a.token.empty() && (a.token.size() < 3 || a.token.size() > 32 || !is_alnum(a.token))) {
    p.add("{}.token: must be 3 to 32 letters and digits, as in the WeChat console", where);
  }
  if (a.mode != "plain" && a.mode != "compatible" && a.mode != "safe") {
    p.add("{}.mode: must be plain, compatible or safe, got '{}'", where, a.mode);
  }
  const std::string& key = a.encoding_aes_key.reveal();
  if (!key.empty() && (key.size() != 43 || key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                                  "0123456789+/") != std::string::npos)) {
    p.add("{}.encoding_aes_key: must be the 43 characters from the WeChat console (letters, digits, + and /)", where);
  }
  if (key.empty() && (a.mode == "compatible" || a.mode == "safe")) {
    p.add("{}.encoding_aes_key: needed in {} mode", where, a.mode);
  }
  if (!a.original_id.empty() && a.original_id.rfind("gh_", 0) != 0) {
    p.add("{}.original_id: must start with gh_ (the account's original ID), got '{}'", where, a.original_id);
  }
}

void read_account(const toml::table& t, std::string_view where, const Environment& env, AccountConfig& a,
                  Problems& p) {
  reject_unknown(t, {"appid", "name", "secret", "token", "encoding_aes_key", "mode", "original_id"},
                 fmt::format("{}.", where), p);
  read(t, "appid", fmt::format("{}.appid", where), a.appid, p);
  read(t, "name", fmt::format("{}.name", where), a.name, p);
  read(t, "token", fmt::format("{}.token", where), a.token, p);
  read(t, "mode", fmt::format("{}.mode", where), a.mode, p);
  read(t, "original_id", fmt::format("{}.original_id", where), a.original_id, p);
  for (const auto& [key, target] : {std::pair{"secret", &a.secret}, std::pair{"encoding_aes_key", &a.encoding_aes_key}}) {
    std::string raw;
    const std::string path = fmt::format("{}.{}", where, key);
    read(t, key, path, raw, p);
    if (raw.empty()) continue;
    auto s = resolve_secret(raw, path, env);
    if (s) {
      *target = std::move(*s);
    } else {
      p.add(s.error().message);
    }
  }
}

}  // namespace

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<Secret> resolve_secret(std::string_view value, std::string_view key, const Environment& env) {
  if (value.rfind("env:", 0) == 0) {
    const auto name = value.substr(4);
    auto v = env(name);
    if (!v || v->empty()) {
      return unexpected(ErrorCode::kInvalidArgument, fmt::format("{}: environment variable {} is not set", key, name));
    }
    return Secret(std::move(*v));
  }
  if (value.rfind("file:", 0) == 0) {
    const std::string path(value.substr(5));
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line) || line.empty()) {
      return unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("{}: cannot read a secret from the first line of {}", key, path));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return Secret(std::move(line));
  }
  return Secret(std::string(value));
}

Result<const AccountConfig*> Config::account(std::string_view appid) const {
  std::string known;
  for (const auto& a : accounts) {
    if (!appid.empty() && a.appid == appid) return &a;
    known += (known.empty() ? "" : ", ") + a.appid;
  }
  if (appid.empty() && accounts.size() == 1) return &accounts.front();
  if (accounts.empty()) {
    return unexpected(ErrorCode::kInvalidArgument,
                      "no account is configured: give --appid and --secret, set QRSCENE_APPID and QRSCENE_SECRET, "
                      "or add [[accounts]] to the config file");
  }
  if (appid.empty()) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("{} accounts are configured ({}): say which with --appid", accounts.size(), known));
  }
  return unexpected(ErrorCode::kNotFound, fmt::format("no account {} in the configuration (configured: {})", appid, known));
}

Result<Config> parse_config(std::string_view text, std::string_view source, const Environment& env) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("{}:{}:{}: {}", source, e.source().begin.line, e.source().begin.column,
                                  e.description()));
  }
  Config c;
  Problems p;
  reject_unknown(root, {"wechat", "accounts"}, "", p);

  if (const toml::node* w = root.get("wechat")) {
    if (const auto* t = w->as_table()) {
      reject_unknown(*t, {"api_base", "mp_base", "token_mode", "timeout_ms"}, "wechat.", p);
      read(*t, "api_base", "wechat.api_base", c.wechat.api_base, p);
      read(*t, "mp_base", "wechat.mp_base", c.wechat.mp_base, p);
      read(*t, "token_mode", "wechat.token_mode", c.wechat.token_mode, p);
      read(*t, "timeout_ms", "wechat.timeout_ms", c.wechat.timeout_ms, p);
    } else {
      p.add("wechat: must be a table ([wechat])");
    }
  }
  if (const toml::node* a = root.get("accounts")) {
    if (const auto* arr = a->as_array()) {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string where = fmt::format("accounts[{}]", i + 1);
        if (const auto* t = arr->get(i)->as_table()) {
          read_account(*t, where, env, c.accounts.emplace_back(), p);
        } else {
          p.add("{}: must be a table ([[accounts]])", where);
        }
      }
    } else {
      p.add("accounts: must be an array of tables ([[accounts]])");
    }
  }

  // The environment overrides the file.
  override_from_env(env, "QRSCENE_WECHAT_API_BASE", c.wechat.api_base);
  override_from_env(env, "QRSCENE_WECHAT_MP_BASE", c.wechat.mp_base);
  override_from_env(env, "QRSCENE_WECHAT_TOKEN_MODE", c.wechat.token_mode);
  if (auto v = env("QRSCENE_WECHAT_TIMEOUT_MS")) {
    try {
      c.wechat.timeout_ms = std::stoll(*v);
    } catch (const std::exception&) {
      p.add("QRSCENE_WECHAT_TIMEOUT_MS: must be an integer, got '{}'", *v);
    }
  }
  if (c.accounts.empty()) {
    if (auto appid = env("QRSCENE_APPID")) {
      AccountConfig& a = c.accounts.emplace_back();
      a.appid = *appid;
      override_from_env(env, "QRSCENE_TOKEN", a.token);
      override_from_env(env, "QRSCENE_MODE", a.mode);
      for (const auto& [name, target] :
           {std::pair{"QRSCENE_SECRET", &a.secret}, std::pair{"QRSCENE_ENCODING_AES_KEY", &a.encoding_aes_key}}) {
        if (auto v = env(name)) {
          auto s = resolve_secret(*v, name, env);
          if (s) {
            *target = std::move(*s);
          } else {
            p.add(s.error().message);
          }
        }
      }
    }
  }

  c.wechat.api_base = strip_trailing_slash(c.wechat.api_base);
  c.wechat.mp_base = strip_trailing_slash(c.wechat.mp_base);
  check_base_url(c.wechat.api_base, "wechat.api_base", p);
  check_base_url(c.wechat.mp_base, "wechat.mp_base", p);
  if (c.wechat.token_mode != "stable" && c.wechat.token_mode != "classic") {
    p.add("wechat.token_mode: must be stable or classic, got '{}'", c.wechat.token_mode);
  }
  if (c.wechat.timeout_ms < 100 || c.wechat.timeout_ms > 60'000) {
    p.add("wechat.timeout_ms: must be 100..60000, got {}", c.wechat.timeout_ms);
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < c.accounts.size(); ++i) {
    const std::string where = fmt::format("accounts[{}]", i + 1);
    check_account(c.accounts[i], where, p);
    if (!c.accounts[i].appid.empty() && !seen.insert(c.accounts[i].appid).second) {
      p.add("{}.appid: {} is configured twice", where, c.accounts[i].appid);
    }
  }

  if (!p.lines.empty()) {
    std::string message = fmt::format("{}: {} problem{}", source, p.lines.size(), p.lines.size() == 1 ? "" : "s");
    for (const auto& l : p.lines) message += "\n  " + l;
    return unexpected(ErrorCode::kInvalidArgument, std::move(message));
  }
  return c;
}

Result<Config> load_config(const std::string& path, const Environment& env) {
  if (path.empty()) return parse_config("", "(no config file)", env);
  std::ifstream in(path);
  if (!in) return unexpected(ErrorCode::kNotFound, fmt::format("cannot read the config file {}", path));
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_config(buf.str(), path, env);
}

}  // namespace qrscene::config
