#include "wechat/token_provider.h"

#include <fmt/format.h>
#include <algorithm>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <thread>

#include "base/log_text.h"

namespace qrscene::wechat {
namespace {

using Json = nlohmann::json;

ErrorCode code_for(std::int64_t errcode) {
  switch (errcode) {
    case 40001: case 40014: case 42001: case 41001: case 40125: case 40013: return ErrorCode::kUnauthenticated;
    case 40164: case 61004: case 48001: case 40243: return ErrorCode::kPermissionDenied;
    case 45009: case 45011: case 45029: case 45047: return ErrorCode::kResourceExhausted;
    case 40007: case 46001: return ErrorCode::kNotFound;  // a media_id unknown, or past its 3 days
    case -1: return ErrorCode::kUnavailable;
    default: return ErrorCode::kInvalidArgument;
  }
}

std::string advice(std::int64_t errcode, std::string_view errmsg) {
  switch (errcode) {
    case 40164:
    case 61004: {
      // errmsg: "invalid ip 47.94.148.108 ipv6 ::ffff:47.94.148.108, not in whitelist rid: …"
      std::string ip;
      if (const auto at = errmsg.find("invalid ip "); at != std::string_view::npos) {
        const auto start = at + 11;
        ip = std::string(errmsg.substr(start, errmsg.find(' ', start) - start));
      }
      return fmt::format("this server's IP {}is not on the account's API IP whitelist: add it in the WeChat "
                         "console (设置与开发 → 基本配置 → IP白名单)",
                         ip.empty() ? "" : ip + " ");
    }
    case 40125: return "the AppSecret is wrong: check the account's appid and secret (WeChat errcode 40125)";
    case 40013: return "the AppID is not valid: check the account's appid and secret (WeChat errcode 40013)";
    case 40243: return "the AppSecret is frozen: unfreeze or reset it in the WeChat console (errcode 40243)";
    case 45009:
      return "the daily quota of this API is spent: wait for midnight Beijing time or reset it with "
             "clear_quota (errcode 45009)";
    case 40007:
    case 46001:
      return fmt::format("the media_id is unknown or has expired (temporary media lives 3 days): upload the file "
                         "again (WeChat error {}: {})", errcode, errmsg);
    case 45015:
      return fmt::format("the user is outside the 48-hour customer-service window (or unfollowed): send a template "
                         "message instead (WeChat error {}: {})", errcode, errmsg);
    case 43004:
      return fmt::format("the user does not follow the account (WeChat error {}: {})", errcode, errmsg);
    case 40037:
      return fmt::format("the account has no template with this template_id: check it under 模板消息 → 我的模板 "
                         "(WeChat error {}: {})", errcode, errmsg);
    default: return fmt::format("WeChat error {}: {}", errcode, errmsg);
  }
}

}  // namespace

std::optional<Error> wechat_error(std::string_view body) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  const auto it = j.find("errcode");
  if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() == 0) return std::nullopt;
  const auto errcode = it->get<std::int64_t>();
  const std::string errmsg = j.value("errmsg", "");
  return unexpected(code_for(errcode), advice(errcode, errmsg), errcode);
}

bool is_transient(const Result<HttpReply>& reply) {
  if (!reply) return reply.error().code == ErrorCode::kUnavailable || reply.error().code == ErrorCode::kDeadlineExceeded;
  if (reply->status >= 500) return true;
  const auto e = wechat_error(reply->body);
  return e && e->detail == -1;
}

Result<HttpReply> send_with_retries(HttpTransport& transport, const std::function<HttpCall()>& make,
                                    const RetryPolicy& policy,
                                    const std::function<void(std::chrono::milliseconds)>& sleep) {
  auto backoff = policy.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    auto reply = transport.send(make());
    if (!is_transient(reply)) return reply;
    if (attempt >= policy.max_attempts) {
      if (reply) return reply;
      Error e = std::move(reply).error();
      e.message = fmt::format("after {} tries: {}", attempt, e.message);
      return e;
    }
    if (sleep) {
      sleep(backoff);
    } else {
      std::this_thread::sleep_for(backoff);
    }
    backoff = std::min(backoff * 2, policy.max_backoff);
  }
}

Result<std::optional<StoredToken>> MemoryTokenStore::get(std::string_view appid) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(appid);
  if (it == tokens_.end()) return std::optional<StoredToken>();
  return std::optional<StoredToken>(it->second);
}

Status MemoryTokenStore::put(std::string_view appid, const StoredToken& token) {
  std::lock_guard lock(mu_);
  tokens_[std::string(appid)] = token;
  return {};
}

Result<bool> MemoryTokenStore::invalidate_if(std::string_view appid, std::string_view failed) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(appid);
  if (it == tokens_.end() || it->second.value != failed) return false;
  tokens_.erase(it);
  return true;
}

TokenProvider::TokenProvider(HttpTransport& transport, TokenStore& store, const Clock& clock,
                             TokenProviderOptions options)
    : transport_(transport), store_(store), clock_(clock), options_(std::move(options)) {}

bool TokenProvider::fresh(const StoredToken& t) const {
  return !t.value.empty() && clock_.unix_seconds() + options_.refresh_ahead.count() < t.expires_at;
}

Result<std::string> TokenProvider::token() {
  auto stored = store_.get(options_.appid);
  if (stored) {
    if (*stored && fresh(**stored)) return (*stored)->value;
  } else if (stored.error().code == ErrorCode::kUnavailable) {
    std::lock_guard lock(mu_);
    if (own_ && fresh(*own_)) return own_->value;
  } else {
    return stored.error();
  }
  return refresh(std::nullopt);
}

Result<std::string> TokenProvider::refresh_after_failure(std::string_view failed) {
  return refresh(std::string(failed));
}

