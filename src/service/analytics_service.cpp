#include "service/analytics_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace qrscene::service {
namespace {

using nlohmann::json;

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json counters_json(const domain::Counters& c) {
  return json{{"scans", c.scans},
              {"new_follows", c.new_follows},
              {"first_follows", c.first_follows},
              {"re_follows", c.re_follows},
              {"existing_scans", c.existing_scans},
              {"unfollows", c.unfollows},
              {"net", c.new_follows - c.unfollows}};
}

Status check_range(std::int64_t first_day, std::int64_t last_day) {
  if (first_day > last_day) {
    return worded_field_error({"from"},
                              fmt::format("from ({}) is after to ({}): swap them", domain::day_label(first_day),
                                          domain::day_label(last_day)),
                              "range_reversed");
  }
  return {};
}

}  // namespace

std::int64_t AnalyticsService::today() const {
  return domain::local_day(clock_.unix_seconds(), stats_.utc_offset_seconds());
}

Result<StatsReport> AnalyticsService::report(const StatsRequest& request) {
  QRSCENE_TRY(check_range(request.first_day, request.last_day));
  if (request.filter.appid.empty()) {
    return worded_field_error({"appid"}, "appid is required: the account whose channels to count", "required");
  }
  const bool hourly = request.granularity == domain::Granularity::kHour;
  if (hourly && request.last_day - request.first_day + 1 > kMaxHourlyDays) {
    return worded_field_error(
        {"from", "to", "granularity"},
        fmt::format("granularity=hour covers at most {} days: narrow from/to, or use day", kMaxHourlyDays),
        "range_too_long", {{"max_days", std::to_string(kMaxHourlyDays)}});
  }
  const std::int64_t offset = stats_.utc_offset_seconds();
  const std::int64_t now_day = today();
  StatsReport r;
  r.request = request;
  QRSCENE_ASSIGN_OR_RETURN(auto days, stats_.daily(request.filter, request.first_day, request.last_day));
  domain::CohortLosses losses;
  for (const auto& d : days) {
    r.totals += d.counters;
    losses += d.losses;
  }
  r.net = r.totals.new_follows - r.totals.unfollows;
  r.retention = domain::pooled_retention(days, now_day);
  r.early_unfollow_rate = r.retention.d1 ? std::optional<double>(1.0 - *r.retention.d1) : std::nullopt;
  r.quick_unfollows = losses.within_5m;
  if (r.totals.new_follows > 0) {
    r.quick_unfollow_rate = static_cast<double>(losses.within_5m) / static_cast<double>(r.totals.new_follows);
  }
  r.cohorts = domain::cohort_table(days, now_day);
  if (hourly) {
    QRSCENE_ASSIGN_OR_RETURN(auto hours, stats_.hourly(request.filter, request.first_day * 24,
                                                       request.last_day * 24 + 23));
    r.series = domain::bucket(hours, request.first_day * 24, request.last_day * 24 + 23, request.granularity, offset);
  } else {
    r.series = domain::bucket(days, request.first_day, request.last_day, request.granularity, offset);
  }
  r.bursts = domain::find_bursts(r.series);
  const std::int64_t from = request.first_day * 86400 - offset;
  QRSCENE_ASSIGN_OR_RETURN(r.unique_scanners,
                           stats_.unique_scanners(request.filter, from, (request.last_day + 1) * 86400 - offset));

  // Costs: the spend entered is for the channels' whole life, so it is set against their lifetime.
  // Only when a spend was entered: most reports need no lifetime figures.
  QRSCENE_ASSIGN_OR_RETURN(const std::int64_t spend, stats_.spend_cents(request.filter));
  if (spend > 0) {
    QRSCENE_ASSIGN_OR_RETURN(auto life_days, stats_.daily(request.filter, 0, now_day));
    domain::Counters lifetime;
    for (const auto& d : life_days) lifetime += d.counters;
    r.costs = domain::costs(spend, lifetime, domain::pooled_retention(life_days, now_day).retained_30d);
  }
  if (request.filter.whole_account()) {
    QRSCENE_ASSIGN_OR_RETURN(auto account, stats_.account_days(request.filter.appid, request.first_day,
                                                                request.last_day));
    std::int64_t follows = 0, unfollows = 0;
    for (const auto& d : account) {
      follows += d.organic_follows;
      unfollows += d.organic_unfollows;
    }
    r.organic_follows = follows;
    r.organic_unfollows = unfollows;
  }
  // Before the range: the same rollup as the totals (the account's own for the whole account,
  // which also holds its organic follows; the channels' otherwise), every day before the first.
  r.followers_before = 0;
  if (request.filter.whole_account()) {
    std::int64_t organic = 0;
    if (request.first_day > 0) {
      QRSCENE_ASSIGN_OR_RETURN(auto before, stats_.account_days(request.filter.appid, 0, request.first_day - 1));
      for (const auto& d : before) {
        r.followers_before += d.totals.counters.new_follows - d.totals.counters.unfollows;
        organic += d.organic_follows - d.organic_unfollows;
      }
    }
    r.organic_followers_before = organic;
  } else if (request.first_day > 0) {
    QRSCENE_ASSIGN_OR_RETURN(auto before, stats_.daily(request.filter, 0, request.first_day - 1));
    for (const auto& d : before) r.followers_before += d.counters.new_follows - d.counters.unfollows;
  }
  return r;
}

