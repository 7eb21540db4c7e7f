// FollowerApi: followers one by one and the conversions they bring, under /api/v1 with the admin
// token (docs/api.yaml):
//   GET  /api/v1/followers              one row per follow through a channel: paged, filtered
//                                       (?channel= &group= &owner= &status=following|left &from= &to=
//                                       &openid=), sorted (?sort=followed_at|left_at|channel|value
//                                       &order=desc|asc), ?page= &per_page=
//   GET  /api/v1/followers/export       the same rows, every page, as ?format=csv|xlsx
//   POST /api/v1/conversions            one conversion from the account's backend; the same
//                                       external_id again is answered 200 with the first record
//   POST /api/v1/conversions/import     CSV, one conversion per row; errors per row, good rows kept
//   GET  /api/v1/conversions/report     per channel, group or owner under ?touch=first|last
//
// Thread safety: handlers may run concurrently (on the admin gate's blocking pool).
#pragma once

#include <cstddef>

#include "domain/ports.h"
#include "net/http_server.h"
#include "service/admin_gate.h"
#include "service/analytics_service.h"
#include "service/conversion_service.h"

namespace qrscene::service {

struct FollowerApiOptions {
  std::int64_t max_per_page = 500;
  std::int64_t max_export_rows = 100'000;
  std::size_t max_import_rows = 10'000;
};

class FollowerApi {
 public:
  FollowerApi(FollowerApiOptions options, AdminGate& gate, domain::FollowerRepository& followers,
              ConversionService& conversions, AnalyticsService& analytics);
  void add_routes(net::Router& router);

 private:
  net::HttpResponse list(net::HttpRequest& r);
  net::HttpResponse export_rows(net::HttpRequest& r);
  net::HttpResponse record(net::HttpRequest& r);
  net::HttpResponse import(net::HttpRequest& r);
  net::HttpResponse report(net::HttpRequest& r);
  Result<domain::FollowerQuery> follower_query(const net::HttpRequest& r) const;

  FollowerApiOptions options_;
  AdminGate& gate_;
  domain::FollowerRepository& followers_;
  ConversionService& conversions_;
  AnalyticsService& analytics_;
};

}  // namespace qrscene::service
