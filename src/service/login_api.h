// LoginApi: the HTTP face of scan-to-log-in (docs/login.md, docs/api.yaml).
//
// Browser side (no admin token; the session's secret instead):
//   POST /api/v1/login-sessions                  start a login (bind needs the admin token)
//   GET  /api/v1/login-sessions/{id}/qr.png      the code to scan (made on first request)
//   GET  /api/v1/login-sessions/{id}/events      Server-Sent Events: state, then the result
//   GET  /api/v1/login-sessions/{id}/status      long poll: ?after=VERSION&wait=SECONDS
// Backend side (admin token):
//   POST /api/v1/login-sessions/exchange         exchange_code → openid and user, once
//   GET  /api/v1/login-bindings                  ?user_id= / ?openid=
//   DELETE /api/v1/login-bindings/{user_id}
//
// The secret is an HttpOnly, SameSite=Strict cookie scoped to the session's path, or — for an API
// client that asks (secret_in_body) or a backend with the admin token — a field of the answer, then
// sent as X-Login-Secret or ?secret=. New sessions are limited per client address. POST wants
// Content-Type: application/json, so another site's page cannot start one without CORS consent.
//
// Thread safety: handlers may run concurrently.
#pragma once

#include <cstddef>
#include <string>

#include "base/clock.h"
#include "net/asio.h"
#include "net/http_server.h"
#include "service/admin_gate.h"
#include "service/login_service.h"
#include "service/rate_limiter.h"

namespace qrscene::service {

struct LoginApiOptions {
  bool public_login = true;                    // anyone may start a login (bind always needs the token)
  std::size_t sessions_per_minute_per_ip = 10;
  std::string cookie_secure = "auto";          // auto (Secure when the request came over https) | always | never
  std::chrono::seconds keepalive{15};          // a comment line on an idle event stream
};

// The session secret the request presents: X-Login-Secret, ?secret=, or the qrscene_login cookie.
[[nodiscard]] std::string presented_secret(const net::HttpRequest& request);

class LoginApi {
 public:
  LoginApi(LoginApiOptions options, LoginService& logins, AdminGate& gate, domain::LoginRepository& sessions,
           asio::thread_pool& blocking, const Clock& clock);
  void add_routes(net::Router& router);

 private:
  asio::awaitable<net::HttpResponse> create(net::HttpRequest& r);
  asio::awaitable<net::HttpResponse> qr(net::HttpRequest& r);
  asio::awaitable<net::HttpResponse> events(net::HttpRequest& r);
  asio::awaitable<net::HttpResponse> status(net::HttpRequest& r);
  net::HttpResponse exchange(net::HttpRequest& r);
  net::HttpResponse bindings(net::HttpRequest& r);
  net::HttpResponse unbind(net::HttpRequest& r);
  // The session the request's secret opens, read on the blocking pool.
  asio::awaitable<Result<domain::LoginSession>> open(const net::HttpRequest& r);
  asio::awaitable<Result<domain::LoginSession>> reload(const std::string& id);
  asio::awaitable<Result<LoginResult>> deliver(const domain::LoginSession& s);

  LoginApiOptions options_;
  LoginService& logins_;
  AdminGate& gate_;
  domain::LoginRepository& sessions_;
  asio::thread_pool& blocking_;
  const Clock& clock_;
  RateLimiter new_sessions_;
};

}  // namespace qrscene::service
