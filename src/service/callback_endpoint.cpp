#include "service/callback_endpoint.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <mutex>

#include "base/encoding.h"
#include "service/event_mapping.h"
#include "wechat/inbound.h"

namespace qrscene::service {

std::optional<CallbackMode> callback_mode_from(std::string_view text) noexcept {
  if (text == "plain") return CallbackMode::kPlain;
  if (text == "compatible") return CallbackMode::kCompatible;
  if (text == "safe") return CallbackMode::kSafe;
  return std::nullopt;
}

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

struct CallbackEndpoint::Account {
  CallbackAccount config;
  wechat::SignatureVerifier verifier;
  std::optional<wechat::MsgCrypt> crypt;
  std::optional<wechat::MsgCrypt> previous_crypt;
};

struct CallbackEndpoint::Counters {
  std::atomic<std::int64_t> accepted{0}, duplicates{0}, replies{0}, rejected_signature{0}, rejected_request{0},
      rejected_too_large{0}, store_failures{0};
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

CallbackEndpoint::CallbackEndpoint(domain::Ingestor& ingestor, const Clock& clock, CallbackOptions options)
    : ingestor_(ingestor), clock_(clock), options_(options), counters_(std::make_unique<Counters>()) {}

CallbackEndpoint::~CallbackEndpoint() = default;

Result<std::unique_ptr<CallbackEndpoint>> CallbackEndpoint::create(std::vector<CallbackAccount> accounts,
                                                                   domain::Ingestor& ingestor, const Clock& clock,
                                                                   CallbackOptions options) {
  std::unique_ptr<CallbackEndpoint> endpoint(new CallbackEndpoint(ingestor, clock, options));
  for (auto& a : accounts) {
    auto account = std::make_unique<Account>(
        Account{a, wechat::SignatureVerifier(a.token, options.signature, clock), std::nullopt, std::nullopt});
    if (a.mode != CallbackMode::kPlain || !a.encoding_aes_key.empty()) {
      if (a.encoding_aes_key.empty()) {
        return unexpected(ErrorCode::kInvalidArgument,
                          fmt::format("account {}: compatible and safe mode need encoding_aes_key", a.appid));
      }
      auto crypt = wechat::MsgCrypt::create(a.token, a.encoding_aes_key, a.appid);
      if (!crypt) return unexpected(crypt.error().code, fmt::format("account {}: {}", a.appid, crypt.error().message));
      account->crypt.emplace(std::move(*crypt));
    }
    if (!a.previous_encoding_aes_key.empty()) {
      auto crypt = wechat::MsgCrypt::create(a.token, a.previous_encoding_aes_key, a.appid);
      if (!crypt) {
        return unexpected(crypt.error().code,
                          fmt::format("account {} previous key: {}", a.appid, crypt.error().message));
      }
      account->previous_crypt.emplace(std::move(*crypt));
    }
    const std::string appid = a.appid;
    if (!endpoint->accounts_.emplace(appid, std::move(account)).second) {
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

Result<const CallbackEndpoint::Account*> CallbackEndpoint::account_for(const net::HttpRequest& request) const {
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

net::HttpResponse reject(const Error& error, const net::HttpRequest& request, std::atomic<std::int64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
  net::HttpResponse response = net::HttpResponse::error(error);
  spdlog::warn("callback rejected request_id={} status={} reason=\"{}\" remote={}", request.request_id,
               response.status, error.message, request.remote_ip);
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

std::string random_nonce() {
  std::array<std::uint8_t, 8> bytes{};
  secure_random_bytes(bytes);
  return to_hex(bytes);
}

}  // namespace

asio::awaitable<net::HttpResponse> CallbackEndpoint::verify_url(net::HttpRequest& request) {
  auto account = account_for(request);
  if (!account) co_return reject(account.error(), request, counters_->rejected_request);
  const Account& a = **account;
  if (auto ok = a.verifier.verify(request.query_param("signature"), request.query_param("timestamp"),
                                  request.query_param("nonce"));
      !ok) {
    co_return reject(ok.error(), request, counters_->rejected_signature);
  }
  co_return net::HttpResponse::text(200, request.query_param("echostr"));
}

asio::awaitable<net::HttpResponse> CallbackEndpoint::receive(net::HttpRequest& request) {
  auto account = account_for(request);
  if (!account) co_return reject(account.error(), request, counters_->rejected_request);
  const Account& a = **account;
  if (request.body.size() > options_.max_body) {
    co_return reject(Error{ErrorCode::kTooLarge,
                           fmt::format("body of {} bytes exceeds {} bytes", request.body.size(), options_.max_body)},
                     request, counters_->rejected_too_large);
  }
  const std::string timestamp = request.query_param("timestamp");
  const std::string nonce = request.query_param("nonce");
  if (auto ok = a.verifier.verify(request.query_param("signature"), timestamp, nonce); !ok) {
    co_return reject(ok.error(), request, counters_->rejected_signature);
  }
  const bool encrypted = request.query_param("encrypt_type") == "aes";
  if (encrypted && a.config.mode == CallbackMode::kPlain) {
    co_return reject(Error{ErrorCode::kInvalidArgument,
                           "an encrypted push to an account configured for plain mode: set its mode to compatible or "
                           "safe (as in WeChat's console)"},
                     request, counters_->rejected_request);
  }
  if (!encrypted && a.config.mode == CallbackMode::kSafe) {
    co_return reject(Error{ErrorCode::kInvalidArgument,
                           "a plaintext push to an account configured for safe mode: set its mode to match WeChat's "
                           "console"},
                     request, counters_->rejected_request);
  }

  std::string xml;
  const wechat::MsgCrypt* sealer = nullptr;
  if (encrypted) {
    auto envelope = wechat::parse_encrypted_envelope(request.body);
    if (!envelope) co_return reject(envelope.error(), request, counters_->rejected_request);
    if (auto ok = a.verifier.verify_msg(request.query_param("msg_signature"), timestamp, nonce, envelope->encrypt);
        !ok) {
      co_return reject(ok.error(), request, counters_->rejected_signature);
    }
    auto opened = a.crypt->decrypt(envelope->encrypt);
    sealer = &*a.crypt;
    if (!opened && a.previous_crypt && clock_.unix_seconds() < a.config.previous_key_until) {
      if (auto old = a.previous_crypt->decrypt(envelope->encrypt)) {
        opened = std::move(old);
        sealer = &*a.previous_crypt;
      }
    }
    if (!opened) {
      co_return reject(Error{ErrorCode::kInvalidArgument,
                             fmt::format("cannot decrypt the push ({}): check encoding_aes_key against WeChat's "
                                         "console; after changing it there, keep the old one as "
                                         "previous_encoding_aes_key for a while",
                                         opened.error().message),
                             opened.error().detail},
                       request, counters_->rejected_request);
    }
    xml = std::move(*opened);
  } else {
    xml = request.body;
  }

  auto inbound = wechat::parse_inbound(xml);
  if (!inbound) co_return reject(inbound.error(), request, counters_->rejected_request);
  const wechat::PushHeader& header = wechat::header_of(*inbound);
  if (!a.config.original_id.empty() && header.to_user != a.config.original_id) {
    co_return reject(Error{ErrorCode::kInvalidArgument,
                           fmt::format("ToUserName '{}' is not this account's original id '{}': the push is for "
                                       "another account",
                                       header.to_user, a.config.original_id)},
                     request, counters_->rejected_request);
  }
  if (header.from_user.empty()) {
    co_return reject(Error{ErrorCode::kInvalidArgument, "FromUserName is empty"}, request,
                     counters_->rejected_request);
  }

  domain::Event event = to_event(*inbound, a.config.appid);
  if (!domain::is_consumed(event) &&
      std::find(options_.forward_kinds.begin(), options_.forward_kinds.end(), event.name) ==
          options_.forward_kinds.end()) {
    counters_->count_unlogged(event.name);
    co_return net::HttpResponse::text(200, "success");
  }
  auto outcome = co_await ingest(ingestor_, std::move(event));
  if (!outcome) {
    counters_->store_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("callback store_failed request_id={} appid={} reason=\"{}\"", request.request_id, a.config.appid,
                  outcome.error().message);
    // 503: WeChat retries, and the retry is deduplicated if this one did land after all.
    co_return net::HttpResponse::error(Error{ErrorCode::kUnavailable, "the event could not be stored; retry"});
  }
  counters_->accepted.fetch_add(1, std::memory_order_relaxed);
  if (outcome->duplicate) counters_->duplicates.fetch_add(1, std::memory_order_relaxed);
  if (!outcome->login_session.empty() && login_listener_) login_listener_(outcome->login_session);

  const auto reply = to_wechat_reply(outcome->reply);
  if (!reply) co_return net::HttpResponse::text(200, "success");
  const std::int64_t now = clock_.unix_seconds();
  auto rendered = wechat::render_reply(*reply, header.from_user, header.to_user, now);
  if (!rendered) {
    // A reply we cannot render must not cost the event (already stored): say nothing.
    spdlog::error("callback reply_failed request_id={} reason=\"{}\"", request.request_id, rendered.error().message);
    co_return net::HttpResponse::text(200, "success");
  }
  counters_->replies.fetch_add(1, std::memory_order_relaxed);
  net::HttpResponse response;
  response.content_type = "application/xml; charset=utf-8";
  response.body = sealer != nullptr ? sealer->seal(*rendered, now, random_nonce()) : std::move(*rendered);
  co_return response;
}

}  // namespace qrscene::service
