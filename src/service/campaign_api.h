// CampaignApi: fission campaigns (任务宝, issue 25) under /api/v1 with the admin token
// (docs/api.yaml):
//   POST /api/v1/campaigns                  a new campaign (JSON; the poster's background base64)
//   POST /api/v1/campaigns/preview          the poster a body would give, with a sample code (image)
//   GET  /api/v1/campaigns                  the account's campaigns, newest first, with their figures
//   GET  /api/v1/campaigns/{id}             one campaign and its figures (CampaignStats)
//   POST /api/v1/campaigns/{id}/end         ends it early: nobody joins, no invite counts
//   GET  /api/v1/campaigns/{id}/participants  the inviters' leaderboard (?limit= &offset=)
//   GET  /api/v1/campaigns/{id}/rewards     the rewards granted, with their state
//   GET  /api/v1/campaigns/{id}/export      ?table=participants|rewards &format=csv|xlsx
//
// Thread safety: handlers may run concurrently (on the admin gate's blocking pool).
#pragma once

#include <cstdint>

#include "base/clock.h"
#include "domain/ports.h"
#include "net/http_server.h"
#include "service/admin_gate.h"

namespace qrscene::service {

struct CampaignApiOptions {
  std::int64_t utc_offset_seconds = 8 * 3600;
  std::size_t max_background_bytes = 5 * 1024 * 1024;
  std::int64_t max_per_page = 500;
};

class CampaignApi {
 public:
  CampaignApi(CampaignApiOptions options, AdminGate& gate, domain::CampaignRepository& campaigns, const Clock& clock);
  void add_routes(net::Router& router);

 private:
  net::HttpResponse create(net::HttpRequest& r);
  net::HttpResponse preview(net::HttpRequest& r);
  net::HttpResponse list(net::HttpRequest& r);
  net::HttpResponse show(net::HttpRequest& r);
  net::HttpResponse end(net::HttpRequest& r);
  net::HttpResponse participants(net::HttpRequest& r);
  net::HttpResponse rewards(net::HttpRequest& r);
  net::HttpResponse export_table(net::HttpRequest& r);
  // The campaign of the path's {id}, if the token may see its account.
  Result<domain::Campaign> campaign_of(const net::HttpRequest& r);

  CampaignApiOptions options_;
  AdminGate& gate_;
  domain::CampaignRepository& campaigns_;
  const Clock& clock_;
};

}  // namespace qrscene::service
