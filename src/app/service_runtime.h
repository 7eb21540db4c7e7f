// ServiceRuntime: `qrscene serve` assembled — the store (SQLite or PostgreSQL), the WeChat API clients, the
// callback endpoint, the channel service and the job runner, one HTTP server on an io_context
// with the configured threads, and a background loop that runs due jobs every second and
// channel upkeep (renewals, expiry flags) every minute. `qrscene demo` and the integration tests
// use the same assembly, so what they check is what runs.
//
// Routes: the callback endpoint (/wechat/{appid}, /wechat), the admin API (/api/v1/…), the
// dashboard (GET / and /assets/…, embedded), scan to log in (/api/v1/login-sessions/…, and the
// example page /examples/login), GET /healthz and GET /metrics (Prometheus text).
//
// Thread safety: the accessors may be used from any thread while the runtime runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "net/asio.h"
#include "net/http_server.h"
#include "service/admin_api.h"
#include "service/analytics_service.h"
#include "service/callback_endpoint.h"
#include "service/channel_service.h"
#include "service/conversion_service.h"
#include "service/campaign_api.h"
#include "service/follower_api.h"
#include "service/job_runner.h"
#include "service/login_api.h"
#include "service/login_service.h"
#include "store/postgres/postgres_store.h"
#include "store/redis/dedup_cache.h"
#include "store/redis/login_broadcast.h"
#include "store/redis/redis_client.h"
#include "store/redis/redis_token_store.h"
#include "store/sql_store.h"
#include "store/sqlite/sqlite_store.h"
#include "wechat/account_clients.h"
#include "wechat/token_provider.h"

namespace qrscene::app {

// One channel's totals over all days, as the demo and the page show them.
struct ChannelTotals {
  domain::Channel channel;
  domain::Counters counters;
};

class ServiceRuntime {
 public:
  // `transport` carries calls to WeChat and the webhook (the process's libcurl transport).
  // `background`: run jobs and upkeep on their own thread (tests call run_jobs()/upkeep()).
  [[nodiscard]] static Result<std::unique_ptr<ServiceRuntime>> start(const config::Config& config, const Clock& clock,
                                                                     wechat::HttpTransport& transport,
                                                                     bool background = true);
  ~ServiceRuntime();  // stop()
  ServiceRuntime(const ServiceRuntime&) = delete;
  ServiceRuntime& operator=(const ServiceRuntime&) = delete;

  // Stops accepting, lets requests in flight finish, stops the loop, flushes the store.
  void stop();

  [[nodiscard]] std::uint16_t port() const noexcept { return server_->port(); }
  [[nodiscard]] std::string base_url() const;
  [[nodiscard]] net::HttpServer& server() noexcept { return *server_; }
  [[nodiscard]] store::SqlStore& store() noexcept { return *store_; }
  [[nodiscard]] service::ChannelService& channels() noexcept { return *channels_; }
  [[nodiscard]] service::CallbackEndpoint& callback() noexcept { return *callback_; }
  [[nodiscard]] service::AnalyticsService& analytics() noexcept { return *analytics_; }
  [[nodiscard]] wechat::AccountClients& clients() noexcept { return *clients_; }
  [[nodiscard]] service::LoginService& logins() noexcept { return *logins_; }
  [[nodiscard]] service::ConversionService& conversions() noexcept { return *conversions_; }
  [[nodiscard]] Result<service::JobRunReport> run_jobs();
  [[nodiscard]] service::UpkeepReport upkeep();
  [[nodiscard]] Result<std::vector<ChannelTotals>> totals(std::string_view appid);
  [[nodiscard]] std::string metrics_text();

 private:
  explicit ServiceRuntime(const Clock& clock) : clock_(clock) {}
  // The steps of start(), in order.
  Status open_store(const config::Config& config);
  // Redis (when configured) and the WeChat clients; what the callback endpoint hands pushes to.
  Result<domain::Ingestor*> connect(const config::Config& config, wechat::HttpTransport& transport);
  Status make_services(const config::Config& config, wechat::HttpTransport& transport, domain::Ingestor& ingestor);
  void add_operations_routes(net::Router& router);  // /healthz, /metrics
  void add_apis(const config::Config& config, net::Router& router);
  Status serve(const config::Config& config, net::Router router, bool background);
  void loop();

  const Clock& clock_;
  std::unique_ptr<store::SqlStore> store_;
  store::sqlite::SqliteStore* sqlite_ = nullptr;  // the same store when it is SQLite (WAL metrics)
  wechat::MemoryTokenStore memory_tokens_;                        // one instance: tokens in memory
  std::unique_ptr<store::redis::RedisClient> redis_;               // [redis] url: shared by every instance
  std::unique_ptr<store::redis::RedisTokenStore> redis_tokens_;
  std::unique_ptr<store::redis::DedupCache> dedup_;                // in front of the store
  std::unique_ptr<store::redis::LoginBroadcast> broadcast_;
  std::unique_ptr<wechat::AccountClients> clients_;
  std::unique_ptr<service::CallbackEndpoint> callback_;
  std::unique_ptr<service::ChannelService> channels_;
  std::unique_ptr<service::JobRunner> jobs_;
  std::unique_ptr<service::AnalyticsService> analytics_;
  std::unique_ptr<service::AdminGate> gate_;
  std::unique_ptr<service::AdminApi> admin_;
  std::unique_ptr<service::LoginService> logins_;
  std::unique_ptr<service::LoginApi> login_api_;
  std::unique_ptr<service::ConversionService> conversions_;
  std::unique_ptr<service::CampaignApi> campaign_api_;
  std::unique_ptr<service::FollowerApi> follower_api_;
  std::mutex jobs_mu_;
  asio::thread_pool blocking_{4};  // the admin API's store and WeChat calls
  // The I/O threads: io_ runs on the first (it also runs the acceptor and the drain timer) and each
  // further lane on one of its own; connections are spread over io_ and the lanes, each on one
  // thread, so its handlers need no strand (DESIGN.md section 6).
  asio::io_context io_{1};
  std::vector<std::unique_ptr<asio::io_context>> lanes_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> lane_guards_;
  std::unique_ptr<net::HttpServer> server_;
  std::vector<std::thread> io_threads_;
  std::int64_t next_code_sweep_ = 0;  // participants' codes (upkeep's thread)
  std::int64_t code_renew_margin_seconds_ = 0;  // JobRunnerOptions::code_renew_margin_seconds
  std::atomic<std::int64_t> renewal_failures_{0};  // since start (qrscene_channel_renewal_failures_total)
  std::atomic<std::int64_t> renewal_failing_{0}, expiring_{0};  // as the last upkeep left them
  std::thread loop_thread_;
  std::mutex loop_mu_;
  std::condition_variable loop_wake_;
  bool stopping_ = false;
  std::atomic<bool> stopped_{false};
  std::string address_;
};

// The config's accounts as the callback endpoint wants them. Errors: an unknown mode.
[[nodiscard]] Result<std::vector<wechat::PushAccount>> callback_accounts(const config::Config& config);

}  // namespace qrscene::app
