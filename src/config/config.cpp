#include "config/config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <cctype>
#include <charconv>
#include <type_traits>
#include <variant>
#include <toml++/toml.h>

#include "base/ip_address.h"

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

// A setting with a few named values, read as text and chosen once, here (an unknown name is a problem).
template <class E>
E choose(const std::string& given, std::initializer_list<E> values, std::string_view path, Problems& p) {
  std::string names;
  for (E v : values) {
    if (given == to_string(v)) return v;
    names += names.empty() ? "" : " or ";
    names += to_string(v);
  }
  p.add("{}: must be {}, got '{}'", path, names, given);
  return *values.begin();
}

using Target = std::variant<std::string*, std::int64_t*, bool*, Secret*>;
struct Key {
  std::string_view name;
  Target target;
};

std::string env_name(std::string_view section, std::string_view key) {
  std::string name = fmt::format("QRSCENE_{}_{}", section, key);
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
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

void set_secret(std::string_view raw, std::string_view path, const Environment& env, Secret& out, Problems& p) {
  if (raw.empty()) return;
  auto s = resolve_secret(raw, path, env);
  if (s) {
    out = std::move(*s);
  } else {
    p.add(s.error().message);
  }
}

// Reads a [section] from the file, then lets QRSCENE_<SECTION>_<KEY> override each key.
void read_section(const toml::table& root, std::string_view section, const std::vector<Key>& keys,
                  const Environment& env, Problems& p) {
  if (const toml::node* n = root.get(section)) {
    if (const auto* t = n->as_table()) {
      for (const auto& [k, v] : *t) {
        bool ok = false;
        for (const auto& key : keys) ok = ok || k.str() == key.name;
        if (!ok) p.add("{}.{}: unknown key (docs/configuration.md lists the keys)", section, k.str());
      }
      for (const auto& key : keys) {
        const std::string path = fmt::format("{}.{}", section, key.name);
        std::visit(
            [&](auto* target) {
              using T = std::remove_pointer_t<decltype(target)>;
              if constexpr (std::is_same_v<T, Secret>) {
                std::string raw;
                read(*t, key.name, path, raw, p);
                set_secret(raw, path, env, *target, p);
              } else if constexpr (std::is_same_v<T, bool>) {
                if (const toml::node* b = t->get(key.name)) {
                  if (const auto* v = b->as_boolean()) {
                    *target = v->get();
                  } else {
                    p.add("{}: must be true or false", path);
                  }
                }
              } else {
                read(*t, key.name, path, *target, p);
              }
            },
            key.target);
      }
    } else {
      p.add("{}: must be a table ([{}])", section, section);
    }
  }
  for (const auto& key : keys) {
    const std::string name = env_name(section, key.name);
    auto v = env(name);
    if (!v) continue;
    std::visit(
        [&](auto* target) {
          using T = std::remove_pointer_t<decltype(target)>;
          if constexpr (std::is_same_v<T, std::string>) {
            *target = *v;
          } else if constexpr (std::is_same_v<T, Secret>) {
            set_secret(*v, name, env, *target, p);
          } else if constexpr (std::is_same_v<T, bool>) {
            if (*v == "true" || *v == "1") {
              *target = true;
            } else if (*v == "false" || *v == "0") {
              *target = false;
            } else {
              p.add("{}: must be true or false, got '{}'", name, *v);
            }
          } else {
            std::int64_t parsed = 0;
            const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), parsed);
            if (ec != std::errc() || end != v->data() + v->size()) {
              p.add("{}: must be an integer, got '{}'", name, *v);
            } else {
              *target = parsed;
            }
          }
        },
        key.target);
  }
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
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
  const std::string& previous = a.previous_encoding_aes_key.reveal();
  if (!previous.empty() && previous.size() != 43) {
    p.add("{}.previous_encoding_aes_key: must be 43 characters, like encoding_aes_key", where);
  }
  if (!previous.empty() && a.previous_key_until == 0) {
    p.add("{}.previous_key_until: needed with previous_encoding_aes_key (when the old key stops being accepted)", where);
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
  reject_unknown(t, {"appid", "name", "secret", "token", "encoding_aes_key", "mode", "original_id",
                     "previous_encoding_aes_key", "previous_key_until"},
                 fmt::format("{}.", where), p);
  if (const toml::node* until = t.get("previous_key_until")) {
    if (const auto* dt = until->as_date_time(); dt != nullptr && dt->get().offset) {
      const auto& v = dt->get();
      a.previous_key_until = days_from_civil(v.date.year, v.date.month, v.date.day) * 86'400 + v.time.hour * 3'600 +
                             v.time.minute * 60 + v.time.second - std::int64_t{v.offset->minutes} * 60;
    } else {
      p.add("{}.previous_key_until: must be a date-time with its offset, like 2026-12-01T00:00:00+08:00", where);
    }
  }
  read(t, "appid", fmt::format("{}.appid", where), a.appid, p);
  read(t, "name", fmt::format("{}.name", where), a.name, p);
  read(t, "token", fmt::format("{}.token", where), a.token, p);
  read(t, "mode", fmt::format("{}.mode", where), a.mode, p);
  read(t, "original_id", fmt::format("{}.original_id", where), a.original_id, p);
  for (const auto& [key, target] : {std::pair{"secret", &a.secret}, std::pair{"encoding_aes_key", &a.encoding_aes_key},
                                    std::pair{"previous_encoding_aes_key", &a.previous_encoding_aes_key}}) {
    std::string raw;
    const std::string path = fmt::format("{}.{}", where, key);
    read(t, key, path, raw, p);
    set_secret(raw, path, env, *target, p);
  }
}

