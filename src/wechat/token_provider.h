// TokenProvider: the access_token of one account, as every API call needs it
// (wechat-protocol.md sections 1.1–1.4).
//
// - Modes: stable_token (default: it never invalidates another holder's token) or the classic
//   /cgi-bin/token.
// - The token is refreshed `refresh_ahead` before it expires, so callers rarely wait.
// - Single flight: however many threads ask at once, one HTTP request is made; the others wait
//   for it and share its result.
// - After a token error (40001, 40014, 42001) a caller calls refresh_after_failure(failed): the
//   stored token is dropped only if it is still the one that failed — a newer token stored by
//   someone else in the meantime is returned instead of being overwritten (the WxJava #1222
//   defect). The caller retries its call once with what it gets; it never loops.
// - Where tokens live is a TokenStore: in memory here, shared (Redis, store/redis) by many
//   instances. A shared store lends a refresh lease: one instance asks WeChat, the others wait for
//   the token it stores. When the shared store cannot be reached, the provider keeps a token of its
//   own, always from stable_token (which does not invalidate the token other instances hold), and
//   counts it in fallbacks() so that the metrics and the log say so.
//
// Errors: the WeChat errcode in Error::detail, with a message that says what to do — 40164 names
// the IP to whitelist, 40125/40013 say to check the AppID and AppSecret, 45009 says the daily
// quota is spent; transport errors as the transport reports them.
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/redact.h"
#include "base/result.h"
#include "wechat/http_transport.h"

namespace qrscene::wechat {

struct StoredToken {
  std::string value;
  std::int64_t expires_at = 0;  // Unix seconds
};

class TokenStore {
 public:
  virtual ~TokenStore() = default;
  [[nodiscard]] virtual Result<std::optional<StoredToken>> get(std::string_view appid) = 0;
  [[nodiscard]] virtual Status put(std::string_view appid, const StoredToken& token) = 0;
  // Drops the stored token only if it is `failed`; true when it did.
  [[nodiscard]] virtual Result<bool> invalidate_if(std::string_view appid, std::string_view failed) = 0;
  // Shared stores: true when this caller may ask WeChat now (nobody else holds the lease, which
  // lapses after `ttl`); false while another instance refreshes. A store of one process always
  // grants it (its provider already makes one request at a time).
  [[nodiscard]] virtual Result<bool> lease_refresh(std::string_view /*appid*/, std::chrono::milliseconds /*ttl*/) {
    return true;
  }
  virtual void end_refresh(std::string_view /*appid*/) {}
};

class MemoryTokenStore final : public TokenStore {
 public:
  [[nodiscard]] Result<std::optional<StoredToken>> get(std::string_view appid) override;
  [[nodiscard]] Status put(std::string_view appid, const StoredToken& token) override;
  [[nodiscard]] Result<bool> invalidate_if(std::string_view appid, std::string_view failed) override;

 private:
  std::mutex mu_;
  std::map<std::string, StoredToken, std::less<>> tokens_;
};

enum class TokenMode { kStable, kClassic };

struct TokenProviderOptions {
  std::string api_base = "https://api.weixin.qq.com";
  std::string appid;
  Secret secret;
  TokenMode mode = TokenMode::kStable;
  std::chrono::seconds refresh_ahead{300};
  std::chrono::milliseconds timeout{5'000};
  // Network errors, timeouts, 5xx and -1 are retried (a token request is safe to repeat).
  RetryPolicy retry;
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: really sleep
};

class TokenProvider {
 public:
  TokenProvider(HttpTransport& transport, TokenStore& store, const Clock& clock, TokenProviderOptions options);

  // A usable token: the stored one, or a new one when it is missing or about to expire.
  [[nodiscard]] Result<std::string> token();

  // After a call failed with a token error using `failed`: a newer stored token if there is one,
  // otherwise a fresh token (stable mode forces a refresh, since the normal mode would hand back
  // the same token).
  [[nodiscard]] Result<std::string> refresh_after_failure(std::string_view failed);

  // HTTP requests made for tokens so far.
  [[nodiscard]] std::int64_t requests() const;
  // Times the token store could not be reached and a token of this process's own was used.
  [[nodiscard]] std::int64_t fallbacks() const;

  [[nodiscard]] const TokenProviderOptions& options() const noexcept { return options_; }

 private:
  Result<std::string> refresh(std::optional<std::string> failed);
  // The shared path: under the store's lease, or the token another instance stored meanwhile.
  Result<StoredToken> fetch_shared(const std::optional<std::string>& failed, bool& shared_answer);
  Result<StoredToken> fetch(bool force, TokenMode mode);
  void note_fallback(const Error& why);
  bool fresh(const StoredToken& t) const;

  HttpTransport& transport_;
  TokenStore& store_;
  const Clock& clock_;
  TokenProviderOptions options_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  bool in_flight_ = false;
  std::uint64_t generation_ = 0;
  std::optional<Result<std::string>> last_;
  std::int64_t requests_ = 0;
  std::int64_t fallbacks_ = 0;
  bool degraded_ = false;              // the store was unreachable at the last look
  std::optional<StoredToken> own_;     // the token used while the store is unreachable
};

// Turns a WeChat error answer into an Error with errcode in detail and advice in the message;
// nothing when `body` is not an error. Used by every API call.
[[nodiscard]] std::optional<Error> wechat_error(std::string_view body);

// Worth trying again: a network error or timeout, HTTP 5xx, or errcode -1 ("system busy").
[[nodiscard]] bool is_transient(const Result<HttpReply>& reply);

// Sends make()'s call until the answer is not transient, at most policy.max_attempts times, with
// exponential backoff between tries (`sleep` empty: really sleep). The last answer is returned; a
// transport error that outlasted the tries says how many there were. Only for calls that are
// safe to send twice.
[[nodiscard]] Result<HttpReply> send_with_retries(HttpTransport& transport, const std::function<HttpCall()>& make,
                                                  const RetryPolicy& policy,
                                                  const std::function<void(std::chrono::milliseconds)>& sleep);

}  // namespace qrscene::wechat
