#include "domain/analytics.h"

#include <gtest/gtest.h>

namespace qrscene::domain {
namespace {

constexpr std::int64_t kBeijing = 8 * 3600;

PeriodTotals day_row(std::int64_t day, std::int64_t new_follows, std::int64_t unfollows = 0, CohortLosses losses = {}) {
  PeriodTotals r;
  r.period = day;
  r.counters.new_follows = new_follows;
  r.counters.scans = new_follows;
  r.counters.unfollows = unfollows;
  r.losses = losses;
  return r;
}

TEST(Analytics, DaysAreLabelledAndParsedAsCalendarDates) {
  EXPECT_EQ(day_label(0), "1970-01-01");
  EXPECT_EQ(day_label(19838), "2024-04-25");
  EXPECT_EQ(parse_day("2024-04-25"), 19838);
  EXPECT_EQ(parse_day("2024-02-29"), 19782);
  EXPECT_FALSE(parse_day("2023-02-29"));
  EXPECT_FALSE(parse_day("2024-4-25"));
  EXPECT_FALSE(parse_day("2024-04-2x"));
}

TEST(Analytics, WeeksAreIsoWeeksAcrossYearEnds) {
  // 2021-01-01 (a Friday) is in 2020-W53; 2024-12-30 (a Monday) is in 2025-W01.
  const std::vector<PeriodTotals> none;
  EXPECT_EQ(bucket(none, 18628, 18628, Granularity::kWeek, kBeijing).at(0).label, "2020-W53");
  EXPECT_EQ(bucket(none, 20087, 20087, Granularity::kWeek, kBeijing).at(0).label, "2025-W01");
}

TEST(Analytics, WeeklyBucketsSumTheirDaysAndKeepEmptyWeeks) {
  // 2024-04-22 (Mon) .. 2024-05-12: three ISO weeks; nothing happens in the second.
  const std::vector<PeriodTotals> rows = {day_row(19835, 2), day_row(19841, 3, 1), day_row(19849, 4)};
  const auto series = bucket(rows, 19835, 19855, Granularity::kWeek, kBeijing);
  ASSERT_EQ(series.size(), 3U);
  EXPECT_EQ(series[0].label, "2024-W17");
  EXPECT_EQ(series[0].counters.new_follows, 5);
  EXPECT_EQ(series[0].net, 4);
  EXPECT_EQ(series[1].label, "2024-W18");
  EXPECT_EQ(series[1].counters.new_follows, 0);
  EXPECT_EQ(series[2].counters.new_follows, 4);
  // The week's start is Monday 00:00 in Beijing.
  EXPECT_EQ(series[0].start, 19835 * 86400 - kBeijing);
}

TEST(Analytics, MonthsSplitAtTheCalendarMonth) {
  const std::vector<PeriodTotals> rows = {day_row(19753, 1), day_row(19754, 2)};  // Jan 31, Feb 1
  const auto series = bucket(rows, 19740, 19760, Granularity::kMonth, kBeijing);
  ASSERT_EQ(series.size(), 2U);
  EXPECT_EQ(series[0].label, "2024-01");
  EXPECT_EQ(series[0].counters.new_follows, 1);
  EXPECT_EQ(series[1].label, "2024-02");
  EXPECT_EQ(series[1].counters.new_follows, 2);
}

TEST(Analytics, HoursAreLocalHours) {
  const std::int64_t hour = 19838 * 24 + 10;  // 2024-04-25 10:00 Beijing
  const std::vector<PeriodTotals> rows = {day_row(hour, 7)};
  const auto series = bucket(rows, hour - 1, hour + 1, Granularity::kHour, kBeijing);
  ASSERT_EQ(series.size(), 3U);
  EXPECT_EQ(series[1].label, "2024-04-25 10:00");
  EXPECT_EQ(series[1].start, 1'714'010'400);
  EXPECT_EQ(series[1].counters.new_follows, 7);
  EXPECT_EQ(series[0].counters.new_follows, 0);
}

TEST(Analytics, RowsOutsideTheRangeAreLeftOut) {
  const std::vector<PeriodTotals> rows = {day_row(9, 5), day_row(10, 1), day_row(12, 5)};
  const auto series = bucket(rows, 10, 11, Granularity::kDay, 0);
  ASSERT_EQ(series.size(), 2U);
  EXPECT_EQ(series[0].counters.new_follows + series[1].counters.new_follows, 1);
}

TEST(Analytics, ACohortLossCountsEveryHorizonItFallsWithin) {
  EXPECT_EQ(cohort_loss(0, 60), (CohortLosses{1, 1, 1, 1}));
  EXPECT_EQ(cohort_loss(0, 300), (CohortLosses{0, 1, 1, 1}));
  EXPECT_EQ(cohort_loss(0, 86400), (CohortLosses{0, 0, 1, 1}));
  EXPECT_EQ(cohort_loss(0, 8 * 86400), (CohortLosses{0, 0, 0, 1}));
  EXPECT_EQ(cohort_loss(0, 30 * 86400), (CohortLosses{0, 0, 0, 0}));
}

TEST(Analytics, RetentionIsKnownOnlyOnceTheCohortIsOldEnough) {
  // Day 100: 10 follows, 2 gone within a day, 4 within a week, 5 within 30 days. Today is day 108.
  const std::vector<PeriodTotals> rows = {day_row(100, 10, 0, {1, 2, 4, 5}), day_row(107, 4, 0, {0, 1, 1, 1}),
                                          day_row(108, 3)};
  const auto table = cohort_table(rows, 108);
  ASSERT_EQ(table.size(), 3U);
  EXPECT_DOUBLE_EQ(*table[0].retention_1d, 0.8);
  EXPECT_DOUBLE_EQ(*table[0].retention_7d, 0.6);
  EXPECT_FALSE(table[0].retention_30d);  // only 8 days old
  EXPECT_DOUBLE_EQ(*table[1].retention_1d, 0.75);
  EXPECT_FALSE(table[1].retention_7d);
  EXPECT_FALSE(table[2].retention_1d);  // today's follows
  const auto pooled = pooled_retention(rows, 108);
  EXPECT_DOUBLE_EQ(*pooled.d1, (8.0 + 3.0) / 14.0);
  EXPECT_DOUBLE_EQ(*pooled.d7, 0.6);
  EXPECT_FALSE(pooled.d30);
  EXPECT_EQ(pooled.retained_30d, 0);
}

TEST(Analytics, CostsDivideTheSpendByTheLifetimeFigures) {
  Counters life;
  life.new_follows = 200;
  life.unfollows = 40;
  const auto c = costs(100'00, life, 125);
  EXPECT_DOUBLE_EQ(*c.per_new, 50.0);
  EXPECT_DOUBLE_EQ(*c.per_net, 62.5);
  EXPECT_DOUBLE_EQ(*c.per_retained, 80.0);
  EXPECT_FALSE(costs(0, life, 125).per_new);       // no spend entered
  EXPECT_FALSE(costs(100, Counters{}, 0).per_new);  // nobody to divide by
}

TEST(Analytics, ABurstStandsFarAboveTheTrailingDays) {
  std::vector<PeriodTotals> rows;
  for (std::int64_t d = 0; d < 10; ++d) rows.push_back(day_row(d, d == 6 ? 90 : 10));
  const auto series = bucket(rows, 0, 9, Granularity::kDay, 0);
  const auto bursts = find_bursts(series);
  ASSERT_EQ(bursts.size(), 1U);
  EXPECT_EQ(bursts[0].label, "1970-01-07");
  EXPECT_EQ(bursts[0].new_follows, 90);
  EXPECT_DOUBLE_EQ(bursts[0].baseline, 10.0);
  EXPECT_EQ(bursts[0].threshold, 30);  // 3 × 10 beats 10 + 4 × √10 and 20
  // A steady series has none, and neither do small numbers however spiky.
  rows[6] = day_row(6, 29);
  EXPECT_TRUE(find_bursts(bucket(rows, 0, 9, Granularity::kDay, 0)).empty());
  std::vector<PeriodTotals> small = {day_row(0, 1), day_row(1, 0), day_row(2, 0), day_row(3, 0), day_row(4, 19)};
  EXPECT_TRUE(find_bursts(bucket(small, 0, 4, Granularity::kDay, 0)).empty());
}

// A quiet history (zeros) is no baseline of 0 that any launch beats: the days up to the first
// follow are not counted, and the first three after it are not judged.
TEST(Analytics, ALaunchAfterAQuietHistoryIsNoBurst) {
  std::vector<PeriodTotals> rows;
  for (std::int64_t d = 0; d < 20; ++d) rows.push_back(day_row(d, d < 10 ? 0 : d == 10 ? 300 : 40));
  EXPECT_TRUE(find_bursts(bucket(rows, 0, 19, Granularity::kDay, 0)).empty());
  // Once it has a history, a jump far above it is one: seven days of 40, then 400 (the bar is 120).
  rows[18] = day_row(18, 400);
  const auto bursts = find_bursts(bucket(rows, 0, 19, Granularity::kDay, 0));
  ASSERT_EQ(bursts.size(), 1U);
  EXPECT_EQ(bursts[0].label, "1970-01-19");
  EXPECT_EQ(bursts[0].threshold, 120);
  // A spread-out window raises the bar: after 10, 0, 50, 0, 10, 50, 0 (mean 17.1, sd 21.2) it is
  // 102, so 80 is none; after 0, 50, 0, 10, 50, 0, 80 it is 148, and 160 is one.
  std::vector<PeriodTotals> noisy;
  const std::int64_t values[] = {10, 0, 50, 0, 10, 50, 0, 80, 160};
  for (std::int64_t d = 0; d < 9; ++d) noisy.push_back(day_row(d, values[d]));
  const auto noisy_bursts = find_bursts(bucket(noisy, 0, 8, Granularity::kDay, 0));
  ASSERT_EQ(noisy_bursts.size(), 1U);
  EXPECT_EQ(noisy_bursts[0].new_follows, 160);
  EXPECT_EQ(noisy_bursts[0].threshold, 148);
}

TEST(Analytics, GranularityNamesRoundTrip) {
  for (auto g : {Granularity::kHour, Granularity::kDay, Granularity::kWeek, Granularity::kMonth}) {
    EXPECT_EQ(granularity_from(to_string(g)), g);
  }
  EXPECT_FALSE(granularity_from("fortnight"));
}

}  // namespace
}  // namespace qrscene::domain
