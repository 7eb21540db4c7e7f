#include "sim/api_host.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <utility>

#include "sim/wx_error.h"

namespace qrscene::sim {

using net::HttpRequest;
using net::HttpResponse;

HttpResponse wx_ok(const Json& j) {
  HttpResponse r = HttpResponse::json(200, j.dump());
  r.content_type = "application/json; encoding=utf-8";
  return r;
}

HttpResponse wx_fail(const Error& e, Rng& rng, std::int64_t now) {
  const int errcode = e.detail != 0 ? static_cast<int>(e.detail) : -1;
  return wx_ok(Json{{"errcode", errcode}, {"errmsg", fmt::format("{} rid: {}", e.message, make_rid(now, rng))}});
}

std::string http_date(std::int64_t t) {
  std::tm tm{};
  const auto tt = static_cast<std::time_t>(t);
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

asio::awaitable<std::optional<HttpResponse>> answer_fault(std::optional<ApiFault> f, Rng& rng, std::int64_t now) {
  if (!f) co_return std::nullopt;
  if (f->delay_ms > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(f->delay_ms));
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (f->errcode != 0) co_return wx_fail(wx_error(f->errcode), rng, now);
  if (f->status != 0) {
    HttpResponse r;
    r.status = f->status;
    r.content_type = "text/html";
    r.body = fmt::format("<html><body><h1>{}</h1></body></html>", f->status);
    co_return r;
  }
  if (f->malformed) {
    HttpResponse r = wx_ok(Json::object());
    r.body = R"({"errcode":0,"errmsg":"ok","access_tok)";
    co_return r;
  }
  co_return std::nullopt;
}

ApiHost::ApiHost(net::Router& router, const Clock& clock, Rng& rng, const TokenAuthority& tokens, TakeFault take_fault)
    : router_(router), clock_(clock), rng_(rng), tokens_(tokens), take_fault_(std::move(take_fault)) {}

void ApiHost::add(std::string method, std::string path, Fn fn, bool needs_body) {
  add_raw(
      std::move(method), std::move(path),
      [fn = std::move(fn)](const std::string& appid, const HttpRequest& req, const Json& body) -> Result<HttpResponse> {
        auto result = fn(appid, req, body);
        if (!result) return std::move(result).error();
        return wx_ok(*result);
      },
      needs_body);
}

void ApiHost::add_raw(std::string method, std::string path, RawFn fn, bool needs_body) {
  const bool post = method == "POST";
  router_.add(method, path,
              [&clock = clock_, &rng = rng_, &tokens = tokens_, take_fault = take_fault_, fn, post, needs_body,
               path](HttpRequest& req) -> asio::awaitable<HttpResponse> {
                const auto now = clock.unix_seconds();
                auto fault = answer_fault(take_fault(path), rng, now);
                if (auto answer = co_await std::move(fault); answer) co_return std::move(*answer);
                auto appid = tokens.check(req.query_param("access_token"));
                if (!appid) co_return wx_fail(appid.error(), rng, now);
                Json body = Json::object();
                if (post && needs_body) {
                  if (req.body.empty()) co_return wx_fail(wx_error(44002), rng, now);
                  body = Json::parse(req.body, nullptr, false);
                  if (body.is_discarded()) co_return wx_fail(wx_error(47001), rng, now);
                }
                auto result = fn(*appid, req, body);
                if (!result) co_return wx_fail(result.error(), rng, now);
                co_return std::move(*result);
              });
  add_wrong_verb(post ? "GET" : "POST", path, post ? 43002 : 43001);
}

void ApiHost::add_wrong_verb(std::string method, std::string path, int errcode) {
  router_.add(std::move(method), std::move(path),
              [&clock = clock_, &rng = rng_, errcode](HttpRequest&) -> asio::awaitable<HttpResponse> {
                co_return wx_fail(wx_error(errcode), rng, clock.unix_seconds());
              });
}

}  // namespace qrscene::sim