// The settings with a few named values, read as text and chosen once all sources are read.
struct NamedValues {
  std::string token_mode, backend, on_unfollow;
};

// Each [section] and its keys; QRSCENE_<SECTION>_<KEY> overrides any of them.
void read_service_sections(const toml::table& root, const Environment& env, Config& c, NamedValues& named,
                           Problems& p) {
  read_section(root, "wechat",
               {{"api_base", &c.wechat.api_base},
                {"mp_base", &c.wechat.mp_base},
                {"token_mode", &named.token_mode},
                {"timeout_ms", &c.wechat.timeout_ms}},
               env, p);
  read_section(root, "server",
               {{"address", &c.server.address},
                {"port", &c.server.port},
                {"threads", &c.server.threads},
                {"max_body_bytes", &c.server.max_body_bytes},
                {"timestamp_window_seconds", &c.server.timestamp_window_seconds},
                {"trusted_proxies", &c.server.trusted_proxies},
                {"max_connections", &c.server.max_connections}},
               env, p);
  read_section(root, "store",
               {{"backend", &named.backend},
                {"path", &c.store.path},
                {"durable", &c.store.durable},
                {"utc_offset_minutes", &c.store.utc_offset_minutes},
                {"url", &c.store.url},
                {"writers", &c.store.writers},
                {"readers", &c.store.readers},
                {"auto_migrate", &c.store.auto_migrate},
                {"projector", &c.store.projector}},
               env, p);
  read_section(root, "redis",
               {{"url", &c.redis.url}, {"prefix", &c.redis.prefix}, {"timeout_ms", &c.redis.timeout_ms}}, env, p);
}

void read_product_sections(const toml::table& root, const Environment& env, Config& c, NamedValues& named,
                           Problems& p) {
  read_section(root, "privacy", {{"on_unfollow", &named.on_unfollow}}, env, p);
  read_section(root, "replies", {{"organic_subscribe", &c.replies.organic_subscribe}}, env, p);
  read_section(root, "jobs",
               {{"webhook_url", &c.jobs.webhook_url},
                {"webhook_secret", &c.jobs.webhook_secret},
                {"max_attempts", &c.jobs.max_attempts},
                {"renew_ahead_hours", &c.jobs.renew_ahead_hours},
                {"profile_followers", &c.jobs.profile_followers},
                {"forward_kinds", &c.jobs.forward_kinds}},
               env, p);
  read_section(root, "conversions", {{"currency", &c.conversions.currency}}, env, p);
  read_section(root, "admin",
               {{"token_sha256", &c.admin.token_sha256}, {"failures_per_minute", &c.admin.failures_per_minute}}, env, p);
  read_section(root, "login",
               {{"public", &c.login.public_sessions},
                {"session_seconds", &c.login.session_seconds},
                {"sessions_per_minute_per_ip", &c.login.sessions_per_minute_per_ip},
                {"code_cooldown_seconds", &c.login.code_cooldown_seconds},
                {"exchange_seconds", &c.login.exchange_seconds},
                {"channel", &c.login.channel},
                {"cookie_secure", &c.login.cookie_secure},
                {"reply_logged_in", &c.login.reply_logged_in},
                {"reply_bound", &c.login.reply_bound},
                {"reply_denied", &c.login.reply_denied},
                {"reply_expired", &c.login.reply_expired},
                {"reply_already_bound", &c.login.reply_already_bound},
                {"confirm_prompt", &c.login.confirm_prompt},
                {"confirm_hint", &c.login.confirm_hint}},
               env, p);
}

