// SqlStore's reads of the rollups (domain::StatsRepository): sums over channel_daily and
// account_daily grouped in SQL, so an answer reads one row per day (or per channel) however many
// events lie behind it. Only the hourly series, the unique scanners and the follows through
// unknown scenes read the events table.
#include <fmt/format.h>

#include <map>

#include "domain/analytics.h"
#include "domain/login.h"
#include "store/channel_where.h"
#include "store/rollup_sql.h"
#include "store/sql_store.h"

namespace qrscene::store {
namespace {

constexpr std::string_view kSums =
    "SUM(d.scans), SUM(d.new_follows), SUM(d.first_follows), SUM(d.re_follows), SUM(d.existing_scans), "
    "SUM(d.unfollows), SUM(d.left_5m), SUM(d.left_24h), SUM(d.left_7d), SUM(d.left_30d)";
// A channel's spend as sums take it: 0..domain::kMaxSpendCents, so that an account's sum fits 64
// bits even with rows written before the limit (SQLite's SUM fails on overflow, with its SQL).
const std::string kCappedSpend = fmt::format(
    "CASE WHEN c.spend_cents < 0 THEN 0 WHEN c.spend_cents > {0} THEN {0} ELSE c.spend_cents END",
    domain::kMaxSpendCents);

// Reads ten sums (kSums) starting at `column`.
void read_sums(const Statement& q, int column, domain::Counters& c, domain::CohortLosses& l) {
  c = domain::Counters{q.int64(column), q.int64(column + 1), q.int64(column + 2),
                       q.int64(column + 3), q.int64(column + 4), q.int64(column + 5)};
  l = domain::CohortLosses{q.int64(column + 6), q.int64(column + 7), q.int64(column + 8), q.int64(column + 9)};
}

}  // namespace

Result<std::vector<domain::PeriodTotals>> SqlStore::daily(const domain::ChannelFilter& filter,
                                                             std::int64_t first_day, std::int64_t last_day) {
  catch_up_for_read();
  auto reader = readers_->lease();
  // The whole account reads its own rollup: one row a day, whatever the number of channels.
  const bool account = filter.whole_account();
  const Where w = account ? Where{"d.appid = ?", {filter.appid}} : channel_where(filter);
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare(fmt::format(
                  "SELECT d.day, {} FROM {} WHERE {} AND d.day BETWEEN ? AND ? GROUP BY d.day ORDER BY d.day", kSums,
                  account ? "account_daily d" : "channel_daily d JOIN channels c ON c.id = d.channel_id", w.sql)));
  const int next = bind_where(q, w, 1);
  q.bind(next, first_day).bind(next + 1, last_day);
  std::vector<domain::PeriodTotals> out;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    domain::PeriodTotals t;
    t.period = q.int64(0);
    read_sums(q, 1, t.counters, t.losses);
    out.push_back(t);
  }
  return out;
}

Result<std::vector<domain::AccountDay>> SqlStore::account_days(std::string_view appid, std::int64_t first_day,
                                                                  std::int64_t last_day) {
  catch_up_for_read();
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare(fmt::format("SELECT d.day, {}, SUM(d.organic_follows), SUM(d.organic_unfollows) "
                                           "FROM account_daily d WHERE d.appid = ? AND d.day BETWEEN ? AND ? "
                                           "GROUP BY d.day ORDER BY d.day",
                                           kSums)));
  q.bind(1, appid).bind(2, first_day).bind(3, last_day);
  std::vector<domain::AccountDay> out;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    domain::AccountDay d;
    d.totals.period = q.int64(0);
    read_sums(q, 1, d.totals.counters, d.totals.losses);
    d.organic_follows = q.int64(11);
    d.organic_unfollows = q.int64(12);
    out.push_back(d);
  }
  return out;
}

