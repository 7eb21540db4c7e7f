// AdminGate: the one door of every /api/v1 route that wants the operator (AdminApi, FollowerApi and
// the backend routes of LoginApi): the bearer token, the limit on failed sign-ins, the blocking
// pool the handlers run on, and the configured accounts a request may name.
//
// A route added through the gate needs `Authorization: Bearer <token>` with a token whose SHA-256
// is configured ([admin] token_sha256); the comparison is constant-time. A client address (its /64
// for IPv6) that fails too often is refused for a minute (429 with Retry-After). The handler runs
// on `blocking` (it calls the store and WeChat, which block), never on an I/O thread; an exception
// becomes a 500, and every answer is Cache-Control: no-store.
//
// Thread safety: route() while the router is being built; everything else may run concurrently.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/asio.h"
#include "net/http_server.h"
#include "service/rate_limiter.h"

namespace qrscene::service {

struct AdminAccount {
  std::string appid;
  std::string name;
  std::string mode;  // plain | compatible | safe
};

struct AdminGateOptions {
  std::vector<std::string> token_sha256;     // lowercase hex
  std::size_t max_failures_per_minute = 10;  // per client address
};

// SHA-256 of a token, lowercase hex (what [admin] token_sha256 holds).
[[nodiscard]] std::string token_sha256(std::string_view token);

class AdminGate {
 public:
  AdminGate(AdminGateOptions options, std::vector<AdminAccount> accounts, asio::thread_pool& blocking);

  // Whether an Authorization header carries a configured token (constant time).
  [[nodiscard]] bool authorized(std::string_view authorization) const;

  using Handler = std::function<net::HttpResponse(net::HttpRequest&)>;
  // Adds a route behind the gate; `handler` runs on the blocking pool.
  void route(net::Router& router, std::string method, std::string pattern, Handler handler);
  // The same for a member function of `api`, which must outlive the router.
  template <class Api>
  void route(net::Router& router, std::string method, std::string pattern, Api* api,
             net::HttpResponse (Api::*handler)(net::HttpRequest&)) {
    route(router, std::move(method), std::move(pattern), [api, handler](net::HttpRequest& r) { return (api->*handler)(r); });
  }

  // A configured account: the one given, or the only one when none is given. Errors name the
  // field `appid`: required when several accounts are configured, kNotFound for one that is not.
  [[nodiscard]] Result<std::string> resolve_appid(std::string_view appid) const;
  [[nodiscard]] const std::vector<AdminAccount>& accounts() const noexcept { return accounts_; }

 private:
  // The answer for a request that may not pass (429 or 401), or nothing.
  std::optional<net::HttpResponse> refuse(const net::HttpRequest& request);

  AdminGateOptions options_;
  std::vector<AdminAccount> accounts_;
  asio::thread_pool& blocking_;
  RateLimiter failures_;  // failed sign-ins per client
};

}  // namespace qrscene::service
