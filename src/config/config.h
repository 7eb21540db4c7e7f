// Config: qrscene.toml turned into checked option structs (docs/configuration.md documents every
// key). Unknown keys are errors, so a typo never silently falls back to a default.
//
// Precedence: built-in defaults < the file < QRSCENE_* environment variables < command-line flags
// (the flags are applied by the caller). Environment variables name a key by its path, upper
// case, dots as '_': QRSCENE_WECHAT_API_BASE overrides [wechat] api_base. The first account can
// also be given entirely by QRSCENE_APPID, QRSCENE_SECRET, QRSCENE_TOKEN, QRSCENE_ENCODING_AES_KEY,
// QRSCENE_MODE when the file has none.
//
// Secrets (secret, encoding_aes_key) may be written as "env:NAME" (read from the environment)
// or "file:PATH" (the file's first line); a literal is accepted too, but the repo and the logs
// must never see one.
//
// Errors: kInvalidArgument listing every problem, one per line, each naming its key
// ("accounts[1].mode: must be plain, compatible or safe"); kNotFound for a missing file.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/redact.h"
#include "base/result.h"

namespace qrscene::config {

// Where settings from the environment come from (tests pass a map).
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
[[nodiscard]] Environment process_environment();

// The settings that name one of a few choices, parsed once at load (their TOML spelling is to_string's).
enum class TokenMode : std::uint8_t { kStable, kClassic };         // [wechat] token_mode
enum class StoreBackend : std::uint8_t { kSqlite, kPostgres };     // [store] backend
enum class OnUnfollow : std::uint8_t { kPseudonymize, kDelete };   // [privacy] on_unfollow
[[nodiscard]] std::string_view to_string(TokenMode mode) noexcept;
[[nodiscard]] std::string_view to_string(StoreBackend backend) noexcept;
[[nodiscard]] std::string_view to_string(OnUnfollow what) noexcept;

struct WechatOptions {
  std::string api_base = "https://api.weixin.qq.com";
  std::string mp_base = "https://mp.weixin.qq.com";
  TokenMode token_mode = TokenMode::kStable;
  std::int64_t timeout_ms = 5'000;
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::int64_t port = 8080;
  std::int64_t threads = 2;                     // I/O threads
  std::int64_t max_body_bytes = 64 * 1024;      // callback bodies beyond → 413
  std::int64_t timestamp_window_seconds = 300;  // a push's timestamp may be this far off our clock
  // Proxies (addresses, CIDR networks; comma-separated) whose X-Forwarded-For names the client.
  // "" trusts none: the TCP peer is the client. Behind nginx on this machine: "127.0.0.1, ::1".
  std::string trusted_proxies;
  std::int64_t max_connections = 0;  // 0: below the open-files limit (raised to its hard limit)
};

struct StoreOptions {
  StoreBackend backend = StoreBackend::kSqlite;  // sqlite (one machine) | postgres (many instances)
  std::string path = "qrscene.db";  // SQLite file
  bool durable = true;              // synchronous=FULL: a committed event survives power loss
  std::int64_t utc_offset_minutes = 480;  // the days of the statistics (Beijing)
  Secret url;                       // postgres: libpq connection string (may hold a password)
  std::int64_t writers = 4;         // postgres: connections committing events
  std::int64_t readers = 4;         // postgres: connections for everything else
  bool auto_migrate = true;         // false: refuse to start on a schema `qrscene migrate` must upgrade
  bool projector = true;            // false: answer pushes, never apply the log (another instance does)
};

struct RedisOptions {
  Secret url;                       // redis://[:password@]host:port[/db]; "" = no Redis
  std::string prefix = "qrscene:";  // every key starts with it
  std::int64_t timeout_ms = 500;    // connect and command timeout
};

struct PrivacyOptions {
  OnUnfollow on_unfollow = OnUnfollow::kPseudonymize;
};

struct RepliesOptions {
  std::string organic_subscribe;  // text for a follow without a channel ("" = success)
};

struct JobsOptions {
  std::string webhook_url;  // "" = no forwarding
  Secret webhook_secret;
  std::int64_t max_attempts = 8;
  std::int64_t renew_ahead_hours = 24;  // evergreen temporary codes
  bool profile_followers = true;         // fetch each new follower's unionid and tags (user/info)
  // Kinds nothing in qrscene reads that the webhook still wants, comma-separated WeChat Event or
  // MsgType names ("CLICK, TEMPLATESENDJOBFINISH"): only these of them are stored and forwarded.
  std::string forward_kinds;
  [[nodiscard]] std::vector<std::string> forwarded_kinds() const;
};

// Conversions sent by the account's backend (docs/metrics.md).
struct ConversionsOptions {
  std::string currency = "CNY";  // what a conversion without a currency is in, and reports show
};

// Scan to log in (docs/login.md). The texts are what a follower is answered in WeChat.
struct LoginConfig {
  bool public_sessions = true;           // anybody may start a login session (bind needs the admin token)
  std::int64_t session_seconds = 300;    // 30..1800
  std::int64_t sessions_per_minute_per_ip = 10;
  std::int64_t code_cooldown_seconds = 60;
  std::int64_t exchange_seconds = 300;   // 30..3600
  std::string channel = "login";         // the channel login scans are credited to (made when missing)
  std::string cookie_secure = "auto";    // auto | always | never
  std::string reply_logged_in = "登录成功";
  std::string reply_bound = "绑定成功";
  std::string reply_denied = "已拒绝本次登录";
  std::string reply_expired = "二维码已过期，请刷新网页后重新扫码";
  std::string reply_already_bound = "该微信已绑定其他帐号，不能重复绑定";
  std::string confirm_prompt = "{browser}（IP {ip}）请求使用你的微信登录。回复 1 确认，回复 0 拒绝；不是你本人请回复 0。";
  std::string confirm_hint = "请回复 1 确认登录，或回复 0 拒绝";
};

struct AdminOptions {
  // SHA-256 (hex) of each bearer token the admin API and the dashboard accept, comma-separated;
  // the tokens themselves are never stored (`qrscene admin-token` makes one and prints its hash).
  std::string token_sha256;
  // Failed sign-ins from one address in a minute before it is refused (429) for a minute.
  std::int64_t failures_per_minute = 10;
  [[nodiscard]] std::vector<std::string> token_hashes() const;
};

struct AccountConfig {
  std::string appid;
  std::string name;
  Secret secret;             // AppSecret, for the API
  std::string token;         // the callback Token (3–32 letters and digits)
  Secret encoding_aes_key;   // 43 characters; compatible and safe mode
  std::string mode = "plain";  // plain | compatible | safe
  std::string original_id;   // gh_…, the ToUserName of pushes (checked when given)
  Secret previous_encoding_aes_key;  // after a key change: still accepted until previous_key_until
  std::int64_t previous_key_until = 0;  // Unix seconds (a TOML date-time in the file)
};

struct Config {
  WechatOptions wechat;
  ServerOptions server;
  StoreOptions store;
  RedisOptions redis;
  PrivacyOptions privacy;
  RepliesOptions replies;
  JobsOptions jobs;
  AdminOptions admin;
  LoginConfig login;
  ConversionsOptions conversions;
  std::vector<AccountConfig> accounts;

  // The account with this appid; with an empty appid, the only account. Errors name the choices.
  [[nodiscard]] Result<const AccountConfig*> account(std::string_view appid) const;
};

// Parses TOML text; `source` names it in errors.
[[nodiscard]] Result<Config> parse_config(std::string_view toml, std::string_view source, const Environment& env);
// Reads and parses a file; with an empty path, defaults plus the environment.
[[nodiscard]] Result<Config> load_config(const std::string& path, const Environment& env);

// "env:NAME", "file:PATH" or a literal -> the secret. `key` names it in errors.
[[nodiscard]] Result<Secret> resolve_secret(std::string_view value, std::string_view key, const Environment& env);

}  // namespace qrscene::config
