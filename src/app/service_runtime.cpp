#include "app/service_runtime.h"

#include "app/web_assets.h"
#include "base/log_text.h"
#include "base/thread_name.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>

namespace qrscene::app {

Result<std::vector<wechat::PushAccount>> callback_accounts(const config::Config& config) {
  std::vector<wechat::PushAccount> out;
  for (const auto& a : config.accounts) {
    wechat::PushAccount c;
    c.appid = a.appid;
    c.original_id = a.original_id;
    c.token = a.token;
    auto mode = wechat::push_mode_from(a.mode);
    if (!mode) return unexpected(ErrorCode::kInvalidArgument, fmt::format("account {}: unknown mode {}", a.appid, a.mode));
    c.mode = *mode;
    c.encoding_aes_key = a.encoding_aes_key.reveal();
    c.previous_encoding_aes_key = a.previous_encoding_aes_key.reveal();
    c.previous_key_until = a.previous_key_until;
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

Status check_accounts(const config::Config& config) {
  if (config.accounts.empty()) {
    return unexpected(ErrorCode::kInvalidArgument,
                      "no account is configured: add [[accounts]] to the config file (docs/configuration.md)");
  }
  for (const auto& a : config.accounts) {
    if (a.token.empty()) {
      return unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("account {}: token is needed to verify pushes (the Token of WeChat's console)",
                                    a.appid));
    }
  }
  return {};
}

// The dashboard's files, with the headers that keep it to its own origin.
void add_web_assets(net::Router& router) {
  for (const WebAsset& asset : web_assets()) {
    router.add("GET", std::string(asset.path), [&asset](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
      net::HttpResponse r;
      r.content_type = std::string(asset.content_type);
      r.body = std::string(asset.body);
      // The dashboard loads only its own files; Element Plus and ECharts set inline styles.
      r.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
                             "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                             "form-action 'self'");
      r.headers.emplace_back("X-Content-Type-Options", "nosniff");
      r.headers.emplace_back("X-Frame-Options", "DENY");
      r.headers.emplace_back("Referrer-Policy", "no-referrer");
      // The built files keep their names from one release to the next: always revalidated.
      r.headers.emplace_back("Cache-Control", "no-cache");
      co_return r;
    });
  }
}

}  // namespace

Result<std::unique_ptr<ServiceRuntime>> ServiceRuntime::start(const config::Config& config, const Clock& clock,
                                                              wechat::HttpTransport& transport, bool background) {
  QRSCENE_TRY(check_accounts(config));
  std::unique_ptr<ServiceRuntime> rt(new ServiceRuntime(clock));
  QRSCENE_TRY(rt->open_store(config));
  QRSCENE_ASSIGN_OR_RETURN(domain::Ingestor * ingestor, rt->connect(config, transport));
  QRSCENE_TRY(rt->make_services(config, transport, *ingestor));
  net::Router router;
  rt->callback_->add_routes(router);
  rt->add_operations_routes(router);
  rt->add_apis(config, router);
  add_web_assets(router);
  QRSCENE_TRY(rt->serve(config, std::move(router), background));
  return rt;
}

Status ServiceRuntime::open_store(const config::Config& config) {
  store::StoreOptions store_options;
  store_options.utc_offset_seconds = config.store.utc_offset_minutes * 60;
  if (!config.replies.organic_subscribe.empty()) {
    store_options.replies.organic_subscribe.kind = domain::ReplyChoice::Kind::kText;
    store_options.replies.organic_subscribe.text = config.replies.organic_subscribe;
  }
  store_options.forward_events = !config.jobs.webhook_url.empty();
  store_options.reward_webhook = !config.jobs.webhook_url.empty();
  store_options.forward_kinds = config.jobs.forwarded_kinds();
  store_options.unlink_on_unfollow = config.privacy.on_unfollow == config::OnUnfollow::kDelete;
  const auto& login_config = config.login;
  store_options.login_texts =
      domain::LoginTexts{login_config.reply_logged_in,     login_config.reply_bound,    login_config.reply_denied,
                         login_config.reply_expired,       login_config.reply_already_bound,
                         login_config.confirm_prompt,      login_config.confirm_hint};
  store_options.login_code_cooldown = login_config.code_cooldown_seconds;
  store_options.profile_followers = config.jobs.profile_followers;
  store_options.project = config.store.projector;
  if (config.store.backend == config::StoreBackend::kPostgres) {
    store::postgres::PostgresStoreOptions postgres_options;
    static_cast<store::StoreOptions&>(postgres_options) = store_options;
    postgres_options.url = config.store.url.reveal();
    postgres_options.writers = static_cast<std::size_t>(config.store.writers);
    postgres_options.readers = static_cast<std::size_t>(config.store.readers);
    postgres_options.auto_migrate = config.store.auto_migrate;
    QRSCENE_ASSIGN_OR_RETURN(store_, store::postgres::PostgresStore::open(postgres_options, clock_));
  } else {
    store::sqlite::SqliteStoreOptions sqlite_options;
    static_cast<store::StoreOptions&>(sqlite_options) = store_options;
    // One writer, paced by its own fsync: a wait for company before each commit cost the answer
    // path a sixth of its rate once the projector got cheaper, for fewer bytes per push it does
    // not need (docs/benchmarks.md). PostgreSQL's writers keep theirs.
    sqlite_options.commit_delay = std::chrono::microseconds{0};
    sqlite_options.path = config.store.path;
    sqlite_options.durable = config.store.durable;
    sqlite_options.auto_migrate = config.store.auto_migrate;
    QRSCENE_ASSIGN_OR_RETURN(auto sqlite, store::sqlite::SqliteStore::open(sqlite_options, clock_));
    sqlite_ = sqlite.get();
    store_ = std::move(sqlite);
  }
  return {};
}

Result<domain::Ingestor*> ServiceRuntime::connect(const config::Config& config, wechat::HttpTransport& transport) {
  wechat::ApiClientOptions api_options;
  api_options.api_base = config.wechat.api_base;
  api_options.mp_base = config.wechat.mp_base;
  api_options.timeout = std::chrono::milliseconds(config.wechat.timeout_ms);
  // Redis, when configured: tokens shared by every instance, the retries' fast path, login changes
  // told to every instance.
  wechat::TokenStore* tokens = &memory_tokens_;
  domain::Ingestor* ingestor = store_.get();
  if (!config.redis.url.empty()) {
    store::redis::RedisOptions redis_options{config.redis.url.reveal(),
                                             std::chrono::milliseconds(config.redis.timeout_ms)};
    redis_ = std::make_unique<store::redis::RedisClient>(redis_options);
    redis_tokens_ = std::make_unique<store::redis::RedisTokenStore>(*redis_, config.redis.prefix, clock_);
    tokens = redis_tokens_.get();
    store::SqlStore* sql = store_.get();
    dedup_ = std::make_unique<store::redis::DedupCache>(
        *store_, *redis_, config.redis.prefix,
        [sql](const domain::Event& e) { return fmt::format("{}:{}", e.appid, sql->pseudonym(e.appid, e.dedup_key)); },
        std::chrono::seconds(300));
    ingestor = dedup_.get();
    broadcast_ = std::make_unique<store::redis::LoginBroadcast>(
        redis_options, config.redis.prefix, [self = this](std::string_view id) {
          if (self->logins_) self->logins_->notify(id);
        });
    if (auto ping = redis_->command({"PING"}); !ping) {
      spdlog::warn("redis unavailable at_start reason={} action=\"tokens of this instance's own (stable_token), "
                   "retries checked by the database, logins found by polling, until it answers\"",
                   log_text(ping.error().message));
    }
  }
  clients_ = std::make_unique<wechat::AccountClients>(transport, *tokens, clock_, api_options);
  for (const auto& a : config.accounts) {
    if (a.secret.empty()) continue;  // pushes only: no channels can be made for it
    QRSCENE_TRY(clients_->add({a.appid, a.secret,
                               config.wechat.token_mode == config::TokenMode::kClassic ? wechat::TokenMode::kClassic
                                                                                       : wechat::TokenMode::kStable}));
  }
  return ingestor;
}

Status ServiceRuntime::make_services(const config::Config& config, wechat::HttpTransport& transport,
                                     domain::Ingestor& ingestor) {
  QRSCENE_ASSIGN_OR_RETURN(auto accounts, callback_accounts(config));
  service::CallbackOptions callback_options;
  callback_options.max_body = static_cast<std::size_t>(config.server.max_body_bytes);
  callback_options.forward_kinds = config.jobs.forwarded_kinds();
  callback_options.signature.max_age = std::chrono::seconds(config.server.timestamp_window_seconds);
  callback_options.signature.max_ahead = std::chrono::seconds(config.server.timestamp_window_seconds);
  QRSCENE_ASSIGN_OR_RETURN(callback_, service::CallbackEndpoint::create(accounts, ingestor, clock_, callback_options));
  // Each account's last push as the log remembers it, so that a restart does not forget it
  // (GET /api/v1/accounts); a store that cannot tell costs only that.
  std::vector<std::string> appids;
  for (const auto& a : accounts) appids.push_back(a.appid);
  if (auto newest = store_->newest_pushes(appids); newest) {
    for (const auto& [appid, at] : *newest) callback_->remember_push(appid, at);
  } else {
    spdlog::warn("callback last_push_unknown reason={}", log_text(newest.error().message));
  }

  service::ChannelServiceOptions channel_options;
  channel_options.renew_ahead_seconds = config.jobs.renew_ahead_hours * 3600;
  domain::JobQueue* notices = config.jobs.webhook_url.empty() ? nullptr : store_.get();
  channels_ = std::make_unique<service::ChannelService>(*store_, *clients_, clock_, channel_options, notices);

  service::JobRunnerOptions job_options;
  job_options.webhook_url = config.jobs.webhook_url;
  job_options.webhook_secret = config.jobs.webhook_secret;
  job_options.max_attempts = static_cast<int>(config.jobs.max_attempts);
  job_options.utc_offset_seconds = config.store.utc_offset_minutes * 60;
  code_renew_margin_seconds_ = job_options.code_renew_margin_seconds;  // the sweep asks as the runner renews
  jobs_ = std::make_unique<service::JobRunner>(*store_, *store_, *clients_, transport, clock_, job_options);
  jobs_->serve_campaigns(*store_);
  return {};
}

void ServiceRuntime::add_operations_routes(net::Router& router) {
  ServiceRuntime* self = this;
  // Up while it can answer pushes; the projection's lag is reported, not a reason to be taken out
  // of a load balancer (the answer path does not wait for it).
  // Down (503, with the database's reason) while the store refuses writes: pushes would get 503.
  router.add("GET", "/healthz", [self](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
    const auto p = self->store_->projection();
    const auto writes = self->store_->write_health();
    co_return net::HttpResponse::json(
        writes.ok ? 200 : 503,
        fmt::format(R"({{"status":"{}",{}"projection":{{"leader":{},"position":{},"head":{},"lag_events":{},)"
                    R"("lag_seconds":{}}}}})",
                    writes.ok ? "ok" : "store_unwritable",
                    writes.ok ? "" : fmt::format(R"("reason":{},)", nlohmann::json(writes.reason).dump(
                                                                          -1, ' ', false,
                                                                          nlohmann::json::error_handler_t::replace)),
                    p.leader, p.position, p.head, std::max<std::int64_t>(0, p.head - p.position), p.lag_seconds));
  });
  router.add("GET", "/metrics", [self](net::HttpRequest&) -> asio::awaitable<net::HttpResponse> {
    net::HttpResponse r = net::HttpResponse::text(200, self->metrics_text());
    r.content_type = "text/plain; version=0.0.4";
    co_return r;
  });
}

void ServiceRuntime::add_apis(const config::Config& config, net::Router& router) {
  ServiceRuntime* self = this;
  const auto& login_config = config.login;
  analytics_ = std::make_unique<service::AnalyticsService>(*store_, clock_);
  service::AdminGateOptions gate;
  gate.token_sha256 = config.admin.token_hashes();
  gate.max_failures_per_minute = static_cast<std::size_t>(config.admin.failures_per_minute);
  std::vector<service::AdminAccount> admin_accounts;
  for (const auto& a : config.accounts) admin_accounts.push_back({a.appid, a.name, a.mode});
  gate_ = std::make_unique<service::AdminGate>(gate, std::move(admin_accounts), blocking_);
  admin_ = std::make_unique<service::AdminApi>(service::AdminApiOptions{}, *gate_, *channels_, *analytics_, *store_,
                                               *clients_, clock_, callback_.get());
  admin_->add_routes(router);
  conversions_ = std::make_unique<service::ConversionService>(*store_, *store_, clock_, config.conversions.currency);
  follower_api_ = std::make_unique<service::FollowerApi>(service::FollowerApiOptions{}, *gate_, *store_, *conversions_,
                                                         *analytics_);
  follower_api_->add_routes(router);
  service::CampaignApiOptions campaign_options;
  campaign_options.utc_offset_seconds = config.store.utc_offset_minutes * 60;
  campaign_api_ = std::make_unique<service::CampaignApi>(campaign_options, *gate_, *store_, clock_);
  campaign_api_->add_routes(router);

  service::LoginOptions login_options;
  login_options.session_seconds = login_config.session_seconds;
  login_options.code_cooldown_seconds = login_config.code_cooldown_seconds;
  login_options.exchange_seconds = login_config.exchange_seconds;
  login_options.channel_name = login_config.channel;
  logins_ = std::make_unique<service::LoginService>(*store_, *channels_, *clients_, clock_, login_options);
  service::LoginApiOptions login_api_options;
  login_api_options.public_login = login_config.public_sessions;
  login_api_options.sessions_per_minute_per_ip = static_cast<std::size_t>(login_config.sessions_per_minute_per_ip);
  login_api_options.cookie_secure = login_config.cookie_secure;
  login_api_ = std::make_unique<service::LoginApi>(login_api_options, *logins_, *gate_, *store_, blocking_, clock_);
  login_api_->add_routes(router);
  callback_->on_login_change([self](std::string_view id) {
    self->logins_->notify(id);
    if (self->broadcast_) self->broadcast_->publish(id);  // and the browsers waiting on other instances
  });
}

Status ServiceRuntime::serve(const config::Config& config, net::Router router, bool background) {
  ServiceRuntime* self = this;
  net::HttpServerOptions http_options;
  http_options.address = config.server.address;
  http_options.port = static_cast<std::uint16_t>(config.server.port);
  http_options.body_limit = static_cast<std::size_t>(config.server.max_body_bytes);
  http_options.max_connections = static_cast<std::size_t>(config.server.max_connections);
  QRSCENE_ASSIGN_OR_RETURN(http_options.trusted_proxies, TrustedProxies::parse(config.server.trusted_proxies));
  address_ = config.server.address;
  std::vector<asio::io_context*> every_lane{&io_};
  for (std::int64_t i = 1; i < config.server.threads; ++i) {
    lanes_.push_back(std::make_unique<asio::io_context>(1));
    lane_guards_.push_back(asio::make_work_guard(*lanes_.back()));
    every_lane.push_back(lanes_.back().get());
  }
  server_ = std::make_unique<net::HttpServer>(io_, http_options, std::move(router), every_lane);
  QRSCENE_TRY(server_->start());
  for (asio::io_context* lane : every_lane) {
    io_threads_.emplace_back([lane] {
      name_this_thread("qrs-io");
      lane->run();
    });
  }
  if (background) loop_thread_ = std::thread([self] { self->loop(); });
  return {};
}

ServiceRuntime::~ServiceRuntime() { stop(); }

void ServiceRuntime::stop() {
  if (stopped_.exchange(true)) return;
  // A start() that failed half-way (the store refused to open) stops what it had started.
  if (logins_) logins_->stop();  // browsers waiting on event streams are let go, so the server drains at once
  if (server_) server_->stop();
  lane_guards_.clear();  // each lane returns once its connections and answers are done
  for (auto& t : io_threads_) t.join();
  blocking_.join();  // its last answers were posted to the lanes, which ran them before returning
  broadcast_.reset();  // nothing publishes any more; its listener stops before logins_ goes
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_wake_.notify_all();
  if (loop_thread_.joinable()) loop_thread_.join();
}

std::string ServiceRuntime::base_url() const {
  return fmt::format("http://{}:{}", address_ == "0.0.0.0" ? "127.0.0.1" : address_, port());
}

void ServiceRuntime::loop() {
  auto next_upkeep = std::chrono::steady_clock::now();
  std::unique_lock lock(loop_mu_);
  while (!stopping_) {
    lock.unlock();
    if (auto r = run_jobs(); !r) spdlog::warn("jobs run_failed reason={}", log_text(r.error().message));
    if (std::chrono::steady_clock::now() >= next_upkeep) {
      const auto report = upkeep();
      for (const auto& e : report.errors) spdlog::warn("upkeep problem={}", log_text(e));
      if (!report.renewed.empty() || !report.expired.empty() || !report.failed.empty()) {
        // By id, so that the channels can be found (the failures' reasons are logged above).
        spdlog::info("upkeep renewed=[{}] renewal_failed=[{}] expired=[{}]", fmt::join(report.renewed, ","),
                     fmt::join(report.failed, ","), fmt::join(report.expired, ","));
      }
      next_upkeep = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    }
    lock.lock();
    loop_wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

Result<service::JobRunReport> ServiceRuntime::run_jobs() {
  std::lock_guard lock(jobs_mu_);
  return jobs_->run_once();
}

service::UpkeepReport ServiceRuntime::upkeep() {
  auto report = channels_->upkeep();
  renewal_failures_.fetch_add(static_cast<std::int64_t>(report.failed.size()));
  renewal_failing_.store(report.renewal_failing);
  expiring_.store(report.expiring);
  // Participants' codes near their end are made anew (same scene) with a fresh poster: looked for
  // hourly, so a renewal WeChat keeps refusing is not asked for again every minute.
  const std::int64_t now = clock_.unix_seconds();
  if (now >= next_code_sweep_) {
    next_code_sweep_ = now + 3'600;
    if (auto due = store_->codes_to_renew(now, now + code_renew_margin_seconds_, 1'000);
        !due) {
      report.errors.push_back("finding participants' codes to renew: " + due.error().message);
    } else {
      for (const auto& p : *due) {
        if (auto queued = store_->enqueue_job(p.appid, domain::CampaignPosterJob{p.campaign_id, p.id}, now); !queued) {
          report.errors.push_back("queueing a participant's new code: " + queued.error().message);
        }
      }
    }
  }
  // Login sessions hold openids: a day after they ended they go.
  if (auto purged = store_->purge_login_sessions(clock_.unix_seconds() - 86'400); !purged) {
    report.errors.push_back("purging old login sessions: " + purged.error().message);
  }
  return report;
}

Result<std::vector<ChannelTotals>> ServiceRuntime::totals(std::string_view appid) {
  QRSCENE_ASSIGN_OR_RETURN(auto all, store_->channels(appid));
  std::vector<ChannelTotals> out;
  for (auto& c : all) {
    QRSCENE_ASSIGN_OR_RETURN(auto counters, store_->channel_counters(c.id, 0, std::numeric_limits<std::int32_t>::max()));
    out.push_back(ChannelTotals{std::move(c), counters});
  }
  return out;
}

std::string ServiceRuntime::metrics_text() {
  const auto c = callback_->counters();
  std::string out;
  auto metric = [&out](std::string_view name, std::string_view help, std::string_view type, std::string_view labels,
                       std::int64_t value) {
    if (!help.empty()) out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    out += fmt::format("{}{} {}\n", name, labels, value);
  };
  metric("qrscene_callback_events_total", "Pushes stored and answered", "counter", "", c.accepted);
  metric("qrscene_callback_duplicates_total", "WeChat retries of events already stored", "counter", "", c.duplicates);
  metric("qrscene_callback_replies_total", "Pushes answered with a passive reply", "counter", "", c.replies);
  metric("qrscene_callback_rejected_total", "Pushes refused, by reason", "counter", "{reason=\"signature\"}",
         c.rejected_signature);
  metric("qrscene_callback_rejected_total", "", "", "{reason=\"request\"}", c.rejected_request);
  metric("qrscene_callback_rejected_total", "", "", "{reason=\"too_large\"}", c.rejected_too_large);
  bool first_unlogged = true;
  for (const auto& [name, count] : c.unlogged) {
    metric("qrscene_callback_unlogged_total",
           first_unlogged ? "Pushes of kinds nothing reads, answered \"success\" and never stored, by event" : "",
           first_unlogged ? "counter" : "", fmt::format("{{event=\"{}\"}}", name), count);
    first_unlogged = false;
  }
  std::int64_t token_requests = 0, token_fallbacks = 0;
  for (const auto& appid : clients_->appids()) {
    if (auto client = clients_->get(appid); client) {
      token_requests += (*client)->tokens().requests();
      token_fallbacks += (*client)->tokens().fallbacks();
    }
  }
  metric("qrscene_token_requests_total", "access_token requests this instance made to WeChat", "counter", "",
         token_requests);
  metric("qrscene_token_store_fallbacks_total",
         "Times the shared token store (Redis) could not be reached and this instance used a stable_token of its own",
         "counter", "", token_fallbacks);
  if (dedup_) {
    const auto d = dedup_->stats();
    metric("qrscene_dedup_cache_total", "Pushes looked up in the Redis retry cache, by outcome", "counter",
           "{outcome=\"hit\"}", d.hits);
    metric("qrscene_dedup_cache_total", "", "", "{outcome=\"miss\"}", d.misses);
    metric("qrscene_dedup_cache_total", "", "", "{outcome=\"error\"}", d.errors);
  }
  if (broadcast_) {
    metric("qrscene_login_broadcasts_total", "Login-session changes sent to and heard from other instances (Redis)",
           "counter", "{direction=\"sent\"}", broadcast_->published());
    metric("qrscene_login_broadcasts_total", "", "", "{direction=\"heard\"}", broadcast_->received());
    metric("qrscene_login_broadcasts_total", "", "", "{direction=\"failed\"}", broadcast_->errors());
  }
  const auto http = server_->stats();
  metric("qrscene_http_connections", "Open HTTP connections", "gauge", "", http.connections);
  metric("qrscene_http_connection_limit", "Open HTTP connections at most (below the open-files limit)", "gauge", "",
         http.connection_limit);
  metric("qrscene_http_connections_closed_total",
         "Connections the server closed itself: idle keep-alive ones to make room, new ones when full of busy ones",
         "counter", "{reason=\"idle_for_room\"}", http.idle_closed);
  metric("qrscene_http_connections_closed_total", "", "", "{reason=\"full\"}", http.refused);
  metric("qrscene_http_accept_failures_total", "accept() failures for want of file descriptors (each then pauses)",
         "counter", "", http.accept_failures);
  metric("qrscene_http_refused_total", "Requests the HTTP layer refused before any handler, by status", "counter",
         "{status=\"400\"}", http.bad_requests);
  metric("qrscene_http_refused_total", "", "", "{status=\"413\"}", http.too_large);
  metric("qrscene_http_refused_total", "", "", "{status=\"431\"}", http.header_too_large);
  metric("qrscene_callback_store_failures_total", "Pushes answered 503 because the store failed", "counter", "",
         c.store_failures);
  metric("qrscene_store_commits_total", "Group commits of the event writer", "counter", "", store_->commits());
  metric("qrscene_store_recent_pushes", "Pushes SQLite's writer remembers to find WeChat's retries (2^20 at most)",
         "gauge", "", store_->recent_pushes());
  const auto projection = store_->projection();
  metric("qrscene_projection_leader", "1 when this instance runs the projector (PostgreSQL: elected)", "gauge", "",
         projection.leader ? 1 : 0);
  metric("qrscene_projection_lag_events", "Logged events the projector has not applied yet", "gauge", "",
         std::max<std::int64_t>(0, projection.head - projection.position));
  metric("qrscene_projection_lag_seconds", "How long the oldest event not yet applied has waited", "gauge", "",
         projection.lag_seconds);
  metric("qrscene_projected_events_total", "Log rows this instance's projector applied (skipped copies included)",
         "counter", "", projection.projected);
  metric("qrscene_projection_batches_total", "Projection transactions committed", "counter", "", projection.batches);
  metric("qrscene_projection_failures_total", "Projection transactions that failed and were retried", "counter", "",
         projection.failures);
  const auto wal = sqlite_ != nullptr ? sqlite_->checkpoints() : store::sqlite::CheckpointStats{};
  metric("qrscene_store_checkpoints_total", "WAL checkpoints (on their own thread), by outcome", "counter",
         "{outcome=\"done\"}", wal.runs);
  metric("qrscene_store_checkpoints_total", "", "", "{outcome=\"failed\"}", wal.failures);
  metric("qrscene_store_wal_restarts_total", "WAL checkpoints that had to stop the writer to start the WAL over",
         "counter", "", wal.restarts);
  metric("qrscene_store_wal_pages", "Pages in the WAL after the last commit", "gauge", "", wal.wal_pages);
  metric("qrscene_login_waiters", "Browsers waiting for a login session's result", "gauge", "",
         static_cast<std::int64_t>(logins_->waiting()));
  const auto woken = logins_->wakeups();
  metric("qrscene_login_wakeups_total", "Browsers woken by a login change, by where it was seen", "counter",
         "{source=\"local\"}", woken.local);
  metric("qrscene_login_wakeups_total", "", "", "{source=\"poll\"}", woken.poll);
  if (auto jobs = store_->job_counts(""); jobs) {
    metric("qrscene_jobs", "Jobs by state", "gauge", "{state=\"pending\"}", jobs->pending);
    metric("qrscene_jobs", "", "", "{state=\"running\"}", jobs->running);
    metric("qrscene_jobs", "", "", "{state=\"done\"}", jobs->done);
    metric("qrscene_jobs", "", "", "{state=\"failed\"}", jobs->failed);
  }
  metric("qrscene_channel_renewal_failures_total", "Renewals of evergreen codes that WeChat refused or that failed",
         "counter", "", renewal_failures_.load());
  // As the last upkeep (each minute) left them: a scrape reads no store on its I/O thread.
  metric("qrscene_channels_renewal_failing", "Evergreen codes whose last renewal failed (they die at their expiry)",
         "gauge", "", renewal_failing_.load());
  metric("qrscene_channels_expiring", "Temporary codes that die within the warning window and will not be renewed",
         "gauge", "", expiring_.load());
  return out;
}

}  // namespace qrscene::app
