#include "domain/analytics.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace qrscene::domain {
namespace {

constexpr std::int64_t kDay = 86400;

std::chrono::year_month_day civil(std::int64_t day) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{day}}};
}

std::int64_t days_of(const std::chrono::year_month_day& ymd) {
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

// Monday of the ISO week holding `day` (1970-01-01 was a Thursday).
std::int64_t week_start(std::int64_t day) {
  const std::int64_t weekday = ((day + 3) % 7 + 7) % 7;  // Monday = 0
  return day - weekday;
}

std::string week_label(std::int64_t monday) {
  // The ISO year is the year of the week's Thursday; week 1 holds the year's first Thursday.
  const auto thursday = civil(monday + 3);
  const std::int64_t jan1 = days_of(thursday.year() / std::chrono::January / 1);
  const std::int64_t week = (monday + 3 - jan1) / 7 + 1;
  return fmt::format("{}-W{:02}", static_cast<int>(thursday.year()), week);
}

std::int64_t month_start(std::int64_t day) {
  const auto ymd = civil(day);
  return days_of(ymd.year() / ymd.month() / 1);
}

std::int64_t next_month(std::int64_t first_of_month) {
  const auto ymd = civil(first_of_month);
  const auto next = std::chrono::year_month{ymd.year(), ymd.month()} + std::chrono::months{1};
  return days_of(next / 1);
}

std::optional<double> share(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

CohortLosses& CohortLosses::operator+=(const CohortLosses& o) noexcept {
  within_5m += o.within_5m;
  within_24h += o.within_24h;
  within_7d += o.within_7d;
  within_30d += o.within_30d;
  return *this;
}

CohortLosses cohort_loss(std::int64_t followed_at, std::int64_t unfollowed_at) noexcept {
  const std::int64_t d = unfollowed_at - followed_at;
  CohortLosses l;
  l.within_5m = d < 5 * 60 ? 1 : 0;
  l.within_24h = d < kDay ? 1 : 0;
  l.within_7d = d < 7 * kDay ? 1 : 0;
  l.within_30d = d < 30 * kDay ? 1 : 0;
  return l;
}

Counters& operator+=(Counters& a, const Counters& b) noexcept {
  a.scans += b.scans;
  a.new_follows += b.new_follows;
  a.first_follows += b.first_follows;
  a.re_follows += b.re_follows;
  a.existing_scans += b.existing_scans;
  a.unfollows += b.unfollows;
  return a;
}

std::string_view to_string(Granularity g) noexcept {
  switch (g) {
    case Granularity::kHour: return "hour";
    case Granularity::kDay: return "day";
    case Granularity::kWeek: return "week";
    case Granularity::kMonth: return "month";
  }
  return "day";
}

std::optional<Granularity> granularity_from(std::string_view text) noexcept {
  for (auto g : {Granularity::kHour, Granularity::kDay, Granularity::kWeek, Granularity::kMonth}) {
    if (text == to_string(g)) return g;
  }
  return std::nullopt;
}

std::string day_label(std::int64_t day) {
  const auto ymd = civil(day);
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::optional<std::int64_t> parse_day(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const auto y = number(0, 4), m = number(5, 2), d = number(8, 2);
  if (!y || !m || !d) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return days_of(ymd);
}

std::vector<SeriesPoint> bucket(std::span<const PeriodTotals> rows, std::int64_t first, std::int64_t last,
                                Granularity granularity, std::int64_t utc_offset_seconds) {
  // Bucket starts, in the unit of the rows (hours for kHour, days otherwise).
  std::vector<std::int64_t> starts;
  if (first <= last) {
    switch (granularity) {
      case Granularity::kHour:
      case Granularity::kDay:
        for (std::int64_t p = first; p <= last; ++p) starts.push_back(p);
        break;
      case Granularity::kWeek:
        for (std::int64_t p = week_start(first); p <= last; p += 7) starts.push_back(p);
        break;
      case Granularity::kMonth:
        for (std::int64_t p = month_start(first); p <= last; p = next_month(p)) starts.push_back(p);
        break;
    }
  }
  std::vector<SeriesPoint> out;
  out.reserve(starts.size());
  for (const std::int64_t s : starts) {
    SeriesPoint point;
    switch (granularity) {
      case Granularity::kHour: {
        const std::int64_t day = s >= 0 ? s / 24 : (s - 23) / 24;
        point.label = fmt::format("{} {:02}:00", day_label(day), s - day * 24);
        point.start = s * 3600 - utc_offset_seconds;
        break;
      }
      case Granularity::kDay: point.label = day_label(s); break;
      case Granularity::kWeek: point.label = week_label(s); break;
      case Granularity::kMonth: point.label = day_label(s).substr(0, 7); break;
    }
    if (granularity != Granularity::kHour) point.start = s * kDay - utc_offset_seconds;
    out.push_back(std::move(point));
  }
  for (const auto& row : rows) {
    if (row.period < first || row.period > last || starts.empty()) continue;
    // The last bucket starting at or before the row.
    const auto it = std::upper_bound(starts.begin(), starts.end(), row.period);
    if (it == starts.begin()) continue;
    out[static_cast<std::size_t>(it - starts.begin() - 1)].counters += row.counters;
  }
  for (auto& p : out) p.net = p.counters.new_follows - p.counters.unfollows;
  return out;
}

std::vector<CohortRow> cohort_table(std::span<const PeriodTotals> days, std::int64_t today) {
  std::vector<CohortRow> out;
  for (const auto& d : days) {
    if (d.counters.new_follows == 0) continue;
    CohortRow row;
    row.day = d.period;
    row.label = day_label(d.period);
    row.follows = d.counters.new_follows;
    const std::int64_t f = row.follows;
    if (d.period + 1 <= today) row.retention_1d = share(f - d.losses.within_24h, f);
    if (d.period + 7 <= today) row.retention_7d = share(f - d.losses.within_7d, f);
    if (d.period + 30 <= today) row.retention_30d = share(f - d.losses.within_30d, f);
    out.push_back(std::move(row));
  }
  std::sort(out.begin(), out.end(), [](const CohortRow& a, const CohortRow& b) { return a.day < b.day; });
  return out;
}

Retention pooled_retention(std::span<const PeriodTotals> days, std::int64_t today) {
  std::int64_t f1 = 0, kept1 = 0, f7 = 0, kept7 = 0, f30 = 0, kept30 = 0;
  for (const auto& d : days) {
    const std::int64_t f = d.counters.new_follows;
    if (d.period + 1 <= today) f1 += f, kept1 += f - d.losses.within_24h;
    if (d.period + 7 <= today) f7 += f, kept7 += f - d.losses.within_7d;
    if (d.period + 30 <= today) f30 += f, kept30 += f - d.losses.within_30d;
  }
  return Retention{share(kept1, f1), share(kept7, f7), share(kept30, f30), kept30};
}

Costs costs(std::int64_t spend_cents, const Counters& lifetime, std::int64_t retained) {
  Costs c;
  c.spend_cents = spend_cents;
  if (spend_cents <= 0) return c;
  auto per = [spend_cents](std::int64_t n) -> std::optional<double> {
    if (n <= 0) return std::nullopt;
    return static_cast<double>(spend_cents) / static_cast<double>(n);
  };
  c.per_new = per(lifetime.new_follows);
  c.per_net = per(lifetime.new_follows - lifetime.unfollows);
  c.per_retained = per(retained);
  return c;
}

std::vector<Burst> find_bursts(std::span<const SeriesPoint> series, const BurstRule& rule) {
  std::vector<Burst> out;
  std::size_t first = 0;  // the first bucket with a follow
  while (first < series.size() && series[first].counters.new_follows == 0) ++first;
  for (std::size_t i = first + std::max<std::size_t>(rule.warmup, 1); i < series.size(); ++i) {
    const std::size_t window = std::max<std::size_t>(rule.window, 1);
    const std::size_t from = std::max(first, i > window ? i - window : std::size_t{0});
    double sum = 0, squares = 0;
    for (std::size_t j = from; j < i; ++j) {
      const auto v = static_cast<double>(series[j].counters.new_follows);
      sum += v;
      squares += v * v;
    }
    const auto n = static_cast<double>(i - from);
    const double mean = sum / n;
    const double sd = std::sqrt(std::max(0.0, squares / n - mean * mean));
    const double spread = std::max({sd, std::sqrt(mean), 1.0});
    const auto threshold = static_cast<std::int64_t>(std::ceil(
        std::max({static_cast<double>(rule.min_count), rule.factor * mean, mean + rule.deviations * spread})));
    const std::int64_t follows = series[i].counters.new_follows;
    if (follows >= threshold) out.push_back(Burst{series[i].label, series[i].start, follows, mean, threshold});
  }
  return out;
}

}  // namespace qrscene::domain
