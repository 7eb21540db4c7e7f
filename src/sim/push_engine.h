// PushEngine: delivers a push to an account's callback URL exactly as WeChat does
// (wechat-protocol.md sections 3 and 4) and judges the answer as WeChat's client would.
//
// - The query: signature, timestamp, nonce and openid; in compatible and safe mode also
//   encrypt_type=aes and msg_signature. The body: the push XML (plain), the XML plus <Encrypt>
//   (compatible), or only ToUserName and Encrypt (safe).
// - Each attempt waits at most `timeout` (5 s). No answer, or a status other than 200, is
//   retried up to `attempts` tries in all, the XML unchanged (same CreateTime). Whether "retries
//   three times" means 3 tries or 1 + 3, and whether retries are signed anew, is not documented:
//   both are options (section 10.5).
// - The answer: `success` or an empty body shows nothing; otherwise a reply must be well-formed
//   XML addressed to the user from the account (encrypted and correctly signed in safe mode,
//   either way in compatible mode). A good reply is recorded as what the user sees; anything else
//   shows "该公众号暂时无法提供服务，请稍后再试" — as does getting no answer at all.
// Thread safety: deliver() and verify_url() may be called concurrently (the transport allows it).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "sim/account.h"
#include "sim/rng.h"
#include "wechat/http_transport.h"

namespace qrscene::sim {

inline constexpr std::string_view kServiceUnavailable = "该公众号暂时无法提供服务，请稍后再试";

struct PushOptions {
  std::chrono::milliseconds timeout{5'000};
  int attempts = 3;              // tries in all, the first included
  std::chrono::milliseconds retry_delay{0};  // pause before a retry (a timed-out try has waited already)
  bool resign_retries = false;   // false: a retry repeats timestamp, nonce and signatures
  bool openid_param = true;      // the openid query parameter SDKs read (section 10.12)
  // MarkFail (WeChat's alarm guide: after repeated failures nothing is pushed to the server, and
  // the block lifts after a minute). How many failures, over what window, is not documented:
  // after `markfail_failures` failed tries to one callback URL within `markfail_window`, nothing
  // is pushed to it for `markfail_pause`, and each push in that time is lost (0: never).
  int markfail_failures = 0;
  std::chrono::seconds markfail_window{60};
  std::chrono::seconds markfail_pause{60};
};

struct Attempt {
  unsigned status = 0;   // 0: no HTTP answer
  std::string error;     // why the attempt failed, if it did
  std::int64_t elapsed_ms = 0;
};

struct Delivery {
  // kMarkFailed: not pushed because the URL is blocked (MarkFail), or the try that blocked it.
  enum class Outcome { kNotPushed, kReplied, kNothing, kBadReply, kNoAnswer, kMarkFailed };
  Outcome outcome = Outcome::kNotPushed;
  std::vector<Attempt> attempts;
  std::string reply_type;   // text, image, news, … for a good reply
  std::string user_sees;    // the reply as the user sees it, kServiceUnavailable, or ""
  std::string reply_xml;    // the (decrypted) reply
  std::string problem;      // what was wrong with a bad reply
};

[[nodiscard]] const char* to_string(Delivery::Outcome outcome) noexcept;

class PushEngine {
 public:
  PushEngine(wechat::HttpTransport& transport, const Clock& clock, Rng& rng, PushOptions options = {});

  // Delivers `xml` (a push from `openid`) to the account's callback URL.
  [[nodiscard]] Delivery deliver(const SimAccount& account, std::string_view openid, std::string_view xml);

  // The GET WeChat sends when a developer saves the callback URL: the answer must be echostr.
  [[nodiscard]] Status verify_url(const SimAccount& account);

  [[nodiscard]] const PushOptions& options() const noexcept { return options_; }
  // Times a callback URL was blocked by MarkFail so far.
  [[nodiscard]] std::int64_t markfails() const;

 private:
  struct Endpoint {
    std::deque<std::int64_t> failures;  // when each recent failed try was (Unix seconds)
    std::int64_t blocked_until = 0;
  };
  bool blocked(const std::string& url);
  bool count_failure(const std::string& url);  // true: this failure blocks the URL

  mutable std::mutex markfail_mu_;
  std::map<std::string, Endpoint, std::less<>> endpoints_;  // by callback URL (guarded by markfail_mu_)
  std::int64_t markfails_ = 0;                              // guarded by markfail_mu_
  wechat::HttpTransport& transport_;
  const Clock& clock_;
  Rng& rng_;
  PushOptions options_;
};

}  // namespace qrscene::sim
