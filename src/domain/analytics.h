// Analytics: the figures of DESIGN.md section 5 computed from rollups — time series by hour, day,
// ISO week or month in the account's time zone, retention by cohort, the early-unfollow rate,
// costs per follower when a spend is entered, and fraud signals. The store sums rollup rows (SQL
// GROUP BY); everything here is arithmetic on those sums, so it is the same for every store and
// tested without one.
//
// Days are local days since 1970-01-01 (local_day()); hours are local hours since then.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ingest.h"

namespace qrscene::domain {

// Follows of one day that unfollowed within a time of their follow (credited to the follow's day).
struct CohortLosses {
  std::int64_t within_5m = 0;   // follow-then-unfollow within minutes: a fraud signal
  std::int64_t within_24h = 0;  // the early-unfollow rate
  std::int64_t within_7d = 0;
  std::int64_t within_30d = 0;
  CohortLosses& operator+=(const CohortLosses& o) noexcept;
  friend bool operator==(const CohortLosses&, const CohortLosses&) = default;
};

// One follow's contribution, from when it began and ended (Unix seconds).
[[nodiscard]] CohortLosses cohort_loss(std::int64_t followed_at, std::int64_t unfollowed_at) noexcept;

Counters& operator+=(Counters& a, const Counters& b) noexcept;

// Sums for one local day (or hour) over the channels asked about.
struct PeriodTotals {
  std::int64_t period = 0;  // local day, or local hour for hourly rows
  Counters counters;
  CohortLosses losses;
};

enum class Granularity : std::uint8_t { kHour, kDay, kWeek, kMonth };
[[nodiscard]] std::string_view to_string(Granularity g) noexcept;
[[nodiscard]] std::optional<Granularity> granularity_from(std::string_view text) noexcept;

// "2024-04-25" for a local day; parse_day is its inverse (nullopt when not a valid date).
[[nodiscard]] std::string day_label(std::int64_t day);
[[nodiscard]] std::optional<std::int64_t> parse_day(std::string_view text) noexcept;

struct SeriesPoint {
  std::string label;       // "2024-04-25 10:00", "2024-04-25", "2024-W17", "2024-04"
  std::int64_t start = 0;  // Unix seconds of the bucket's start
  Counters counters;
  std::int64_t net = 0;    // new_follows − unfollows
};

// Buckets covering [first, last] (local days; local hours for kHour), every bucket present, zeros
// where nothing happened. Weeks are ISO weeks (Monday first); months are calendar months.
[[nodiscard]] std::vector<SeriesPoint> bucket(std::span<const PeriodTotals> rows, std::int64_t first, std::int64_t last,
                                              Granularity granularity, std::int64_t utc_offset_seconds);

// One cohort: the follows of one day and the share still following after 1, 7 and 30 days —
// known only once the cohort is that old (nullopt before, and when nobody followed).
struct CohortRow {
  std::int64_t day = 0;
  std::string label;
  std::int64_t follows = 0;
  std::optional<double> retention_1d, retention_7d, retention_30d;
};
[[nodiscard]] std::vector<CohortRow> cohort_table(std::span<const PeriodTotals> days, std::int64_t today);

// Retention pooled over the cohorts old enough for each horizon.
struct Retention {
  std::optional<double> d1, d7, d30;
  std::int64_t retained_30d = 0;  // followers still there 30 days after following (mature cohorts)
};
[[nodiscard]] Retention pooled_retention(std::span<const PeriodTotals> days, std::int64_t today);

// Spend is what was entered for the channels (cents); the costs divide it by their lifetime figures.
struct Costs {
  std::int64_t spend_cents = 0;
  std::optional<double> per_new, per_net, per_retained;  // cents per follower
};
[[nodiscard]] Costs costs(std::int64_t spend_cents, const Counters& lifetime, std::int64_t retained);

// A bucket whose new follows stand far above the trailing buckets before it (a fraud signal). Each
// bucket is judged against the `window` buckets before it, counted from the series' first follow:
// their mean is the baseline, and the bucket is a burst when its new follows reach every one of
//   min_count,  factor × baseline,  baseline + deviations × max(sd, √baseline, 1)
// (sd the window's standard deviation; √baseline is the spread a steady random flow has, so a
// quiet window's sd of 0 does not make every change a burst). The first `warmup` buckets after the
// first follow are not judged: a launch is not a burst, and there is nothing to compare it with.
struct BurstRule {
  std::size_t window = 7;  // at least 1 (0 is taken as 1)
  std::size_t warmup = 3;
  double factor = 3.0;
  double deviations = 4.0;
  std::int64_t min_count = 20;
};
struct Burst {
  std::string label;
  std::int64_t start = 0;
  std::int64_t new_follows = 0;
  double baseline = 0;         // the trailing mean
  std::int64_t threshold = 0;  // the least that counted as a burst here
};
[[nodiscard]] std::vector<Burst> find_bursts(std::span<const SeriesPoint> series, const BurstRule& rule = {});

}  // namespace qrscene::domain
