#include "service/login_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <nlohmann/json.hpp>
#include <set>

#include "base/encoding.h"
#include "base/log_text.h"
#include "base/strings.h"
#include "service/admin_gate.h"
#include "wechat/signature.h"

namespace qrscene::service {
namespace {

using domain::LoginState;
using Json = nlohmann::json;

bool is_hex_id(std::string_view s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Error not_yours() {
  // The same answer for an unknown id, a missing secret and a wrong one.
  return Error{ErrorCode::kUnauthenticated,
               "no login session with this id and secret: the browser that started it must present its secret "
               "(cookie, X-Login-Secret header or secret parameter)"};
}

}  // namespace

std::string progress_json(const domain::LoginSession& s, LoginState state) {
  return Json{{"id", s.id},
              {"purpose", domain::to_string(s.purpose)},
              {"state", domain::to_string(state)},
              {"version", s.version},
              {"expires_at", s.expires_at}}
      .dump();
}

std::string to_json(const LoginResult& r, std::int64_t exchange_seconds) {
  Json j{{"id", r.session.id},
         {"purpose", domain::to_string(r.session.purpose)},
         {"state", domain::to_string(r.state)},
         {"version", r.session.version},
         {"expires_at", r.session.expires_at}};
  if (r.state == LoginState::kConfirmed) {
    j["openid"] = r.session.openid;
    j["user_id"] = r.session.user_id;
    j["exchange_code"] = r.exchange_code;
    j["exchange_expires_in"] = exchange_seconds;
  }
  if (r.state == LoginState::kDenied) j["reason"] = r.session.reason;
  return j.dump();
}

LoginService::LoginService(domain::LoginRepository& sessions, ChannelService& channels,
                           wechat::AccountClients& clients, const Clock& clock, LoginOptions options)
    : sessions_(sessions), channels_(channels), clients_(clients), clock_(clock), options_(std::move(options)) {
  poller_ = std::thread([this] { poll_loop(); });
}

LoginService::~LoginService() {
  stop();
  if (poller_.joinable()) poller_.join();
}

Result<std::int64_t> LoginService::login_channel(std::string_view appid) {
  std::lock_guard lock(channel_mu_);
  if (auto it = login_channels_.find(appid); it != login_channels_.end()) {
    auto c = channels_.show(it->second);
    if (c && c->status != domain::ChannelStatus::kRetired) return it->second;
    login_channels_.erase(it);
  }
  QRSCENE_ASSIGN_OR_RETURN(auto all, channels_.list(appid));
  for (const auto& c : all) {
    if (c.name == options_.channel_name && c.status != domain::ChannelStatus::kRetired) {
      login_channels_.emplace(std::string(appid), c.id);
      return c.id;
    }
  }
  // The first login of an account makes its login channel: a temporary code nobody is shown,
  // there so that login scans count like any channel's.
  ChannelSpec spec;
  spec.appid = std::string(appid);
  spec.name = options_.channel_name;
  spec.group = "login";
  spec.kind = domain::ChannelKind::kTemporary;
  spec.scene = "qrscene-login";
  spec.string_scene = true;
  QRSCENE_ASSIGN_OR_RETURN(auto made, channels_.create(spec));
  spdlog::info("login channel_created appid={} channel={}", appid, made.id);
  login_channels_.emplace(std::string(appid), made.id);
  return made.id;
}

Result<CreatedLoginSession> LoginService::create(const NewLoginSession& r) {
  std::vector<FieldError> problems;
  if (r.purpose == domain::LoginPurpose::kBind) {
    if (r.user_id.empty() || r.user_id.size() > 128 || first_invalid_utf8(r.user_id) != std::string_view::npos) {
      problems.push_back({"user_id", "bind needs the website's user id (1..128 bytes of UTF-8)",
                          r.user_id.empty() ? "required" : "too_long", {{"max", "128"}}});
    }
  } else if (!r.user_id.empty()) {
    problems.push_back({"user_id", "only for purpose bind (a login learns the user from the binding)", "not_allowed",
                        {{"purpose", "bind"}}});
  }
  const std::int64_t life = r.expires_in.value_or(options_.session_seconds);
  if (life < 30 || life > 1800) {
    problems.push_back({"expires_in", "30..1800 seconds", "out_of_range", {{"min", "30"}, {"max", "1800"}}});
  }
  if (!problems.empty()) return field_errors(std::move(problems));
  QRSCENE_TRY(clients_.get(r.appid));  // names the configured accounts when unknown
  std::int64_t channel_id = 0;
  if (r.channel_id) {
    QRSCENE_ASSIGN_OR_RETURN(auto c, channels_.show(*r.channel_id));
    if (c.appid != r.appid || c.status == domain::ChannelStatus::kRetired) {
      return field_error("channel_id", fmt::format("channel {} is not a live channel of {}", *r.channel_id, r.appid),
                         "not_live_channel");
    }
    channel_id = c.id;
  } else {
    QRSCENE_ASSIGN_OR_RETURN(channel_id, login_channel(r.appid));
  }
  CreatedLoginSession out;
  out.secret = random_hex(16);
  auto& s = out.session;
  s.id = random_hex(16);
  s.appid = r.appid;
  s.purpose = r.purpose;
  s.user_id = r.user_id;
  s.secret_sha256 = token_sha256(out.secret);
  s.confirm_in_wechat = r.confirm_in_wechat;
  s.requester_ip = r.requester_ip;
  s.requester_agent = domain::describe_browser(r.requester_agent);
  s.channel_id = channel_id;
  s.created_at = clock_.unix_seconds();
  s.expires_at = s.created_at + life;
  s.version = 1;
  QRSCENE_TRY(sessions_.create_login_session(s));
  return out;
}

Result<domain::LoginSession> LoginService::open(std::string_view id, std::string_view secret) {
  if (!is_hex_id(id) || secret.empty()) return not_yours();
  auto s = sessions_.login_session(id);
  if (!s) {
    if (s.error().code == ErrorCode::kNotFound) return not_yours();
    return s.error();
  }
  if (!wechat::constant_time_equal(token_sha256(secret), s->secret_sha256)) return not_yours();
  return s;
}

Result<domain::LoginSession> LoginService::reload(std::string_view id) { return sessions_.login_session(id); }

Result<std::string> LoginService::code_url(const domain::LoginSession& s) {
  const std::int64_t now = clock_.unix_seconds();
  if (domain::is_final(domain::effective_state(s, now)) || s.delivered_at != 0) {
    return unexpected(ErrorCode::kFailedPrecondition, "this login session is over: start a new one");
  }
  const std::int64_t held_until = s.expires_at + options_.code_cooldown_seconds;
  std::lock_guard lock(code_mu_);
  QRSCENE_ASSIGN_OR_RETURN(auto lent, sessions_.lend_login_code(s.id, now, s.expires_at, held_until));
  if (lent) return lent->url;
  // The pool has no free code that lives long enough: ask WeChat for one.
  QRSCENE_ASSIGN_OR_RETURN(auto* client, clients_.get(s.appid));
  wechat::QrRequest request;
  request.kind = wechat::QrKind::kTemporary;
  request.scene_str = std::string(domain::kLoginScenePrefix) + random_hex(12);
  request.expire_seconds = options_.code_seconds;
  QRSCENE_ASSIGN_OR_RETURN(auto ticket, client->create_qrcode(request));
  const domain::LoginCode code{s.appid, *request.scene_str, ticket.ticket, ticket.url,
                               ticket.expires_at != 0 ? ticket.expires_at : now + options_.code_seconds};
  QRSCENE_TRY(sessions_.add_login_code(s.id, code, held_until));
  return code.url;
}

Result<LoginResult> LoginService::deliver(const domain::LoginSession& s) {
  const LoginState state = domain::effective_state(s, clock_.unix_seconds());
  if (!domain::is_final(state)) {
    return unexpected(ErrorCode::kFailedPrecondition, "the session is not decided yet");
  }
  LoginResult r{s, state, {}};
  if (state == LoginState::kConfirmed) r.exchange_code = random_hex(16);
  QRSCENE_ASSIGN_OR_RETURN(bool first, sessions_.deliver_login_result(
                                           s.id, clock_.unix_seconds(),
                                           r.exchange_code.empty() ? std::string() : token_sha256(r.exchange_code)));
  if (!first) {
    return unexpected(ErrorCode::kFailedPrecondition,
                      "this login session's result was delivered already: a result is read once; start a new session");
  }
  r.session.version += 1;
  return r;
}

Result<domain::LoginSession> LoginService::redeem(std::string_view code) {
  if (!is_hex_id(code)) return field_error("code", "the exchange_code the browser received", "bad_format");
  const std::int64_t now = clock_.unix_seconds();
  return sessions_.redeem_login_exchange(token_sha256(code), now, now - options_.exchange_seconds);
}

asio::awaitable<bool> LoginService::wait(std::string id, std::int64_t seen,
                                         std::chrono::steady_clock::time_point deadline) {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, deadline);
  std::uint64_t key = 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_) co_return false;
    key = next_waiter_++;
    waiters_.emplace(key, Waiter{std::move(id), seen, timer});
  }
  poll_wake_.notify_one();
  beast::error_code ec;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  std::lock_guard lock(mu_);
  waiters_.erase(key);
  co_return !stopping_;
}

