#include "service/conversion_service.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "domain/analytics.h"

namespace qrscene::service {

ConversionService::ConversionService(domain::FollowerRepository& followers, domain::StatsRepository& stats,
                                     const Clock& clock, std::string default_currency)
    : followers_(followers), stats_(stats), clock_(clock), default_currency_(std::move(default_currency)) {}

Status ConversionService::prepare(domain::ConversionInput& input) const {
  if (input.currency.empty()) input.currency = default_currency_;
  return domain::check_conversion(input, clock_.unix_seconds());
}

Result<domain::RecordedConversion> ConversionService::record(domain::ConversionInput input) {
  QRSCENE_TRY(prepare(input));
  return followers_.record_conversion(input, clock_.unix_seconds());
}

Result<ConversionReport> ConversionService::report(const domain::ChannelFilter& filter, domain::Breakdown by,
                                                   domain::Touch touch, std::string currency, std::int64_t first_day,
                                                   std::int64_t last_day) {
  ConversionReport out;
  out.currency = currency.empty() ? default_currency_ : std::move(currency);
  out.touch = touch;
  out.by = by;
  out.first_day = first_day;
  out.last_day = last_day;
  const std::int64_t offset = stats_.utc_offset_seconds();
  QRSCENE_ASSIGN_OR_RETURN(auto credited,
                           followers_.credited_conversions(filter, by, touch, out.currency, first_day * 86'400 - offset,
                                                           (last_day + 1) * 86'400 - offset));
  // Followers gained in the same days through the same channels, from the rollups.
  QRSCENE_ASSIGN_OR_RETURN(auto gained, stats_.breakdown(filter, by, first_day, last_day));
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> followers;
  std::int64_t all_followers = 0;
  for (const auto& row : gained) {
    followers[{row.key, row.channel_id}] += row.counters.new_follows;
    all_followers += row.counters.new_follows;
  }
  std::vector<domain::CreditedConversion> attributed;
  for (const auto& c : credited) {
    if (c.attributed) attributed.push_back(c);
  }
  for (auto& figures : domain::summarize_conversions(credited)) {
    if (!figures.attributed) {
      out.unattributed = std::move(figures);
      continue;
    }
    auto it = followers.find({figures.key, figures.channel_id});
    domain::set_followers(figures, it == followers.end() ? 0 : it->second);
    followers.erase({figures.key, figures.channel_id});
    out.rows.push_back(std::move(figures));
  }
  // Keys that gained followers and converted nobody belong in the table too (value 0).
  for (const auto& [key, count] : followers) {
    if (count == 0) continue;
    domain::ConversionFigures none;
    none.key = key.first;
    none.channel_id = key.second;
    domain::set_followers(none, count);
    out.rows.push_back(std::move(none));
  }
  for (auto& c : attributed) {
    c.key = "total";
    c.channel_id = 0;
  }
  auto totals = domain::summarize_conversions(attributed);
  out.totals = totals.empty() ? domain::ConversionFigures{} : totals.front();
  out.totals.key = "";
  domain::set_followers(out.totals, all_followers);
  if (filter.whole_account() && !out.unattributed) {
    out.unattributed.emplace();
    out.unattributed->attributed = false;
  }
  return out;
}

namespace {

nlohmann::json figures_json(const domain::ConversionFigures& f) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j{{"key", f.key},
                   {"conversions", f.conversions},
                   {"converters", f.converters},
                   {"value_cents", f.value_cents},
                   {"followers", f.followers},
                   {"value_per_follower_cents", opt(f.value_per_follower_cents)},
                   {"median_seconds_to_first", opt(f.median_seconds_to_first)},
                   {"mean_seconds_to_first", opt(f.mean_seconds_to_first)}};
  if (f.channel_id != 0) j["channel_id"] = f.channel_id;
  return j;
}

}  // namespace

std::string to_json(const ConversionReport& report) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : report.rows) rows.push_back(figures_json(r));
  const char* by = report.by == domain::Breakdown::kChannel ? "channel"
                   : report.by == domain::Breakdown::kGroup ? "group"
                                                             : "owner";
  return nlohmann::json{{"currency", report.currency},
                        {"touch", domain::to_string(report.touch)},
                        {"by", by},
                        {"from", domain::day_label(report.first_day)},
                        {"to", domain::day_label(report.last_day)},
                        {"rows", std::move(rows)},
                        {"totals", figures_json(report.totals)},
                        {"unattributed", report.unattributed ? figures_json(*report.unattributed) : nullptr}}
      .dump();
}

}  // namespace qrscene::service
