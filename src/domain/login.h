// Login: scan to log in, or to bind a website account, with a temporary string-scene code per
// browser session (DESIGN.md section 1.5, docs/login.md). What a scan or a text answer does to a
// session is decided here, purely; the store looks the session up and writes the decision in the
// same transaction as the event, so the reply WeChat shows and the state the browser reads agree.
//
// A session moves pending → scanned → confirmed | denied, or expires; its result is delivered to
// the browser once, then it is consumed. Scenes start with kLoginScenePrefix, which channels may not
// use, so a login scene is never a channel's.
//
// Thread safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/ingest.h"

namespace qrscene::domain {

inline constexpr std::string_view kLoginScenePrefix = "qrl_";

// Whether an event cannot concern a login session: neither a scan of a login code nor a text
// message (an answer to a session's question). Decided before the answer all the same.
[[nodiscard]] inline bool login_free(const Event& e) noexcept {
  const bool scan = e.kind == EventKind::kSubscribe || e.kind == EventKind::kScan;
  return !(scan && e.scene.starts_with(kLoginScenePrefix)) && !(e.kind == EventKind::kOther && e.name == "text");
}

enum class LoginPurpose : std::uint8_t { kLogin, kBind };
enum class LoginState : std::uint8_t { kPending, kScanned, kConfirmed, kDenied, kExpired };

[[nodiscard]] std::string_view to_string(LoginPurpose purpose) noexcept;
[[nodiscard]] std::string_view to_string(LoginState state) noexcept;
[[nodiscard]] std::optional<LoginPurpose> login_purpose_from(std::string_view text) noexcept;
[[nodiscard]] std::optional<LoginState> login_state_from(std::string_view text) noexcept;
[[nodiscard]] constexpr bool is_final(LoginState s) noexcept {
  return s == LoginState::kConfirmed || s == LoginState::kDenied || s == LoginState::kExpired;
}

struct LoginSession {
  std::string id;             // 128-bit random, hex
  std::string appid;
  LoginPurpose purpose = LoginPurpose::kLogin;
  std::string user_id;        // bind: the website's user; login: the user the openid is bound to
  std::string secret_sha256;  // the browser's secret, hashed
  bool confirm_in_wechat = false;
  std::string requester_ip;
  std::string requester_agent;  // a short description of the browser ("Chrome on Windows")
  std::int64_t channel_id = 0;  // the login page's channel: scans are credited to it
  std::string scene;            // "" until the code is first shown
  LoginState state = LoginState::kPending;
  std::string openid;           // who scanned (once scanned)
  std::string reason;           // why denied ("denied in WeChat", "already bound", …)
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::int64_t delivered_at = 0;  // 0: the result has not been read yet
  std::int64_t version = 0;       // +1 on every change: what waiters compare
};

// The state as of `now`: an undecided session past its expiry is expired.
[[nodiscard]] LoginState effective_state(const LoginSession& session, std::int64_t now) noexcept;

// The texts a follower is answered ({browser} and {ip} in the prompt name the requester).
struct LoginTexts {
  std::string logged_in = "登录成功";
  std::string bound = "绑定成功";
  std::string denied = "已拒绝本次登录";
  std::string expired = "二维码已过期，请刷新网页后重新扫码";
  std::string already_bound = "该微信已绑定其他帐号，不能重复绑定";
  std::string prompt = "{browser}（IP {ip}）请求使用你的微信登录。回复 1 确认，回复 0 拒绝；不是你本人请回复 0。";
  std::string answer_hint = "请回复 1 确认登录，或回复 0 拒绝";
};

// What the store found for an event that may concern a login.
struct LoginContext {
  // Scan or subscribe with a login scene: the session holding the code at the event's time.
  // Text: the session waiting for this follower's answer in WeChat.
  std::optional<LoginSession> session;
  bool login_scene = false;          // the event carried a login scene (held or not)
  std::string bound_user;            // the website user this openid is bound to ("" = none)
};

struct LoginPlan {
  bool handled = false;              // the event concerned a login (its reply replaces the channel's)
  bool change = false;               // the session changes (write state/openid/reason/user, version+1)
  LoginState state = LoginState::kPending;
  std::string openid;
  std::string user_id;               // the result's user (bind: the session's; login: the bound one)
  std::string reason;
  bool write_binding = false;        // bind confirmed: openid ↔ user_id
  bool release_code = false;         // the session is decided: its code may serve another session
  ReplyChoice reply;
};

// The follower's text answer to a confirmation prompt: yes, no, or neither.
enum class LoginAnswer : std::uint8_t { kYes, kNo, kUnclear };
[[nodiscard]] LoginAnswer parse_login_answer(std::string_view text) noexcept;

// "Chrome on Windows" from a User-Agent (for the prompt; never trusted for anything else).
[[nodiscard]] std::string describe_browser(std::string_view user_agent);

// Expiry is judged at the event's CreateTime: a scan made in time counts even if WeChat's retry
// of it arrives a little later.
[[nodiscard]] LoginPlan plan_login(const Event& event, const LoginContext& context, const LoginTexts& texts);

}  // namespace qrscene::domain