std::int64_t TokenProvider::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::int64_t TokenProvider::fallbacks() const {
  std::lock_guard lock(mu_);
  return fallbacks_;
}

// Under mu_.
void TokenProvider::note_fallback(const Error& why) {
  ++fallbacks_;
  if (!degraded_) {
    spdlog::warn("token store_unavailable appid={} reason={} action=\"this instance uses a stable_token of its "
                 "own until the store answers again\"",
                 options_.appid, log_text(why.message));
  }
  degraded_ = true;
}

Result<std::string> TokenProvider::refresh(std::optional<std::string> failed) {
  std::unique_lock lock(mu_);
  if (in_flight_) {
    // Someone is already asking WeChat: wait for that answer and share it.
    const auto generation = generation_;
    done_.wait(lock, [&] { return generation_ != generation; });
    return *last_;
  }
  // Under the lock, look again: a refresh may have finished while this caller was on its way.
  auto stored = store_.get(options_.appid);
  bool own = false;  // the store is unreachable: this process's own token, from stable_token
  if (!stored) {
    if (stored.error().code != ErrorCode::kUnavailable) return stored.error();
    note_fallback(stored.error());
    own = true;
    if (own_ && fresh(*own_) && (!failed || own_->value != *failed)) return own_->value;
  } else {
    if (degraded_) spdlog::info("token store_available appid={} action=\"shared tokens again\"", options_.appid);
    degraded_ = false;
    if (*stored && fresh(**stored) && (!failed || (*stored)->value != *failed)) return (*stored)->value;
    if (failed) {
      QRSCENE_ASSIGN_OR_RETURN(bool dropped, store_.invalidate_if(options_.appid, *failed));
      (void)dropped;
    }
  }
  in_flight_ = true;
  if (own) ++requests_;
  lock.unlock();
  bool shared_answer = false;  // another instance's token, read from the store: nothing to store
  auto fetched = own ? fetch(failed.has_value(), TokenMode::kStable) : fetch_shared(failed, shared_answer);
  Result<std::string> result = fetched ? Result<std::string>(fetched->value) : Result<std::string>(fetched.error());
  if (fetched && !own && !shared_answer) {
    if (auto st = store_.put(options_.appid, *fetched); !st) {
      if (st.error().code != ErrorCode::kUnavailable) result = st.error();
      own = true;  // the store went away meanwhile: keep the token here
    }
    store_.end_refresh(options_.appid);
  }
  lock.lock();
  if (fetched && own) own_ = *fetched;
  in_flight_ = false;
  ++generation_;
  last_ = result;
  done_.notify_all();
  return result;
}

Result<StoredToken> TokenProvider::fetch_shared(const std::optional<std::string>& failed, bool& shared_answer) {
  // The lease outlives a slow request with all its retries; a holder that died lets it lapse.
  const auto ttl = options_.timeout * (options_.retry.max_attempts + 1);
  const auto poll = std::chrono::milliseconds(50);
  for (;;) {
    auto lease = store_.lease_refresh(options_.appid, ttl);
    if (!lease || *lease) {
      TokenMode mode = options_.mode;
      {
        std::lock_guard lock(mu_);
        if (!lease) {  // no lease to be had: stable_token, which leaves other holders' tokens valid
          note_fallback(lease.error());
          mode = TokenMode::kStable;
        }
        ++requests_;
      }
      return fetch(failed.has_value(), mode);
    }
    // Another instance is asking WeChat: wait for the token it stores (or for its lease to lapse).
    for (auto waited = std::chrono::milliseconds(0); waited < ttl; waited += poll) {
      if (options_.sleep) {
        options_.sleep(poll);
      } else {
        std::this_thread::sleep_for(poll);
      }
      auto stored = store_.get(options_.appid);
      if (stored && *stored && fresh(**stored) && (!failed || (*stored)->value != *failed)) {
        shared_answer = true;
        return **stored;
      }
      if (!stored) break;  // unreachable now: take the lease path again (and fall back there)
    }
  }
}

Result<StoredToken> TokenProvider::fetch(bool force, TokenMode mode) {
  HttpCall call;
  call.timeout = options_.timeout;
  if (mode == TokenMode::kStable) {
    call.method = "POST";
    call.url = options_.api_base + "/cgi-bin/stable_token";
    call.headers = {{"Content-Type", "application/json"}};
    call.body = Json{{"grant_type", "client_credential"},
                     {"appid", options_.appid},
                     {"secret", options_.secret.reveal()},
                     {"force_refresh", force}}
                    .dump();
  } else {
    call.url = fmt::format("{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}", options_.api_base,
                           options_.appid, options_.secret.reveal());
  }
  const std::int64_t asked_at = clock_.unix_seconds();
  QRSCENE_ASSIGN_OR_RETURN(auto reply,
                           send_with_retries(transport_, [&call] { return call; }, options_.retry, options_.sleep));
  if (reply.status != 200) {
    return unexpected(ErrorCode::kUnavailable, fmt::format("token endpoint answered HTTP {}", reply.status));
  }
  if (auto e = wechat_error(reply.body)) return *e;
  const Json j = Json::parse(reply.body, nullptr, false);
  if (j.is_discarded() || !j.contains("access_token") || !j["access_token"].is_string() || !j.contains("expires_in") ||
      !j["expires_in"].is_number_integer()) {
    return unexpected(ErrorCode::kUnavailable, "token endpoint answered something that is not a token");
  }
  // expires_in counts from when WeChat answered; measure from when we asked, to be safe.
  return StoredToken{j["access_token"].get<std::string>(), asked_at + j["expires_in"].get<std::int64_t>()};
}

}  // namespace qrscene::wechat
