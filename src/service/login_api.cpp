#include "service/login_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "qr/qr_render.h"
#include "service/api_support.h"
#include "net/blocking.h"

namespace qrscene::service {
namespace {

using domain::LoginState;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kCookie = "qrscene_login";

// The over session's result was read before: 410, the way to say "this is gone for good".
net::HttpResponse gone(const Error& e) {
  net::HttpResponse r = error_response(e);
  if (e.code == ErrorCode::kFailedPrecondition) r.status = 410;
  return r;
}

net::HttpResponse no_store(net::HttpResponse r) {
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}


std::string sse(std::string_view event, std::int64_t id, const std::string& data) {
  return fmt::format("event: {}\nid: {}\ndata: {}\n\n", event, id, data);
}

// The event that ends a stream whose session is gone (delivered already, or purged).
std::string gone_event(std::int64_t id, const std::string& why) {
  return sse("gone", id, json{{"error", why}}.dump());
}

SteadyClock::time_point deadline_for(const domain::LoginSession& s, std::int64_t now, std::chrono::seconds cap) {
  const auto left = std::chrono::seconds(std::max<std::int64_t>(0, s.expires_at - now));
  return SteadyClock::now() + std::min(left, cap);
}

}  // namespace

std::string presented_secret(const net::HttpRequest& r) {
  if (auto h = r.header("X-Login-Secret"); !h.empty()) return std::string(h);
  if (r.has_query_param("secret")) return r.query_param("secret");
  std::string_view cookies = r.header("Cookie");
  while (!cookies.empty()) {
    const auto semi = cookies.find(';');
    const std::string_view pair = trim(cookies.substr(0, semi));
    if (pair.size() > kCookie.size() && pair.starts_with(kCookie) && pair[kCookie.size()] == '=') {
      return std::string(pair.substr(kCookie.size() + 1));
    }
    if (semi == std::string_view::npos) break;
    cookies.remove_prefix(semi + 1);
  }
  return {};
}

LoginApi::LoginApi(LoginApiOptions options, LoginService& logins, AdminGate& gate, domain::LoginRepository& sessions,
                   asio::thread_pool& blocking, const Clock& clock)
    : options_(std::move(options)),
      logins_(logins),
      gate_(gate),
      sessions_(sessions),
      blocking_(blocking),
      clock_(clock),
      new_sessions_(options_.sessions_per_minute_per_ip, std::chrono::minutes(1)) {}

void LoginApi::add_routes(net::Router& router) {
  router.add("POST", "/api/v1/login-sessions", [this](net::HttpRequest& r) { return create(r); });
  gate_.route(router, "POST", "/api/v1/login-sessions/exchange", [this](net::HttpRequest& r) { return exchange(r); });
  router.add("GET", "/api/v1/login-sessions/{id}/qr.png", [this](net::HttpRequest& r) { return qr(r); });
  router.add("GET", "/api/v1/login-sessions/{id}/events", [this](net::HttpRequest& r) { return events(r); });
  router.add("GET", "/api/v1/login-sessions/{id}/status", [this](net::HttpRequest& r) { return status(r); });
  gate_.route(router, "GET", "/api/v1/login-bindings", [this](net::HttpRequest& r) { return bindings(r); });
  gate_.route(router, "DELETE", "/api/v1/login-bindings/{user_id}", [this](net::HttpRequest& r) { return unbind(r); });
}

asio::awaitable<Result<domain::LoginSession>> LoginApi::open(const net::HttpRequest& r) {
  std::string id(r.path_param("id"));
  std::string secret = presented_secret(r);
  co_return co_await net::on_blocking(blocking_, [this, &id, &secret] { return logins_.open(id, secret); });
}

asio::awaitable<Result<domain::LoginSession>> LoginApi::reload(const std::string& id) {
  co_return co_await net::on_blocking(blocking_, [this, &id] { return logins_.reload(id); });
}

asio::awaitable<Result<LoginResult>> LoginApi::deliver(const domain::LoginSession& s) {
  co_return co_await net::on_blocking(blocking_, [this, &s] { return logins_.deliver(s); });
}

asio::awaitable<net::HttpResponse> LoginApi::create(net::HttpRequest& r) {
  if (!r.header("Content-Type").starts_with("application/json")) {
    co_return no_store(error_response(field_error("body", "send Content-Type: application/json", "not_json")));
  }
  auto body = parse_body(r);
  if (!body) co_return no_store(error_response(body.error()));
  Fields f(*body, {"appid", "purpose", "user_id", "confirm_in_wechat", "channel_id", "expires_in", "secret_in_body",
                   "client_ip", "user_agent"});
  NewLoginSession req;
  const std::string purpose = f.text("purpose").value_or("login");
  if (auto p = domain::login_purpose_from(purpose)) {
    req.purpose = *p;
  } else {
    f.problem("purpose", fmt::format("login or bind, got '{}'", purpose), "not_one_of", {{"allowed", "login,bind"}});
  }
  req.user_id = f.text("user_id").value_or("");
  req.confirm_in_wechat = f.boolean("confirm_in_wechat").value_or(false);
  req.channel_id = f.integer("channel_id");
  req.expires_in = f.integer("expires_in");
  const bool secret_in_body = f.boolean("secret_in_body").value_or(false);
  const auto given_ip = f.text("client_ip");
  const auto given_agent = f.text("user_agent");
  const std::string given_appid = f.text("appid").value_or("");
  const auto given_address = given_ip ? IpAddress::parse(*given_ip) : std::nullopt;
  if (given_ip && !given_address) {
    f.problem("client_ip", "must be an IPv4 or IPv6 address, like 203.0.113.7", "not_ip_address");
  }
  // The browser's User-Agent is stored and shown to the follower: UTF-8 text, its first 512 bytes.
  std::string_view agent_header = r.header("User-Agent");
  if (!given_agent && first_invalid_utf8(agent_header) != std::string_view::npos) {
    f.problem("", "User-Agent header: must be UTF-8 text");  // a header, not a field of the body
  }
  if (agent_header.size() > 512) {
    agent_header = agent_header.substr(0, 512);
    while (!agent_header.empty() && (static_cast<unsigned char>(agent_header.back()) & 0xC0) == 0x80) {
      agent_header.remove_suffix(1);  // a cut character goes whole
    }
    if (!agent_header.empty() && static_cast<unsigned char>(agent_header.back()) >= 0xC0) agent_header.remove_suffix(1);
  }
  if (given_agent && (given_agent->size() > 512 || first_invalid_utf8(*given_agent) != std::string_view::npos)) {
    f.problem("user_agent", "must be at most 512 bytes of UTF-8", "too_long", {{"max", "512"}});
  }
  if (auto ok = f.status(); !ok) co_return no_store(error_response(ok.error()));

  // A backend with the admin token may start any session and name the browser it is for; anybody
  // else only a login, within the per-address limit.
  const bool backend = gate_.authorized(r.header("Authorization"));
  if (!backend) {
    if (req.purpose == domain::LoginPurpose::kBind || !options_.public_login) {
      net::HttpResponse no = error_response(Error{
          ErrorCode::kUnauthenticated,
          req.purpose == domain::LoginPurpose::kBind
              ? "a bind session names a website user: your backend starts it with the admin token"
              : "login sessions are started by your backend here ([login] public = false): send the admin token"});
      no.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"qrscene\"");
      co_return no_store(std::move(no));
    }
    if (given_ip || given_agent) {
      co_return no_store(
          error_response(field_error("client_ip", "only a backend with the admin token may name the browser",
                                     "not_allowed")));
    }
    if (!new_sessions_.try_add(client_key(r.client_ip))) {
      net::HttpResponse busy = error_response(
          Error{ErrorCode::kResourceExhausted, "too many new login sessions from this address: wait a minute"});
      busy.headers.emplace_back("Retry-After", "60");
      co_return no_store(std::move(busy));
    }
  }
  auto appid = gate_.resolve_appid(given_appid);
  if (!appid) co_return no_store(error_response(appid.error()));
  req.appid = *appid;
  req.requester_ip = given_address ? given_address->to_string() : r.client_ip;
  req.requester_agent = given_agent.value_or(std::string(agent_header));