Result<std::vector<domain::BreakdownRow>> AnalyticsService::breakdown(const domain::ChannelFilter& filter,
                                                                      domain::Breakdown by, std::int64_t first_day,
                                                                      std::int64_t last_day) {
  QRSCENE_TRY(check_range(first_day, last_day));
  QRSCENE_ASSIGN_OR_RETURN(auto rows, stats_.breakdown(filter, by, first_day, last_day));
  // Best first: net follows, then new follows.
  std::stable_sort(rows.begin(), rows.end(), [](const domain::BreakdownRow& a, const domain::BreakdownRow& b) {
    const auto na = a.counters.new_follows - a.counters.unfollows, nb = b.counters.new_follows - b.counters.unfollows;
    return na != nb ? na > nb : a.counters.new_follows > b.counters.new_follows;
  });
  return rows;
}

Result<std::vector<ReconciliationDay>> AnalyticsService::reconcile(wechat::ApiClient& client, std::string_view appid,
                                                                   std::int64_t first_day, std::int64_t last_day) {
  QRSCENE_TRY(check_range(first_day, last_day));
  if (last_day - first_day + 1 > 7) {
    return worded_field_error({"from", "to"}, "WeChat's datacube answers at most 7 days: narrow from/to",
                              "range_too_long", {{"max_days", "7"}});
  }
  if (last_day >= today()) {
    return worded_field_error({"to"},
                              "WeChat's datacube has figures up to yesterday only: end the range before today",
                              "not_before_today");
  }
  domain::ChannelFilter all;
  all.appid = std::string(appid);
  QRSCENE_ASSIGN_OR_RETURN(auto days, stats_.daily(all, first_day, last_day));
  QRSCENE_ASSIGN_OR_RETURN(auto unknown, stats_.unknown_scene_follows(appid, first_day, last_day));
  std::map<std::string, ReconciliationDay> by_date;
  const std::int64_t now = clock_.unix_seconds();
  std::int64_t last_published = first_day - 1;
  for (std::int64_t d = first_day; d <= last_day; ++d) {
    auto& row = by_date[domain::day_label(d)];
    row.date = domain::day_label(d);
    row.wechat_published = now >= datacube_published_at(d);
    if (row.wechat_published) last_published = d;
  }
  for (const auto& d : days) {
    auto& row = by_date[domain::day_label(d.period)];
    row.ours_follows = d.counters.new_follows;
    row.ours_unfollows = d.counters.unfollows;
  }
  for (const auto& u : unknown) {
    auto it = by_date.find(domain::day_label(u.day));
    if (it == by_date.end()) continue;
    it->second.unknown_scene_follows += u.follows;
    if (it->second.unknown_scenes.size() < 5) it->second.unknown_scenes.emplace_back(u.scene, u.follows);
  }
  if (last_published >= first_day) {
    QRSCENE_ASSIGN_OR_RETURN(auto summary, client.user_summary(domain::day_label(first_day),
                                                               domain::day_label(last_published)));
    for (const auto& s : summary) {
      if (s.user_source != 30) continue;  // 30: 扫描二维码
      auto it = by_date.find(s.ref_date);
      if (it == by_date.end() || !it->second.wechat_published) continue;
      it->second.wechat_follows += s.new_user;
      it->second.wechat_unfollows += s.cancel_user;
    }
  }
  std::vector<ReconciliationDay> out;
  for (auto& [date, row] : by_date) out.push_back(row);
  return out;
}

