#include "service/callback_endpoint.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <mutex>

#include "base/log_text.h"
#include "service/event_mapping.h"
#include "wechat/inbound.h"

namespace qrscene::service {

std::optional<wechat::Reply> to_wechat_reply(const domain::ReplyChoice& choice) {
  using Kind = domain::ReplyChoice::Kind;
  switch (choice.kind) {
    case Kind::kText: return wechat::Reply(wechat::TextReply{choice.text});
    case Kind::kImage: return wechat::Reply(wechat::ImageReply{choice.media_id});
    case Kind::kNews:
      return wechat::Reply(wechat::NewsReply{{wechat::NewsArticle{choice.title, choice.description, choice.pic_url,
                                                                  choice.url}}});
    case Kind::kNone: break;
  }
  return std::nullopt;
}

struct CallbackEndpoint::Counters {
  std::atomic<std::int64_t> accepted{0}, duplicates{0}, replies{0}, rejected_signature{0}, rejected_request{0},
      rejected_too_large{0}, store_failures{0};
  LogThrottle log{std::chrono::seconds(10)};  // a store outage fails every push: one line per 10 s
  std::mutex unlogged_mu;
  std::map<std::string, std::int64_t, std::less<>> unlogged;  // guarded by unlogged_mu

  void count_unlogged(std::string_view name) {
    constexpr std::size_t kMaxNames = 32;  // names come from the push: bound the label set
    std::lock_guard lock(unlogged_mu);
    auto it = unlogged.find(name);
    if (it == unlogged.end()) {
      const bool plain = !name.empty() && name.size() <= 64 &&
                         name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
                             std::string_view::npos;  // it becomes a metric label
      it = unlogged.try_emplace(unlogged.size() < kMaxNames && plain ? std::string(name) : "other", 0).first;
    }
    ++it->second;
  }
};

// An account's codec and what its callback URL has seen (0: nothing). Written with a relaxed store
// per push on the answer path: no lock, no allocation.
struct CallbackEndpoint::Account {
  explicit Account(wechat::PushCodec c) : codec(std::move(c)) {}
  wechat::PushCodec codec;
  std::atomic<std::int64_t> last_push_at{0};
  std::atomic<std::int64_t> last_verified_at{0};
};

CallbackEndpoint::CallbackEndpoint(domain::Ingestor& ingestor, const Clock& clock, CallbackOptions options)
    : ingestor_(ingestor), clock_(clock), options_(options), counters_(std::make_unique<Counters>()) {}

CallbackEndpoint::~CallbackEndpoint() = default;

Result<std::unique_ptr<CallbackEndpoint>> CallbackEndpoint::create(std::vector<wechat::PushAccount> accounts,
                                                                   domain::Ingestor& ingestor, const Clock& clock,
                                                                   CallbackOptions options) {
  std::unique_ptr<CallbackEndpoint> endpoint(new CallbackEndpoint(ingestor, clock, options));
  for (auto& a : accounts) {
    const std::string appid = a.appid;
    QRSCENE_ASSIGN_OR_RETURN(auto codec, wechat::PushCodec::create(std::move(a), options.signature, clock));
    if (!endpoint->accounts_.emplace(appid, std::make_unique<Account>(std::move(codec))).second) {
      return unexpected(ErrorCode::kInvalidArgument, fmt::format("account {} is configured twice", appid));
    }
  }
  return endpoint;
}

void CallbackEndpoint::add_routes(net::Router& router) {
  auto get = [this](net::HttpRequest& r) { return verify_url(r); };
  auto post = [this](net::HttpRequest& r) { return receive(r); };
  router.add("GET", "/wechat/{appid}", get);
  router.add("POST", "/wechat/{appid}", post);
  if (accounts_.size() == 1) {
    router.add("GET", "/wechat", get);
    router.add("POST", "/wechat", post);
  }
}

CallbackCounters CallbackEndpoint::counters() const {
  Counters& c = *counters_;
  CallbackCounters out{c.accepted.load(),           c.duplicates.load(),       c.replies.load(),
                       c.rejected_signature.load(), c.rejected_request.load(), c.rejected_too_large.load(),
                       c.store_failures.load(),     {}};
  std::lock_guard lock(c.unlogged_mu);
  out.unlogged = c.unlogged;
  return out;
}

CallbackActivity CallbackEndpoint::activity(std::string_view appid) const {
  CallbackActivity out;
  const auto it = accounts_.find(appid);
  if (it == accounts_.end()) return out;
  auto known = [](std::int64_t at) { return at != 0 ? std::optional<std::int64_t>(at) : std::nullopt; };
  out.last_push_at = known(it->second->last_push_at.load(std::memory_order_relaxed));
  out.last_verified_at = known(it->second->last_verified_at.load(std::memory_order_relaxed));
  return out;
}

void CallbackEndpoint::remember_push(std::string_view appid, std::int64_t at) {
  const auto it = accounts_.find(appid);
  if (it == accounts_.end()) return;
  std::int64_t seen = it->second->last_push_at.load(std::memory_order_relaxed);
  while (at > seen && !it->second->last_push_at.compare_exchange_weak(seen, at, std::memory_order_relaxed)) {
  }
}

Result<CallbackEndpoint::Account*> CallbackEndpoint::account_for(const net::HttpRequest& request) const {
  std::string_view appid = request.path_param("appid");
  if (appid.empty() && accounts_.size() == 1) return accounts_.begin()->second.get();
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) {
    return unexpected(ErrorCode::kNotFound,
                      fmt::format("no account '{}' is configured here: the callback URL is /wechat/<appid>", appid));
  }
  return it->second.get();
}