  auto made = co_await net::on_blocking(blocking_, [this, &req] { return logins_.create(req); });
  if (!made) co_return no_store(error_response(made.error()));
  const auto& s = made->session;
  const std::string base = "/api/v1/login-sessions/" + s.id;
  json out{{"id", s.id},
           {"appid", s.appid},
           {"purpose", domain::to_string(s.purpose)},
           {"state", "pending"},
           {"version", s.version},
           {"confirm_in_wechat", s.confirm_in_wechat},
           {"expires_at", s.expires_at},
           {"expires_in", s.expires_at - s.created_at},
           {"qr_png", base + "/qr.png"},
           {"events", base + "/events"},
           {"status", base + "/status"}};
  if (backend || secret_in_body) out["secret"] = made->secret;
  net::HttpResponse res = net::HttpResponse::json(201, out.dump());
  const bool secure = options_.cookie_secure == "always" ||
                      (options_.cookie_secure == "auto" && iequals(r.header("X-Forwarded-Proto"), "https"));
  res.headers.emplace_back("Set-Cookie",
                           fmt::format("{}={}; Path={}; Max-Age={}; HttpOnly; SameSite=Strict{}", kCookie,
                                       made->secret, base, s.expires_at - s.created_at, secure ? "; Secure" : ""));
  co_return no_store(std::move(res));
}