void read_accounts(const toml::table& root, const Environment& env, std::vector<AccountConfig>& accounts, Problems& p) {
  if (const toml::node* a = root.get("accounts")) {
    if (const auto* arr = a->as_array()) {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string where = fmt::format("accounts[{}]", i + 1);
        if (const auto* t = arr->get(i)->as_table()) {
          read_account(*t, where, env, accounts.emplace_back(), p);
        } else {
          p.add("{}: must be a table ([[accounts]])", where);
        }
      }
    } else {
      p.add("accounts: must be an array of tables ([[accounts]])");
    }
  }
}

// With no [[accounts]] in the file, one account from QRSCENE_APPID and its companions.
void read_account_from_env(const Environment& env, std::vector<AccountConfig>& accounts, Problems& p) {
  if (auto appid = env("QRSCENE_APPID")) {
    AccountConfig& a = accounts.emplace_back();
    a.appid = *appid;
    override_from_env(env, "QRSCENE_TOKEN", a.token);
    override_from_env(env, "QRSCENE_MODE", a.mode);
    for (const auto& [name, target] :
         {std::pair{"QRSCENE_SECRET", &a.secret}, std::pair{"QRSCENE_ENCODING_AES_KEY", &a.encoding_aes_key}}) {
      if (auto v = env(name)) set_secret(*v, name, env, *target, p);
    }
  }
}

void settle_wechat_hosts_and_choices(const NamedValues& named, Config& c, Problems& p) {
  c.wechat.api_base = strip_trailing_slash(c.wechat.api_base);
  c.wechat.mp_base = strip_trailing_slash(c.wechat.mp_base);
  check_base_url(c.wechat.api_base, "wechat.api_base", p);
  check_base_url(c.wechat.mp_base, "wechat.mp_base", p);
  c.wechat.token_mode = choose(named.token_mode, {TokenMode::kStable, TokenMode::kClassic}, "wechat.token_mode", p);
  c.store.backend = choose(named.backend, {StoreBackend::kSqlite, StoreBackend::kPostgres}, "store.backend", p);
  c.privacy.on_unfollow =
      choose(named.on_unfollow, {OnUnfollow::kPseudonymize, OnUnfollow::kDelete}, "privacy.on_unfollow", p);
}

void check_wechat_and_server(const Config& c, Problems& p) {
  if (c.wechat.timeout_ms < 100 || c.wechat.timeout_ms > 60'000) {
    p.add("wechat.timeout_ms: must be 100..60000, got {}", c.wechat.timeout_ms);
  }
  if (c.server.port < 0 || c.server.port > 65535) p.add("server.port: must be 0..65535, got {}", c.server.port);
  if (c.server.threads < 1 || c.server.threads > 256) p.add("server.threads: must be 1..256, got {}", c.server.threads);
  if (c.server.max_body_bytes < 1024 || c.server.max_body_bytes > 1024 * 1024) {
    p.add("server.max_body_bytes: must be 1024..1048576, got {}", c.server.max_body_bytes);
  }
  if (c.server.timestamp_window_seconds < 30 || c.server.timestamp_window_seconds > 86'400) {
    p.add("server.timestamp_window_seconds: must be 30..86400, got {}", c.server.timestamp_window_seconds);
  }
  if (auto proxies = TrustedProxies::parse(c.server.trusted_proxies); !proxies) {
    p.add("server.trusted_proxies: {} (give addresses or CIDR networks, like \"127.0.0.1, 10.0.0.0/8\")",
          proxies.error().message);
  }
  if (c.server.max_connections < 0 || c.server.max_connections > 1'000'000) {
    p.add("server.max_connections: must be 0 (below the open-files limit) or 1..1000000, got {}",
          c.server.max_connections);
  }
}