namespace {

net::HttpResponse reject(const Error& error, const net::HttpRequest& request, std::atomic<std::int64_t>& counter,
                         LogThrottle& log) {
  counter.fetch_add(1, std::memory_order_relaxed);
  net::HttpResponse response = net::HttpResponse::error(error);
  if (const auto left_out = log.admit(error_code_name(error.code))) {
    spdlog::warn("callback rejected request_id={} status={} reason={} client={} repeats={}", request.request_id,
                 response.status, log_text(error.message), log_text(request.client_ip), *left_out);
  }
  return response;
}

// Waits for the ingestor's callback on the coroutine's own executor. The wait counts as
// outstanding work, so the io_context keeps running (and a graceful stop keeps waiting) until the
// store has answered: otherwise run() could return with the commit pending, and the store's thread
// would later touch an executor whose io_context is gone.
asio::awaitable<Result<domain::IngestOutcome>> ingest(domain::Ingestor& ingestor, domain::Event event) {
  auto op = asio::async_initiate<const asio::use_awaitable_t<>&, void(Result<domain::IngestOutcome>)>(
      [&ingestor, event = std::move(event)](auto handler) mutable {
        auto work = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        // The handler moves into the posted call, so it is run and destroyed on its own executor.
        ingestor.submit(std::move(event), [shared, work](Result<domain::IngestOutcome> outcome) mutable {
          asio::post(work, [shared = std::move(shared), outcome = std::move(outcome)]() mutable {
            (*shared)(std::move(outcome));
          });
        });
      },
      asio::use_awaitable);
  auto outcome = co_await std::move(op);
  co_return outcome;
}

}  // namespace

namespace {

wechat::PushQuery query_of(const net::HttpRequest& request) {
  return wechat::PushQuery{request.query_param("signature"), request.query_param("timestamp"),
                           request.query_param("nonce"), request.query_param("msg_signature"),
                           request.query_param("encrypt_type")};
}

}  // namespace

asio::awaitable<net::HttpResponse> CallbackEndpoint::verify_url(net::HttpRequest& request) {
  auto account = account_for(request);
  if (!account) co_return reject(account.error(), request, counters_->rejected_request, counters_->log);
  if (auto ok = (*account)->codec.verify_url(query_of(request)); !ok) {
    co_return reject(ok.error(), request, counters_->rejected_signature, counters_->log);
  }
  (*account)->last_verified_at.store(clock_.unix_seconds(), std::memory_order_relaxed);
  co_return net::HttpResponse::text(200, request.query_param("echostr"));
}

asio::awaitable<net::HttpResponse> CallbackEndpoint::receive(net::HttpRequest& request) {
  auto account = account_for(request);
  if (!account) co_return reject(account.error(), request, counters_->rejected_request, counters_->log);
  Account& state = **account;
  const wechat::PushCodec& codec = state.codec;
  if (request.body.size() > options_.max_body) {
    co_return reject(Error{ErrorCode::kTooLarge,
                           fmt::format("body of {} bytes exceeds {} bytes", request.body.size(), options_.max_body)},
                     request, counters_->rejected_too_large, counters_->log);
  }
  auto opened = codec.open(query_of(request), request.body);
  if (auto* refused = std::get_if<wechat::PushRefusal>(&opened)) {
    co_return reject(refused->error, request,
                     refused->signature ? counters_->rejected_signature : counters_->rejected_request, counters_->log);
  }
  const wechat::OpenedPush& push = std::get<wechat::OpenedPush>(opened);
  const wechat::PushHeader& header = wechat::header_of(push.message);

  domain::Event event = to_event(push.message, codec.account().appid);
  if (!domain::is_consumed(event) && !domain::is_forwarded(event, options_.forward_kinds) && !ingestor_.wants(event)) {
    counters_->count_unlogged(event.name);
    state.last_push_at.store(clock_.unix_seconds(), std::memory_order_relaxed);
    co_return net::HttpResponse::text(200, "success");
  }
  auto outcome = co_await ingest(ingestor_, std::move(event));
  if (!outcome) {
    counters_->store_failures.fetch_add(1, std::memory_order_relaxed);
    if (const auto left_out = counters_->log.admit("store_failed")) {
      spdlog::error("callback store_failed request_id={} appid={} reason={} repeats={}", request.request_id,
                    codec.account().appid, log_text(outcome.error().message), *left_out);
    }
    // 503: WeChat retries, and the retry is deduplicated if this one did land after all.
    co_return net::HttpResponse::error(Error{ErrorCode::kUnavailable, "the event could not be stored; retry"});
  }
  counters_->accepted.fetch_add(1, std::memory_order_relaxed);
  const std::int64_t now = clock_.unix_seconds();
  state.last_push_at.store(now, std::memory_order_relaxed);
  if (outcome->duplicate) counters_->duplicates.fetch_add(1, std::memory_order_relaxed);
  if (!outcome->login_session.empty() && login_listener_) login_listener_(outcome->login_session);

  const auto reply = to_wechat_reply(outcome->reply);
  if (!reply) co_return net::HttpResponse::text(200, "success");
  auto rendered = wechat::render_reply(*reply, header.from_user, header.to_user, now);
  if (!rendered) {
    // A reply we cannot render must not cost the event (already stored): say nothing.
    spdlog::error("callback reply_failed request_id={} reason={}", request.request_id, log_text(rendered.error().message));
    co_return net::HttpResponse::text(200, "success");
  }
  counters_->replies.fetch_add(1, std::memory_order_relaxed);
  net::HttpResponse response;
  response.content_type = "application/xml; charset=utf-8";
  response.body = codec.seal(push, std::move(*rendered), now);
  co_return response;
}

}  // namespace qrscene::service