asio::awaitable<net::HttpResponse> LoginApi::qr(net::HttpRequest& r) {
  auto s = co_await open(r);
  if (!s) co_return no_store(error_response(s.error()));
  qr::QrStyle style;
  style.size = static_cast<int>(std::clamp<std::int64_t>(int_param(r, "size", 300).value_or(300), qr::QrStyle::kMinSize, 1024));
  auto png = co_await net::on_blocking(blocking_, [this, &s, &style]() -> Result<std::string> {
    QRSCENE_ASSIGN_OR_RETURN(auto url, logins_.code_url(*s));
    return qr::render(url, style, qr::ImageFormat::kPng);
  });
  if (!png) co_return no_store(gone(png.error()));
  net::HttpResponse res;
  res.content_type = "image/png";
  res.body = std::move(*png);
  co_return no_store(std::move(res));
}

asio::awaitable<net::HttpResponse> LoginApi::status(net::HttpRequest& r) {
  auto s = co_await open(r);
  if (!s) co_return no_store(error_response(s.error()));
  // A long poll waits for a version after `after`; a bad number is as none.
  std::optional<std::int64_t> after;
  if (auto given = int_param(r, "after", 0); given && r.has_query_param("after")) after = *given;
  const std::int64_t default_wait = after ? 25 : 0;
  const auto wait = std::chrono::seconds(std::clamp<std::int64_t>(int_param(r, "wait", default_wait).value_or(default_wait), 0, 30));
  const auto until = SteadyClock::now() + wait;
  for (;;) {
    const std::int64_t now = clock_.unix_seconds();
    const LoginState state = domain::effective_state(*s, now);
    if (s->delivered_at != 0) {
      co_return no_store(gone(Error{ErrorCode::kFailedPrecondition,
                                    "this login session's result was delivered already: start a new session"}));
    }
    if (domain::is_final(state)) {
      auto result = co_await deliver(*s);
      if (!result) co_return no_store(gone(result.error()));
      co_return no_store(net::HttpResponse::json(200, to_json(*result, logins_.options().exchange_seconds)));
    }
    if (!after || s->version != *after || SteadyClock::now() >= until) {
      co_return no_store(net::HttpResponse::json(200, progress_json(*s, state)));
    }
    // Nothing new yet: wait for a change, the session's expiry or the end of the poll.
    if (!co_await logins_.wait(s->id, s->version, std::min(until, deadline_for(*s, now, wait)))) {
      co_return error_response(Error{ErrorCode::kUnavailable, "the service is stopping; ask again"});
    }
    auto fresh = co_await reload(s->id);
    if (!fresh) co_return no_store(error_response(fresh.error()));
    s = std::move(fresh);
  }
}

