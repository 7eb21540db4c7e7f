// CallbackEndpoint: where WeChat pushes events (wechat-protocol.md sections 3–6, DESIGN.md
// section 3). GET /wechat/{appid} answers the URL check with echostr once the signature holds;
// POST /wechat/{appid} verifies, decrypts and parses a push, hands it to the Ingestor, waits until
// it is durable and only then answers with the passive reply (encrypted when the push was) or
// "success". With one account, /wechat serves it too. Kinds nothing reads (domain::is_consumed:
// template and mass-send reports, locations, menu clicks, …) are counted and answered "success" at
// once, never written — unless [jobs] forward_kinds names them for the webhook.
//
// Rejections store nothing and say why: 401 for a missing or bad signature or a timestamp outside
// the window, 400 for malformed XML, a wrong ToUserName or AppID, or a push in the wrong mode, 413
// for a body over max_body, 404 for an AppID we do not serve, 503 when the store cannot take the
// event (WeChat retries; the retry is deduplicated).
//
// The protocol (signatures, modes, AES and its key rotation, ToUserName) is wechat::PushCodec's;
// this handler opens the push with it, decides, and has it seal the reply.
//
// Thread safety: handlers may run concurrently; counters are atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/ports.h"
#include "net/http_server.h"
#include "wechat/push_codec.h"
#include "wechat/reply.h"
#include "wechat/signature.h"

namespace qrscene::service {

struct CallbackOptions {
  wechat::SignatureOptions signature;
  std::size_t max_body = 64 * 1024;  // WeChat's pushes are a few hundred bytes
  // Kinds nothing in qrscene reads (domain::is_consumed) that are still stored, because the
  // webhook forwards them: WeChat's Event or MsgType names ("CLICK", "TEMPLATESENDJOBFINISH").
  std::vector<std::string> forward_kinds;
};

struct CallbackCounters {
  std::int64_t accepted = 0;    // stored and answered
  std::int64_t duplicates = 0;  // WeChat's retries of stored events
  std::int64_t replies = 0;     // answered with a passive reply (not "success")
  std::int64_t rejected_signature = 0;
  std::int64_t rejected_request = 0;  // malformed, wrong account, wrong mode
  std::int64_t rejected_too_large = 0;
  std::int64_t store_failures = 0;
  // Answered "success" and never stored (nothing reads them), by WeChat's Event or MsgType name;
  // names beyond the first 32 seen are counted as "other".
  std::map<std::string, std::int64_t, std::less<>> unlogged;
};

// What an account's callback URL has seen, in Unix seconds (none: not since the process started,
// or, for last_push_at, the store's newest logged push before that: remember_push).
struct CallbackActivity {
  std::optional<std::int64_t> last_push_at;      // a push answered 200 (stored, or a kind never stored)
  std::optional<std::int64_t> last_verified_at;  // a URL verification answered with its echostr
};

// A reply choice as WeChat's reply type ({channel}-style templates already rendered).
[[nodiscard]] std::optional<wechat::Reply> to_wechat_reply(const domain::ReplyChoice& choice);

class CallbackEndpoint {
 public:
  // Errors: kInvalidArgument when an account's AES key is malformed or missing for its mode.
  [[nodiscard]] static Result<std::unique_ptr<CallbackEndpoint>> create(std::vector<wechat::PushAccount> accounts,
                                                                        domain::Ingestor& ingestor, const Clock& clock,
                                                                        CallbackOptions options = {});
  ~CallbackEndpoint();

  void add_routes(net::Router& router);
  [[nodiscard]] CallbackCounters counters() const;
  // The account's activity; nothing for an AppID not served here. Cheap (two atomic loads).
  [[nodiscard]] CallbackActivity activity(std::string_view appid) const;
  // The newest push the store logged for the account before this process started, as last_push_at
  // until a push arrives (a later one wins). Called at start, before or while serving.
  void remember_push(std::string_view appid, std::int64_t at);
  // Called (on an I/O thread, after the commit) with the id of a login session an event changed.
  // Set before the server starts.
  void on_login_change(std::function<void(std::string_view)> listener) { login_listener_ = std::move(listener); }

 private:
  CallbackEndpoint(domain::Ingestor& ingestor, const Clock& clock, CallbackOptions options);
  asio::awaitable<net::HttpResponse> verify_url(net::HttpRequest& request);
  asio::awaitable<net::HttpResponse> receive(net::HttpRequest& request);
  struct Account;
  Result<Account*> account_for(const net::HttpRequest& request) const;

  domain::Ingestor& ingestor_;
  const Clock& clock_;
  CallbackOptions options_;
  // Fixed once create() returns: handlers read it without a lock.
  std::map<std::string, std::unique_ptr<Account>, std::less<>> accounts_;
  struct Counters;
  std::unique_ptr<Counters> counters_;
  std::function<void(std::string_view)> login_listener_;
};

}  // namespace qrscene::service