Result<std::vector<domain::PeriodTotals>> SqlStore::hourly(const domain::ChannelFilter& filter,
                                                              std::int64_t first_hour, std::int64_t last_hour) {
  catch_up_for_read();
  auto reader = readers_->lease();
  const Where w = channel_where(filter);
  const std::int64_t offset = options_.utc_offset_seconds;
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare(fmt::format(
                  "SELECT (e.create_time + ?) / 3600, COUNT(CASE WHEN e.kind = 'subscribe' THEN 1 END), "
                  "COUNT(CASE WHEN e.kind = 'scan' THEN 1 END), COUNT(CASE WHEN e.kind = 'unsubscribe' THEN 1 END) "
                  "FROM events e JOIN channels c ON c.id = e.channel_id WHERE {} AND "
                  "e.create_time >= ? AND e.create_time < ? GROUP BY 1 ORDER BY 1",
                  w.sql)));
  q.bind(1, offset);
  const int next = bind_where(q, w, 2);
  q.bind(next, first_hour * 3600 - offset).bind(next + 1, (last_hour + 1) * 3600 - offset);
  std::vector<domain::PeriodTotals> out;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    domain::PeriodTotals t;
    t.period = q.int64(0);
    t.counters.new_follows = q.int64(1);
    t.counters.existing_scans = q.int64(2);
    t.counters.scans = t.counters.new_follows + t.counters.existing_scans;
    t.counters.unfollows = q.int64(3);
    out.push_back(t);
  }
  return out;
}

Result<std::int64_t> SqlStore::unique_scanners(const domain::ChannelFilter& filter, std::int64_t from,
                                                  std::int64_t to) {
  catch_up_for_read();
  auto reader = readers_->lease();
  const Where w = channel_where(filter);
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare(fmt::format("SELECT COUNT(DISTINCT e.openid_hash) FROM events e JOIN channels c ON "
                                           "c.id = e.channel_id WHERE {} AND e.kind IN ('subscribe', 'scan') AND "
                                           "e.create_time >= ? AND e.create_time < ?",
                                           w.sql)));
  const int next = bind_where(q, w, 1);
  q.bind(next, from).bind(next + 1, to);
  QRSCENE_TRY(q.step());
  return q.int64(0);
}

Result<std::vector<domain::StatsRepository::SceneFollows>> SqlStore::unknown_scene_follows(std::string_view appid,
                                                                                           std::int64_t first_day,
                                                                                           std::int64_t last_day) {
  catch_up_for_read();
  auto reader = readers_->lease();
  const std::int64_t offset = utc_offset_seconds();
  // The events of the range's days (local time), by day and scene; integer division on both
  // databases (create_time + offset is positive for any time since 1970).
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare("SELECT (create_time + ?) / 86400 AS day, scene, COUNT(*) AS n FROM events "
                              "WHERE appid = ? AND kind = 'subscribe' AND channel_id IS NULL AND scene <> '' "
                              "AND substr(scene, 1, ?) <> ? AND create_time >= ? AND create_time < ? "
                              "GROUP BY day, scene ORDER BY day, n DESC, scene"));
  const std::string_view login = domain::kLoginScenePrefix;
  q.bind(1, offset).bind(2, appid).bind(3, static_cast<std::int64_t>(login.size())).bind(4, login);
  q.bind(5, first_day * 86400 - offset).bind(6, (last_day + 1) * 86400 - offset);
  std::vector<SceneFollows> out;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    out.push_back(SceneFollows{q.int64(0), q.text(1), q.int64(2)});
  }
  return out;
}

Result<std::int64_t> SqlStore::spend_cents(const domain::ChannelFilter& filter) {
  auto reader = readers_->lease();
  const Where w = channel_where(filter);
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare(fmt::format("SELECT COALESCE(SUM({}), 0) FROM channels c WHERE {}", kCappedSpend, w.sql)));
  bind_where(q, w, 1);
  QRSCENE_TRY(q.step());
  return q.int64(0);
}