asio::awaitable<net::HttpResponse> LoginApi::events(net::HttpRequest& r) {
  auto s = co_await open(r);
  if (!s) co_return no_store(error_response(s.error()));
  if (s->delivered_at != 0) {
    co_return no_store(gone(Error{ErrorCode::kFailedPrecondition,
                                  "this login session's result was delivered already: start a new session"}));
  }
  net::HttpResponse res;
  res.content_type = "text/event-stream";
  res.headers.emplace_back("Cache-Control", "no-store");
  res.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: pass each event on at once
  res.stream = [this, session = std::move(*s)](net::ResponseStream& out) mutable -> asio::awaitable<void> {
    if (!co_await out.write(std::string("retry: 2000\n\n"))) co_return;
    std::optional<LoginState> sent;
    for (;;) {
      const std::int64_t now = clock_.unix_seconds();
      const LoginState state = domain::effective_state(session, now);
      if (session.delivered_at != 0) {
        (void)co_await out.write(gone_event(session.version, "delivered already"));
        co_return;
      }
      if (domain::is_final(state)) {
        auto result = co_await deliver(session);
        if (!result) {
          (void)co_await out.write(gone_event(session.version, public_error(result.error()).message));
        } else {
          (void)co_await out.write(
              sse("result", result->session.version, to_json(*result, logins_.options().exchange_seconds)));
        }
        co_return;
      }
      if (sent != state) {
        if (!co_await out.write(sse("state", session.version, progress_json(session, state)))) co_return;
        sent = state;
      }
      const std::int64_t seen = session.version;
      if (!co_await logins_.wait(session.id, seen, deadline_for(session, now, options_.keepalive))) co_return;
      auto fresh = co_await reload(session.id);
      if (!fresh) {
        (void)co_await out.write(gone_event(seen, public_error(fresh.error()).message));
        co_return;
      }
      session = std::move(*fresh);
      if (session.version == seen && domain::effective_state(session, clock_.unix_seconds()) == state) {
        if (!co_await out.write(std::string(": keep-alive\n\n"))) co_return;
      }
    }
  };
  co_return res;
}

net::HttpResponse LoginApi::exchange(net::HttpRequest& r) {
  auto body = parse_body(r);
  if (!body) return error_response(body.error());
  Fields f(*body, {"code"});
  const std::string code = f.text("code").value_or("");
  if (code.empty()) f.problem("code", "the exchange_code the browser received with the confirmed result", "required");
  if (auto ok = f.status(); !ok) return error_response(ok.error());
  auto s = logins_.redeem(code);
  if (!s) return error_response(s.error());
  return net::HttpResponse::json(200, json{{"session_id", s->id},
                                           {"appid", s->appid},
                                           {"purpose", domain::to_string(s->purpose)},
                                           {"openid", s->openid},
                                           {"user_id", s->user_id},
                                           {"requester_ip", s->requester_ip}}
                                          .dump());
}

net::HttpResponse LoginApi::bindings(net::HttpRequest& r) {
  auto appid = gate_.resolve_appid(r.query_param("appid"));
  if (!appid) return error_response(appid.error());
  auto list = sessions_.login_bindings(*appid, r.query_param("user_id"), r.query_param("openid"));
  if (!list) return error_response(list.error());
  json out = json::array();
  for (const auto& b : *list) {
    out.push_back({{"appid", b.appid}, {"openid", b.openid}, {"user_id", b.user_id}, {"created_at", b.created_at}});
  }
  return net::HttpResponse::json(200, json{{"bindings", out}}.dump());
}

net::HttpResponse LoginApi::unbind(net::HttpRequest& r) {
  auto appid = gate_.resolve_appid(r.query_param("appid"));
  if (!appid) return error_response(appid.error());
  const std::string user(r.path_param("user_id"));
  auto removed = sessions_.remove_login_binding(*appid, user);
  if (!removed) return error_response(removed.error());
  if (!*removed) return error_response(Error{ErrorCode::kNotFound, fmt::format("user_id: {} is not bound", user)});
  return net::HttpResponse::json(200, json{{"removed", user}}.dump());
}

}  // namespace qrscene::service
