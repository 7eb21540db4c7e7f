// LoginService: scan to log in, or to bind a website account (docs/login.md, DESIGN.md 1.5).
//
// A session is made for one browser with a 128-bit random id and a 128-bit secret that only that
// browser holds (stored as SHA-256); nothing about it is readable without the secret. Its QR code
// is made lazily, when the browser first asks for the image: a temporary string-scene code from a
// pool of the account's login codes, lent to one session at a time and rested for a cooldown after,
// so WeChat is asked for a new code only when no pooled one is free and lives long enough. The scan
// (and, with confirm_in_wechat, the follower's answer) is decided inside ingest's transaction; the
// browser's waiters are woken at once on this instance and, on any other instance sharing the
// store, by a poll of the sessions' versions (every poll_interval while anybody waits). The final
// state is delivered once; a confirmed one carries an exchange code the website's backend redeems
// (once, with the admin token) for the openid and bound user.
//
// Errors: kInvalidArgument naming each bad field; kNotFound for an unknown session or account;
// kUnauthenticated for a missing or wrong secret (the same answer for both, and for an unknown
// id, so ids cannot be probed); kFailedPrecondition when the session is over; WeChat's and the
// store's errors as they come.
// Thread safety: all methods may be called concurrently; wait() from coroutines on any executor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/ports.h"
#include "net/asio.h"
#include "service/channel_service.h"
#include "wechat/account_clients.h"

namespace qrscene::service {

struct LoginOptions {
  std::int64_t session_seconds = 300;          // default life of a session
  std::int64_t code_seconds = 2'592'000;       // life asked of WeChat for a login code (30 days)
  std::int64_t code_cooldown_seconds = 60;     // a decided or expired session's code rests this long
  std::int64_t exchange_seconds = 300;         // the backend redeems the exchange code within this
  std::string channel_name = "login";          // the channel login scans are credited to by default
  std::chrono::milliseconds poll_interval{250};  // how often other instances' changes are looked for
};

struct NewLoginSession {
  std::string appid;
  domain::LoginPurpose purpose = domain::LoginPurpose::kLogin;
  std::string user_id;  // bind only
  bool confirm_in_wechat = false;
  std::optional<std::int64_t> channel_id;       // none: the account's login channel
  std::optional<std::int64_t> expires_in;        // seconds, 30..1800
  std::string requester_ip;
  std::string requester_agent;                   // a User-Agent
};

struct CreatedLoginSession {
  domain::LoginSession session;
  std::string secret;  // given to the browser once; only its hash is kept
};

// What the browser reads when the session is over.
struct LoginResult {
  domain::LoginSession session;
  domain::LoginState state = domain::LoginState::kExpired;
  std::string exchange_code;  // confirmed only
};

[[nodiscard]] std::string to_json(const LoginResult& result, std::int64_t exchange_seconds);
// A session still undecided, as the browser sees it (no openid, no secret).
[[nodiscard]] std::string progress_json(const domain::LoginSession& session, domain::LoginState state);

class LoginService {
 public:
  LoginService(domain::LoginRepository& sessions, ChannelService& channels, wechat::AccountClients& clients,
               const Clock& clock, LoginOptions options = {});
  ~LoginService();  // stop()
  LoginService(const LoginService&) = delete;
  LoginService& operator=(const LoginService&) = delete;

  [[nodiscard]] const LoginOptions& options() const noexcept { return options_; }

  [[nodiscard]] Result<CreatedLoginSession> create(const NewLoginSession& request);
  // The session, if `secret` is its secret.
  [[nodiscard]] Result<domain::LoginSession> open(std::string_view id, std::string_view secret);
  [[nodiscard]] Result<domain::LoginSession> reload(std::string_view id);
  // The session's QR code (its url), lent or made on first use. kFailedPrecondition once it is over.
  [[nodiscard]] Result<std::string> code_url(const domain::LoginSession& session);
  // Marks the over session delivered and returns its result; kFailedPrecondition when it was
  // delivered before (a result is delivered once) or is not over.
  [[nodiscard]] Result<LoginResult> deliver(const domain::LoginSession& session);
  // The website's backend: the confirmed session behind an exchange code, once.
  [[nodiscard]] Result<domain::LoginSession> redeem(std::string_view exchange_code);

  // Returns when the session's version is no longer `seen`, at `deadline`, or when the service
  // stops (false then).
  asio::awaitable<bool> wait(std::string id, std::int64_t seen, std::chrono::steady_clock::time_point deadline);
  // The session changed on this instance: wake its waiters now.
  void notify(std::string_view id);
  [[nodiscard]] std::size_t waiting() const;
  // Waiters woken by a change on this instance, and by the poll (a change made elsewhere).
  struct Wakeups {
    std::int64_t local = 0;
    std::int64_t poll = 0;
  };
  [[nodiscard]] Wakeups wakeups() const;
  // Wakes every waiter and refuses new ones.
  void stop();

 private:
  struct Waiter {
    std::string id;
    std::int64_t seen = 0;
    std::shared_ptr<asio::steady_timer> timer;
  };
  Result<std::int64_t> login_channel(std::string_view appid);
  void poll_loop();
  void wake(const std::shared_ptr<asio::steady_timer>& timer);

  domain::LoginRepository& sessions_;
  ChannelService& channels_;
  wechat::AccountClients& clients_;
  const Clock& clock_;
  LoginOptions options_;
  std::mutex channel_mu_;
  std::mutex code_mu_;  // one code lent or made at a time: a session never gets two
  std::map<std::string, std::int64_t, std::less<>> login_channels_;  // appid → channel id
  mutable std::mutex mu_;
  std::condition_variable poll_wake_;
  std::map<std::uint64_t, Waiter> waiters_;
  std::uint64_t next_waiter_ = 0;
  Wakeups wakeups_;  // guarded by mu_
  bool stopping_ = false;
  std::thread poller_;
};

}  // namespace qrscene::service
