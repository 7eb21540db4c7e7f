#include "service/admin_gate.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <span>

#include "base/encoding.h"
#include "base/ip_address.h"
#include "net/blocking.h"
#include "service/api_support.h"
#include "wechat/signature.h"

namespace qrscene::service {

std::string token_sha256(std::string_view token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  EVP_Digest(token.data(), token.size(), md.data(), &n, EVP_sha256(), nullptr);
  return to_hex(std::span<const std::uint8_t>(md.data(), n));
}

AdminGate::AdminGate(AdminGateOptions options, std::vector<AdminAccount> accounts, asio::thread_pool& blocking)
    : options_(std::move(options)),
      accounts_(std::move(accounts)),
      blocking_(blocking),
      failures_(options_.max_failures_per_minute, std::chrono::minutes(1)) {}

bool AdminGate::authorized(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer)) return false;
  const std::string hash = token_sha256(authorization.substr(kBearer.size()));
  bool ok = false;
  for (const auto& h : options_.token_sha256) ok = wechat::constant_time_equal(hash, h) || ok;  // no early exit
  return ok;
}

std::optional<net::HttpResponse> AdminGate::refuse(const net::HttpRequest& request) {
  if (failures_.full(client_key(request.client_ip))) {
    net::HttpResponse r = net::HttpResponse::error(
        Error{ErrorCode::kResourceExhausted, "too many failed sign-ins from this address: wait a minute"});
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  // A success does not wipe the address's failures: a guesser behind the same NAT as a real
  // operator must not get a fresh allowance each time the operator signs in.
  if (authorized(request.header("Authorization"))) return std::nullopt;
  failures_.add(client_key(request.client_ip));
  net::HttpResponse r = net::HttpResponse::error(
      Error{ErrorCode::kUnauthenticated,
            options_.token_sha256.empty()
                ? "the admin API is off: configure [admin] token_sha256 (qrscene admin-token makes a token)"
                : "send Authorization: Bearer <admin token>"});
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"qrscene\"");
  return r;
}

void AdminGate::route(net::Router& router, std::string method, std::string pattern, Handler handler) {
  router.add(std::move(method), std::move(pattern),
             [this, handler = std::move(handler)](net::HttpRequest& request) -> asio::awaitable<net::HttpResponse> {
               if (auto refused = refuse(request)) co_return std::move(*refused);
               // The work blocks (SQLite, WeChat): it runs on the pool, and the answer comes back here.
               auto op = net::on_blocking(blocking_, [&handler, &request] {
                 try {
                   return handler(request);
                 } catch (const std::exception&) {
                   return net::HttpResponse::error(Error{ErrorCode::kInternal, "internal error"});
                 }
               });
               net::HttpResponse response = co_await std::move(op);
               response.headers.emplace_back("Cache-Control", "no-store");
               co_return response;
             });
}

Result<std::string> AdminGate::resolve_appid(std::string_view given) const {
  std::string appid(given);
  if (appid.empty()) {
    if (accounts_.size() == 1) return accounts_.front().appid;
    return field_error("appid", "required when more than one account is configured (GET /api/v1/accounts)",
                       "required");
  }
  for (const auto& a : accounts_) {
    if (a.appid == appid) return appid;
  }
  return Error{ErrorCode::kNotFound, fmt::format("appid: no account {} is configured", appid)};
}

}  // namespace qrscene::service
