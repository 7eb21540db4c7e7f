// QR rendering and the analytics reads (issue 6's targets: 10k PNG/s per core; stats from rollups
// with p95 ≤ 20 ms at 10k channels). The rollup tables are filled directly — QRSCENE_BENCH_CHANNELS
// channels (default 100 for the smoke test; docs/benchmarks.md uses 10000) × 120 days of rows —
// so the queries see the row counts a busy account has; the event log is not what they read.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "base/clock.h"
#include "qr/qr_code.h"
#include "qr/qr_render.h"
#include "service/analytics_service.h"
#include "store/sqlite/sqlite_database.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace qrscene;

constexpr std::string_view kUrl = "http://weixin.qq.com/q/02abcDEFghiJKL0000Ab12";
constexpr std::int64_t kNow = 1'714'010'400;  // 2024-04-25 10:00 Beijing
constexpr std::int64_t kToday = 19'838;
constexpr int kDays = 120;

void BM_QrEncode(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(qr::encode(kUrl, qr::Ecc::kMedium));
}
BENCHMARK(BM_QrEncode);

void BM_RenderPng(benchmark::State& state) {
  qr::QrStyle style;
  for (auto _ : state) benchmark::DoNotOptimize(qr::render(kUrl, style, qr::ImageFormat::kPng));
}
BENCHMARK(BM_RenderPng);

void BM_RenderSvg(benchmark::State& state) {
  qr::QrStyle style;
  for (auto _ : state) benchmark::DoNotOptimize(qr::render(kUrl, style, qr::ImageFormat::kSvg));
}
BENCHMARK(BM_RenderSvg);

// One store with the rollups of a busy account, shared by the stats benchmarks.
struct Fixture {
  FakeClock clock{kNow};
  std::filesystem::path dir;
  std::unique_ptr<store::sqlite::SqliteStore> store;
  std::unique_ptr<service::AnalyticsService> analytics;
  std::int64_t channels = 0;

  static Fixture& get() {
    static Fixture f;
    return f;
  }
  Fixture() {
    const char* env = std::getenv("QRSCENE_BENCH_CHANNELS");
    channels = env != nullptr ? std::atoll(env) : 100;
    dir = std::filesystem::temp_directory_path() / ("qrscene_bench_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    store::sqlite::SqliteStoreOptions o;
    o.path = (dir / "bench.db").string();
    o.durable = false;
    store = std::move(*store::sqlite::SqliteStore::open(o, clock));
    auto db = std::move(*store::sqlite::SqliteDatabase::open(o.path));
    (void)db->exec("BEGIN");
    auto ch = std::move(*db->prepare(
        "INSERT INTO channels (id, appid, name, grp, owner, kind, scene, created_at) VALUES (?, 'wxbench', ?, ?, ?, "
        "'permanent', ?, 0)"));
    auto day = std::move(*db->prepare(
        "INSERT INTO channel_daily (channel_id, day, scans, new_follows, first_follows, re_follows, existing_scans, "
        "unfollows, left_5m, left_24h, left_7d, left_30d) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 0, ?, ?, ?)"));
    auto acct = std::move(*db->prepare(
        "INSERT INTO account_daily (appid, day, scans, new_follows, first_follows, existing_scans, unfollows, "
        "left_24h, left_7d, left_30d) VALUES ('wxbench', ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (std::int64_t c = 1; c <= channels; ++c) {
      ch.reset();
      (void)ch.bind(1, c).bind(2, "channel " + std::to_string(c)).bind(3, "group " + std::to_string(c % 50))
          .bind(4, "owner " + std::to_string(c % 500)).bind(5, std::to_string(c)).run();
      for (std::int64_t d = kToday - kDays + 1; d <= kToday; ++d) {
        const std::int64_t f = (c * 7 + d) % 13;
        day.reset();
        (void)day.bind(1, c).bind(2, d).bind(3, f + 3).bind(4, f).bind(5, f).bind(6, 3).bind(7, f / 4)
            .bind(8, f / 6).bind(9, f / 5).bind(10, f / 4).run();
      }
    }
    for (std::int64_t d = kToday - kDays + 1; d <= kToday; ++d) {
      acct.reset();
      (void)acct.bind(1, d).bind(2, channels * 9).bind(3, channels * 6).bind(4, channels * 6).bind(5, channels * 3)
          .bind(6, channels).bind(7, channels / 2).bind(8, channels).bind(9, channels).run();
    }
    // Groups' and owners' rows, as the projector keeps them (migration 7 fills them the same way).
    for (const char* axis : {"grp", "owner"}) {
      const Status filled = db->exec(fmt::format(
          "INSERT INTO segment_daily SELECT c.appid, '{}', c.{}, d.day, SUM(d.scans), SUM(d.new_follows), "
          "SUM(d.first_follows), SUM(d.re_follows), SUM(d.existing_scans), SUM(d.unfollows), SUM(d.left_5m), "
          "SUM(d.left_24h), SUM(d.left_7d), SUM(d.left_30d) FROM channel_daily d JOIN channels c ON c.id = "
          "d.channel_id GROUP BY c.appid, c.{}, d.day",
          std::string_view(axis) == "grp" ? "group" : "owner", axis, axis));
      if (!filled) std::abort();  // a benchmark of an empty table would measure nothing
    }
    (void)db->exec("COMMIT");
    analytics = std::make_unique<service::AnalyticsService>(*store, clock);
  }
  ~Fixture() {
    analytics.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

service::StatsRequest request(domain::ChannelFilter f) {
  f.appid = "wxbench";
  return service::StatsRequest{std::move(f), kToday - 29, kToday, domain::Granularity::kDay};
}

void BM_StatsWholeAccount30Days(benchmark::State& state) {
  auto& f = Fixture::get();
  for (auto _ : state) benchmark::DoNotOptimize(f.analytics->report(request({})));
  state.counters["channels"] = static_cast<double>(f.channels);
}
BENCHMARK(BM_StatsWholeAccount30Days)->Unit(benchmark::kMillisecond);

void BM_StatsOneChannel30Days(benchmark::State& state) {
  auto& f = Fixture::get();
  domain::ChannelFilter one;
  one.channel_ids = {f.channels / 2};
  for (auto _ : state) benchmark::DoNotOptimize(f.analytics->report(request(one)));
}
BENCHMARK(BM_StatsOneChannel30Days)->Unit(benchmark::kMillisecond);

void BM_StatsOneGroup30Days(benchmark::State& state) {
  auto& f = Fixture::get();
  domain::ChannelFilter group;
  group.group = "group 7";
  for (auto _ : state) benchmark::DoNotOptimize(f.analytics->report(request(group)));
}
BENCHMARK(BM_StatsOneGroup30Days)->Unit(benchmark::kMillisecond);

void BM_LeaderboardByOwner30Days(benchmark::State& state) {
  auto& f = Fixture::get();
  domain::ChannelFilter all;
  all.appid = "wxbench";
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.analytics->breakdown(all, domain::Breakdown::kOwner, kToday - 29, kToday));
  }
}
BENCHMARK(BM_LeaderboardByOwner30Days)->Unit(benchmark::kMillisecond);

}  // namespace
