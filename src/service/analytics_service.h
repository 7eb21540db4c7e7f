// AnalyticsService: the reports the admin API, the dashboard and `qrscene stats` show (DESIGN.md
// section 5, docs/metrics.md) — for a channel, a group, an owner or a whole account over a range
// of local days: totals, unique scanners, net, retention by cohort, the early-unfollow rate,
// costs per follower, fraud signals and a series by hour, day, week or month. The breakdown ranks
// channels, groups or owners; the reconciliation sets our QR follows beside WeChat's datacube
// figures for user_source 30 (扫描二维码).
//
// Errors: kInvalidArgument naming the field (a range backwards, too long for hours, an unknown
// account); the store's errors otherwise.
// Thread safety: as the repositories'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/ports.h"
#include "wechat/account_clients.h"

namespace qrscene::service {

struct StatsRequest {
  domain::ChannelFilter filter;
  std::int64_t first_day = 0;  // local days, inclusive
  std::int64_t last_day = 0;
  domain::Granularity granularity = domain::Granularity::kDay;
};

struct StatsReport {
  StatsRequest request;
  domain::Counters totals;
  std::int64_t net = 0;
  // Net follows (new_follows - unfollows) credited to the same channels on the days before the
  // range, from the rollups the totals come from: followers_before + the running sum of the series'
  // net is the scope's followers over time (docs/metrics.md, "total followers").
  std::int64_t followers_before = 0;
  std::int64_t unique_scanners = 0;
  domain::Retention retention;               // of the range's cohorts
  std::optional<double> early_unfollow_rate;  // left within 24 h, of the range's mature follows
  std::int64_t quick_unfollows = 0;           // follow-then-unfollow within 5 minutes
  std::optional<double> quick_unfollow_rate;
  domain::Costs costs;                        // lifetime spend over lifetime figures
  std::vector<domain::SeriesPoint> series;
  std::vector<domain::CohortRow> cohorts;
  std::vector<domain::Burst> bursts;
  // The whole account only: follows and unfollows that came through no channel.
  std::optional<std::int64_t> organic_follows, organic_unfollows;
  std::optional<std::int64_t> organic_followers_before;  // organic follows - unfollows before the range
};

// One day of the reconciliation. WeChat publishes a day's datacube at 08:00 Beijing time the next
// day; before that `wechat_published` is false and WeChat's figures are unknown (not 0).
struct ReconciliationDay {
  std::string date;
  bool wechat_published = false;
  std::int64_t ours_follows = 0;    // follows through our channels
  // QR follows through scenes no channel held (codes made outside qrscene), most frequent first.
  std::int64_t unknown_scene_follows = 0;
  std::vector<std::pair<std::string, std::int64_t>> unknown_scenes;  // the 5 most frequent
  std::int64_t wechat_follows = 0;  // datacube new_user with user_source 30 (scanned a QR code)
  std::int64_t ours_unfollows = 0;  // unfollows of followers our channels brought
  std::int64_t wechat_unfollows = 0;  // datacube cancel_user with user_source 30
};

// When WeChat has published a day's figures: 08:00 Beijing time the next day.
[[nodiscard]] std::int64_t datacube_published_at(std::int64_t day) noexcept;

inline constexpr std::int64_t kMaxHourlyDays = 31;

class AnalyticsService {
 public:
  AnalyticsService(domain::StatsRepository& stats, const Clock& clock) : stats_(stats), clock_(clock) {}

  [[nodiscard]] std::int64_t today() const;
  [[nodiscard]] std::int64_t utc_offset_seconds() const noexcept { return stats_.utc_offset_seconds(); }
  [[nodiscard]] Result<StatsReport> report(const StatsRequest& request);
  [[nodiscard]] Result<std::vector<domain::BreakdownRow>> breakdown(const domain::ChannelFilter& filter,
                                                                    domain::Breakdown by, std::int64_t first_day,
                                                                    std::int64_t last_day);
  // At most 7 days (WeChat's limit), ending yesterday at the latest. WeChat is asked only for the
  // days it has published.
  [[nodiscard]] Result<std::vector<ReconciliationDay>> reconcile(wechat::ApiClient& client, std::string_view appid,
                                                                 std::int64_t first_day, std::int64_t last_day);

 private:
  domain::StatsRepository& stats_;
  const Clock& clock_;
};

// JSON for the API and `qrscene stats --json` (the shapes are in docs/api.yaml).
[[nodiscard]] std::string to_json(const StatsReport& report);
[[nodiscard]] std::string to_json(const std::vector<domain::BreakdownRow>& rows);
[[nodiscard]] std::string to_json(const std::vector<ReconciliationDay>& days);

}  // namespace qrscene::service