void check_store_and_redis(const Config& c, Problems& p) {
  if (c.store.backend == StoreBackend::kSqlite && c.store.path.empty()) p.add("store.path: must name the SQLite file");
  if (c.store.backend == StoreBackend::kPostgres && c.store.url.empty()) {
    p.add("store.url: backend = \"postgres\" needs a connection string, e.g. "
          "\"env:QRSCENE_DATABASE_URL\" holding postgresql://qrscene:…@db:5432/qrscene");
  }
  if (c.store.writers < 1 || c.store.writers > 64) p.add("store.writers: must be 1..64, got {}", c.store.writers);
  if (c.store.readers < 1 || c.store.readers > 64) p.add("store.readers: must be 1..64, got {}", c.store.readers);
  if (!c.redis.url.empty() && !c.redis.url.reveal().starts_with("redis://") &&
      !c.redis.url.reveal().starts_with("unix:")) {
    p.add("redis.url: must start with redis:// (or unix: for a socket path)");
  }
  if (c.redis.timeout_ms < 10 || c.redis.timeout_ms > 60'000) {
    p.add("redis.timeout_ms: must be 10..60000, got {}", c.redis.timeout_ms);
  }
  if (c.store.utc_offset_minutes < -720 || c.store.utc_offset_minutes > 840) {
    p.add("store.utc_offset_minutes: must be -720..840, got {}", c.store.utc_offset_minutes);
  }
}

void check_forwarding(const JobsOptions& jobs, Problems& p) {
  if (!jobs.webhook_url.empty()) {
    check_base_url(jobs.webhook_url, "jobs.webhook_url", p);
    if (jobs.webhook_secret.empty()) p.add("jobs.webhook_secret: needed with webhook_url (the receiver checks the HMAC)");
  }
  for (const auto& kind : jobs.forwarded_kinds()) {
    if (kind.size() > 64 || kind.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                                std::string::npos) {
      p.add("jobs.forward_kinds: '{}' is not a WeChat Event or MsgType name (like CLICK or TEMPLATESENDJOBFINISH)",
            kind);
    }
  }
  if (!jobs.forward_kinds.empty() && jobs.webhook_url.empty()) {
    p.add("jobs.forward_kinds: needs webhook_url (the kinds are stored only to be forwarded)");
  }
}

void check_login(const LoginConfig& login, Problems& p) {
  if (login.session_seconds < 30 || login.session_seconds > 1800) {
    p.add("login.session_seconds: must be 30..1800, got {}", login.session_seconds);
  }
  if (login.sessions_per_minute_per_ip < 1 || login.sessions_per_minute_per_ip > 10'000) {
    p.add("login.sessions_per_minute_per_ip: must be 1..10000, got {}", login.sessions_per_minute_per_ip);
  }
  if (login.code_cooldown_seconds < 0 || login.code_cooldown_seconds > 86'400) {
    p.add("login.code_cooldown_seconds: must be 0..86400, got {}", login.code_cooldown_seconds);
  }
  if (login.exchange_seconds < 30 || login.exchange_seconds > 3600) {
    p.add("login.exchange_seconds: must be 30..3600, got {}", login.exchange_seconds);
  }
  if (login.channel.empty() || login.channel.size() > 64) p.add("login.channel: a channel name of 1..64 bytes");
  if (login.cookie_secure != "auto" && login.cookie_secure != "always" && login.cookie_secure != "never") {
    p.add("login.cookie_secure: auto, always or never, got '{}'", login.cookie_secure);
  }
}