std::int64_t datacube_published_at(std::int64_t day) noexcept {
  // The next day's 08:00 in Beijing (UTC+8) is that day's 00:00 UTC.
  return (day + 1) * 86400;
}

std::string to_json(const StatsReport& r) {
  json series = json::array();
  for (const auto& p : r.series) {
    json point = counters_json(p.counters);
    point["label"] = p.label;
    point["start"] = p.start;
    series.push_back(std::move(point));
  }
  json cohorts = json::array();
  for (const auto& c : r.cohorts) {
    cohorts.push_back(json{{"day", c.label},
                           {"follows", c.follows},
                           {"retention_1d", optional_number(c.retention_1d)},
                           {"retention_7d", optional_number(c.retention_7d)},
                           {"retention_30d", optional_number(c.retention_30d)}});
  }
  json bursts = json::array();
  for (const auto& b : r.bursts) {
    bursts.push_back(json{{"label", b.label}, {"start", b.start}, {"new_follows", b.new_follows},
                          {"baseline", b.baseline}, {"threshold", b.threshold}});
  }
  json out{{"from", domain::day_label(r.request.first_day)},
           {"to", domain::day_label(r.request.last_day)},
           {"granularity", domain::to_string(r.request.granularity)},
           {"totals", counters_json(r.totals)},
           {"followers_before", r.followers_before},
           {"unique_scanners", r.unique_scanners},
           {"retention", json{{"d1", optional_number(r.retention.d1)},
                              {"d7", optional_number(r.retention.d7)},
                              {"d30", optional_number(r.retention.d30)}}},
           {"early_unfollow_rate", optional_number(r.early_unfollow_rate)},
           {"fraud", json{{"quick_unfollows", r.quick_unfollows},
                          {"quick_unfollow_rate", optional_number(r.quick_unfollow_rate)},
                          {"bursts", std::move(bursts)}}},
           {"costs", json{{"spend_cents", r.costs.spend_cents},
                          {"per_new_follow_cents", optional_number(r.costs.per_new)},
                          {"per_net_follow_cents", optional_number(r.costs.per_net)},
                          {"per_retained_follow_cents", optional_number(r.costs.per_retained)}}},
           {"series", std::move(series)},
           {"cohorts", std::move(cohorts)}};
  if (r.organic_follows) {
    out["organic"] = json{{"follows", *r.organic_follows},
                          {"unfollows", r.organic_unfollows.value_or(0)},
                          {"followers_before", r.organic_followers_before.value_or(0)}};
  }
  return out.dump();
}

std::string to_json(const std::vector<domain::BreakdownRow>& rows) {
  json out = json::array();
  for (const auto& r : rows) {
    json row = counters_json(r.counters);
    row["key"] = r.key;
    if (r.channel_id != 0) row["channel_id"] = r.channel_id;
    row["channels"] = r.channels;
    row["spend_cents"] = r.spend_cents;
    row["quick_unfollows"] = r.losses.within_5m;
    row["early_unfollows"] = r.losses.within_24h;
    out.push_back(std::move(row));
  }
  return out.dump();
}

std::string to_json(const std::vector<ReconciliationDay>& days) {
  json out = json::array();
  for (const auto& d : days) {
    json scenes = json::array();
    for (const auto& [scene, follows] : d.unknown_scenes) scenes.push_back(json{{"scene", scene}, {"follows", follows}});
    // Unpublished: WeChat's figures, and so the differences, are unknown (null), not 0.
    auto known = [&d](std::int64_t v) { return d.wechat_published ? json(v) : json(nullptr); };
    out.push_back(json{{"date", d.date},
                       {"wechat_published", d.wechat_published},
                       {"ours_follows", d.ours_follows},
                       {"unknown_scene_follows", d.unknown_scene_follows},
                       {"unknown_scenes", std::move(scenes)},
                       {"wechat_follows", known(d.wechat_follows)},
                       {"follows_difference", known(d.ours_follows + d.unknown_scene_follows - d.wechat_follows)},
                       {"ours_unfollows", d.ours_unfollows},
                       {"wechat_unfollows", known(d.wechat_unfollows)},
                       {"unfollows_difference", known(d.ours_unfollows - d.wechat_unfollows)}});
  }
  return out.dump();
}

}  // namespace qrscene::service