void LoginService::wake(const std::shared_ptr<asio::steady_timer>& timer) {
  // The timer belongs to its coroutine's executor (a connection's lane or strand): cancel it there.
  asio::post(timer->get_executor(), [timer] { timer->cancel(); });
}

void LoginService::notify(std::string_view id) {
  std::lock_guard lock(mu_);
  for (const auto& [key, w] : waiters_) {
    if (w.id != id) continue;
    wake(w.timer);
    ++wakeups_.local;
  }
}

LoginService::Wakeups LoginService::wakeups() const {
  std::lock_guard lock(mu_);
  return wakeups_;
}

std::size_t LoginService::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

void LoginService::stop() {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  stopping_ = true;
  for (const auto& [key, w] : waiters_) wake(w.timer);
  poll_wake_.notify_all();
}

void LoginService::poll_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    poll_wake_.wait_for(lock, options_.poll_interval);
    if (stopping_ || waiters_.empty()) continue;
    std::set<std::string> ids;
    for (const auto& [key, w] : waiters_) ids.insert(w.id);
    lock.unlock();
    auto versions = sessions_.login_versions(std::vector<std::string>(ids.begin(), ids.end()));
    lock.lock();
    if (!versions) {
      spdlog::warn("login poll_failed reason={}", log_text(versions.error().message));
      continue;
    }
    std::map<std::string, std::int64_t, std::less<>> now(versions->begin(), versions->end());
    for (const auto& [key, w] : waiters_) {
      const auto it = now.find(w.id);
      if (it == now.end() || it->second != w.seen) {
        wake(w.timer);
        ++wakeups_.poll;
      }
    }
  }
}

}  // namespace qrscene::service