void check_jobs_conversions_and_admin(const Config& c, Problems& p) {
  if (c.jobs.max_attempts < 1 || c.jobs.max_attempts > 100) {
    p.add("jobs.max_attempts: must be 1..100, got {}", c.jobs.max_attempts);
  }
  if (c.conversions.currency.size() != 3 ||
      c.conversions.currency.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
    p.add("conversions.currency: '{}' is not an ISO 4217 code such as CNY", c.conversions.currency);
  }
  if (c.jobs.renew_ahead_hours < 1 || c.jobs.renew_ahead_hours > 24 * 29) {
    p.add("jobs.renew_ahead_hours: must be 1..696 (under 29 days), got {}", c.jobs.renew_ahead_hours);
  }
  if (c.admin.failures_per_minute < 1 || c.admin.failures_per_minute > 1'000'000) {
    p.add("admin.failures_per_minute: must be 1..1000000, got {}", c.admin.failures_per_minute);
  }
  // The hashes of tokens anyone would try first (and of the old sample in docs/configuration.md,
  // "test"): the admin API behind one of them is open to all.
  static const std::map<std::string_view, std::string_view> kGuessable = {
      {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "an empty token"},
      {"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "'test'"},
      {"8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918", "'admin'"},
      {"5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "'password'"},
      {"8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92", "'123456'"},
      {"ef797c8118f02dfb649607dd5d3f8c7623048c9c063d532cc95c5ed7a898a64f", "'12345678'"},
      {"a8b5bc26b75d319895e0532d0b690cc3908b27ef29669e106328e745f1c7bce3", "'qrscene'"},
      {"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", "'secret'"},
      {"3c469e9d6c5875d37a43f353d4f88e61fcf812c66eee3457465a40b0da4153e0", "'token'"},
      {"057ba03d6c44104863dc7361fe4578965d1887360f90a0895882e58a6248fc86", "'changeme'"},
  };
  for (const auto& h : c.admin.token_hashes()) {
    if (h.size() != 64 || h.find_first_not_of("0123456789abcdef") != std::string::npos) {
      p.add("admin.token_sha256: '{}' is not a SHA-256 in lowercase hex (64 characters): `qrscene admin-token` "
            "prints one", h);
    } else if (auto it = kGuessable.find(h); it != kGuessable.end()) {
      p.add("admin.token_sha256: '{}…' is the SHA-256 of {}, a token anyone can guess: make one with `qrscene "
            "admin-token` and use the line it prints", h.substr(0, 12), it->second);
    }
  }
}

void check_accounts(const std::vector<AccountConfig>& accounts, Problems& p) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const std::string where = fmt::format("accounts[{}]", i + 1);
    check_account(accounts[i], where, p);
    if (!accounts[i].appid.empty() && !seen.insert(accounts[i].appid).second) {
      p.add("{}.appid: {} is configured twice", where, accounts[i].appid);
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

std::string_view to_string(TokenMode mode) noexcept { return mode == TokenMode::kClassic ? "classic" : "stable"; }
std::string_view to_string(StoreBackend backend) noexcept {
  return backend == StoreBackend::kPostgres ? "postgres" : "sqlite";
}
std::string_view to_string(OnUnfollow what) noexcept { return what == OnUnfollow::kDelete ? "delete" : "pseudonymize"; }

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
  NamedValues named{std::string(to_string(c.wechat.token_mode)), std::string(to_string(c.store.backend)),
                    std::string(to_string(c.privacy.on_unfollow))};
  reject_unknown(root, {"wechat", "server", "store", "redis", "privacy", "replies", "jobs", "admin", "login", "conversions",
                       "accounts"}, "", p);
  // Problems are reported in the order found: keep the order of these steps.
  read_service_sections(root, env, c, named, p);
  read_product_sections(root, env, c, named, p);
  read_accounts(root, env, c.accounts, p);
  if (c.accounts.empty()) read_account_from_env(env, c.accounts, p);

  settle_wechat_hosts_and_choices(named, c, p);
  check_wechat_and_server(c, p);
  check_store_and_redis(c, p);
  check_forwarding(c.jobs, p);
  check_login(c.login, p);
  check_jobs_conversions_and_admin(c, p);
  check_accounts(c.accounts, p);

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

namespace {

// The non-empty items of a comma-separated list, trimmed.
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t end = text.find(',', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = text.substr(at, end - at);
    const auto first = item.find_first_not_of(" \t");
    if (first != std::string_view::npos) out.emplace_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
    at = end + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> AdminOptions::token_hashes() const { return split_list(token_sha256); }

std::vector<std::string> JobsOptions::forwarded_kinds() const { return split_list(forward_kinds); }

}  // namespace qrscene::config