Result<std::vector<domain::BreakdownRow>> SqlStore::breakdown(const domain::ChannelFilter& filter,
                                                                 domain::Breakdown by, std::int64_t first_day,
                                                                 std::int64_t last_day) {
  catch_up_for_read();
  auto reader = readers_->lease();
  const Where w = channel_where(filter);
  // Groups or owners of the whole account (or of one of them): their own rollups, one row per
  // segment-day. Any other filter cuts across segments and reads the channels' rows.
  const bool by_group = by == domain::Breakdown::kGroup, by_owner = by == domain::Breakdown::kOwner;
  if (filter.channel_ids.empty() && ((by_group && filter.owner.empty()) || (by_owner && filter.group.empty()))) {
    const std::string_view axis = by_group ? "group" : "owner";
    const std::string_view column = by_group ? "c.grp" : "c.owner";
    const std::string& only = by_group ? filter.group : filter.owner;
    // Its channels (idle or not, as below) and their spend, in the order of each one's first channel
    // (from the index on (appid, group or owner, spend_cents) alone).
    QRSCENE_ASSIGN_OR_RETURN(auto segments, reader->prepare(fmt::format(
                                                "SELECT {0}, COUNT(*), COALESCE(SUM({2}), 0) FROM channels "
                                                "c WHERE {1} GROUP BY {0} ORDER BY MIN(c.id)",
                                                column, w.sql, kCappedSpend)));
    bind_where(segments, w, 1);
    std::vector<domain::BreakdownRow> out;
    std::map<std::string, std::size_t, std::less<>> index;
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, segments.step());
      if (!row) break;
      domain::BreakdownRow& r = out.emplace_back();
      r.key = segments.text(0);
      r.channels = segments.int64(1);
      r.spend_cents = segments.int64(2);
      index.emplace(r.key, out.size() - 1);
    }
    // Summed here rather than by SQL's SUM() (ten aggregates cost SQLite more than the reading):
    // the range is one run of segment_daily's key (appid, axis, day, segment).
    QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(fmt::format(
                                         "SELECT d.segment, {} FROM segment_daily d WHERE d.appid = ? AND d.axis = ? "
                                         "AND d.day BETWEEN ? AND ?{}",
                                         fmt::join(rollup_columns(), ", "), only.empty() ? "" : " AND d.segment = ?")));
    q.bind(1, filter.appid).bind(2, axis).bind(3, first_day).bind(4, last_day);
    if (!only.empty()) q.bind(5, only);
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      const auto it = index.find(q.text(0));
      if (it == index.end()) continue;  // no channel left in it: its rows are zeros
      domain::Counters c;
      domain::CohortLosses l;
      read_sums(q, 1, c, l);
      out[it->second].counters += c;
      out[it->second].losses += l;
    }
    return out;
  }
  // One row per channel (its range's sums, zeros when idle); grouped below by what was asked.
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare(fmt::format(
                  "SELECT c.id, c.name, c.grp, c.owner, {}, {} FROM channels c LEFT JOIN channel_daily d "
                  "ON d.channel_id = c.id AND d.day BETWEEN ? AND ? WHERE {} GROUP BY c.id ORDER BY c.id",
                  kCappedSpend, kSums, w.sql)));
  q.bind(1, first_day).bind(2, last_day);
  bind_where(q, w, 3);
  std::vector<domain::BreakdownRow> out;
  std::map<std::string, std::size_t> index;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    std::string key = by == domain::Breakdown::kChannel ? q.text(1) : by == domain::Breakdown::kGroup ? q.text(2)
                                                                                                       : q.text(3);
    domain::BreakdownRow* r = nullptr;
    if (by == domain::Breakdown::kChannel) {
      r = &out.emplace_back();
      r->channel_id = q.int64(0);
    } else {
      auto [it, added] = index.try_emplace(key, out.size());
      if (added) out.emplace_back();
      r = &out[it->second];
    }
    r->key = std::move(key);
    r->channels += 1;
    r->spend_cents += q.int64(4);
    domain::Counters c;
    domain::CohortLosses l;
    read_sums(q, 5, c, l);
    r->counters += c;
    r->losses += l;
  }
  return out;
}

}  // namespace qrscene::store
