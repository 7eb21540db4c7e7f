// AdminApi: the JSON REST API under /api/v1 that the dashboard and `qrscene channel|stats|export`
// use (docs/api.yaml is its contract, checked by a test): accounts, channels (create, batch import
// from CSV, edit, pause, resume, retire), QR images (PNG or SVG with size, margin, colours and a
// logo; any filter of the channel list as one ZIP), stats (report, breakdown by channel/group/owner,
// reconciliation with WeChat), export as CSV, the permanent quota, the job queue and the account's
// WeChat user tags.
//
// Every route is behind the AdminGate (bearer token, failed sign-ins limited, handlers on the
// blocking pool). Validation errors are 400 with the fields named
// ({"error": {"code", "message", "fields": [...], "problems": [...]}}; api_support.h).
//
// Thread safety: handlers may run concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "domain/ports.h"
#include "net/http_server.h"
#include "service/admin_gate.h"
#include "service/analytics_service.h"
#include "service/callback_endpoint.h"
#include "service/channel_service.h"
#include "wechat/account_clients.h"

namespace qrscene::service {

struct AdminApiOptions {
  std::size_t max_import_rows = 10'000;
};

class AdminApi {
 public:
  // `callback`: where each account's last push and URL verification are read (none: unknown, null).
  AdminApi(AdminApiOptions options, AdminGate& gate, ChannelService& channels, AnalyticsService& analytics,
           domain::JobQueue& jobs, wechat::AccountClients& clients, const Clock& clock,
           const CallbackEndpoint* callback = nullptr);

  // Adds the routes, each behind the gate.
  void add_routes(net::Router& router);

 private:
  net::HttpResponse accounts(net::HttpRequest& r);
  net::HttpResponse list_channels(net::HttpRequest& r);
  net::HttpResponse create_channel(net::HttpRequest& r);
  net::HttpResponse import_channels(net::HttpRequest& r);
  net::HttpResponse get_channel(net::HttpRequest& r);
  net::HttpResponse patch_channel(net::HttpRequest& r);
  net::HttpResponse set_status(net::HttpRequest& r, domain::ChannelStatus status);
  net::HttpResponse channel_qr(net::HttpRequest& r, bool svg);
  net::HttpResponse render_qr(net::HttpRequest& r);
  net::HttpResponse qr_zip(net::HttpRequest& r);
  net::HttpResponse stats(net::HttpRequest& r);
  net::HttpResponse breakdown(net::HttpRequest& r);
  net::HttpResponse reconciliation(net::HttpRequest& r);
  net::HttpResponse export_table(net::HttpRequest& r);
  net::HttpResponse quota(net::HttpRequest& r);
  net::HttpResponse set_quota(net::HttpRequest& r);
  net::HttpResponse jobs(net::HttpRequest& r);
  net::HttpResponse tags(net::HttpRequest& r);

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
  AdminGate& gate_;
  ChannelService& channels_;
  AnalyticsService& analytics_;
  domain::JobQueue& jobs_;
  wechat::AccountClients& clients_;
  const Clock& clock_;
  const CallbackEndpoint* callback_;
  std::atomic<bool> bundling_{false};  // a ZIP of codes is being made (one at a time)
};

}  // namespace qrscene::service
