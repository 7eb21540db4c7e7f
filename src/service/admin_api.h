// AdminApi: the JSON REST API under /api/v1 that the dashboard and `qrscene channel|stats|export`
// use (docs/api.yaml is its contract, checked by a test): accounts, channels (create, batch import
// from CSV, edit, pause, resume, retire), QR images (PNG or SVG with size, margin, colours and a
// logo), stats (report, breakdown by channel/group/owner, reconciliation with WeChat), export as
// CSV, the permanent quota and the job queue.
//
// Every route needs `Authorization: Bearer <token>` with a token whose SHA-256 is configured
// ([admin] token_sha256); the comparison is constant-time, and an address that fails too often is
// refused for a minute (429). Validation errors are 400 with the field named
// ({"error": {"code", "message", "fields": [...]}}).
//
// Handlers call the store and WeChat, which block: they run on `blocking` (a thread pool), never on
// the I/O threads.
// Thread safety: handlers may run concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "domain/ports.h"
#include "net/asio.h"
#include "net/http_server.h"
#include "service/analytics_service.h"
#include "service/channel_service.h"
#include "service/rate_limiter.h"
#include "service/table_export.h"
#include "wechat/account_clients.h"

namespace qrscene::service {

struct AdminAccount {
  std::string appid;
  std::string name;
  std::string mode;  // plain | compatible | safe
};

struct AdminApiOptions {
  std::vector<std::string> token_sha256;  // lowercase hex
  std::size_t max_failures_per_minute = 10;  // per remote address
  std::size_t max_import_rows = 10'000;
};

// SHA-256 of a token, lowercase hex (what [admin] token_sha256 holds).
[[nodiscard]] std::string token_sha256(std::string_view token);

// A table as an attachment: ?format=csv (the default) or xlsx; 400 for another format.
[[nodiscard]] net::HttpResponse download(const Table& table, std::string_view format, std::string_view filename);

class AdminApi {
 public:
  AdminApi(AdminApiOptions options, std::vector<AdminAccount> accounts, ChannelService& channels,
           AnalyticsService& analytics, domain::JobQueue& jobs, wechat::AccountClients& clients,
           asio::thread_pool& blocking, const Clock& clock);

  void add_routes(net::Router& router);

  // Whether an Authorization header carries a configured token (constant time).
  [[nodiscard]] bool authorized(std::string_view authorization) const;

  // Adds a route that wants the admin token and runs `handler` on the blocking pool (the login
  // API's backend routes use it too).
  using Sync = std::function<net::HttpResponse(net::HttpRequest&)>;
  void route(net::Router& router, std::string method, std::string pattern, Sync handler);
  // A configured account: the one given, or the only one when none is given.
  [[nodiscard]] Result<std::string> resolve_appid(std::string_view appid) const;

 private:
  std::optional<net::HttpResponse> refuse(const net::HttpRequest& request);

  net::HttpResponse accounts(net::HttpRequest& r);
  net::HttpResponse list_channels(net::HttpRequest& r);
  net::HttpResponse create_channel(net::HttpRequest& r);
  net::HttpResponse import_channels(net::HttpRequest& r);
  net::HttpResponse get_channel(net::HttpRequest& r);
  net::HttpResponse patch_channel(net::HttpRequest& r);
  net::HttpResponse set_status(net::HttpRequest& r, domain::ChannelStatus status);
  net::HttpResponse channel_qr(net::HttpRequest& r, bool svg);
  net::HttpResponse render_qr(net::HttpRequest& r);
  net::HttpResponse stats(net::HttpRequest& r);
  net::HttpResponse breakdown(net::HttpRequest& r);
  net::HttpResponse reconciliation(net::HttpRequest& r);
  net::HttpResponse export_table(net::HttpRequest& r);
  net::HttpResponse quota(net::HttpRequest& r);
  net::HttpResponse jobs(net::HttpRequest& r);

  Result<std::string> appid_of(const net::HttpRequest& r) const;
  // What the breakdown and the export share: the account, range, grouping and ranked rows.
  struct Ranked {
    std::string appid;
    std::int64_t first_day = 0, last_day = 0;
    domain::Breakdown by = domain::Breakdown::kChannel;
    std::vector<domain::BreakdownRow> rows;
  };
  Result<Ranked> ranked(const net::HttpRequest& r);

  AdminApiOptions options_;
  std::vector<AdminAccount> accounts_;
  ChannelService& channels_;
  AnalyticsService& analytics_;
  domain::JobQueue& jobs_;
  wechat::AccountClients& clients_;
  asio::thread_pool& blocking_;
  const Clock& clock_;
  RateLimiter failures_;  // failed sign-ins per address
};

}  // namespace qrscene::service
