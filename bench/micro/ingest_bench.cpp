// The store's part of the hot path (DESIGN.md section 3): the ingest decision alone, and whole
// SCAN pushes through the SQLite store's group commit, as the callback endpoint submits them —
// Arg(0) not durable, Arg(1) durable (synchronous=FULL, an fsync per commit). Each iteration is
// a burst of 64 distinct pushes (the bench/load connections), all awaited.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "domain/ingest.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace qrscene;

constexpr std::int64_t kNow = 1714037059;
constexpr const char* kAppId = "wxbench0000000001";

domain::Event scan(std::int64_t n, std::int64_t scene) {
  domain::Event e;
  e.appid = kAppId;
  e.openid = "oBench" + std::to_string(1'000'000'000 + n) + "xQ3bT7rW2kLm";
  e.kind = domain::EventKind::kScan;
  e.scene = std::to_string(scene);
  e.ticket = "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJ";
  e.create_time = kNow;
  e.name = "SCAN";
  e.dedup_key = domain::make_dedup_key(std::nullopt, e.openid, e.create_time, e.name, e.scene);
  return e;
}

// Bytes this process has handed to write(2)/pwrite(2) so far (the WAL, and the checkpoints).
std::int64_t bytes_written() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::int64_t value = 0;
  while (io >> key >> value) {
    if (key == "wchar:") return value;
  }
  return 0;
}

void BM_IngestDecision(benchmark::State& state) {
  domain::IngestContext context;
  domain::ChannelRef channel;
  channel.id = 7;
  channel.name = "地铁海报";
  channel.scene = "1000";
  channel.on_scan.kind = domain::ReplyChoice::Kind::kText;
  channel.on_scan.text = "欢迎回来，{channel}（场景 {scene}）";
  context.channel = channel;
  context.has_open_subscription = true;
  context.open_subscription_channel = 3;
  context.followed_before = true;
  const domain::Event e = scan(1, 1000);
  const domain::ReplyDefaults defaults;
  for (auto _ : state) benchmark::DoNotOptimize(domain::plan_ingest(e, context, defaults));
}
BENCHMARK(BM_IngestDecision);

void BM_StoreScanBurst(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() / ("qrscene_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const FakeClock clock(kNow);
  {
    store::sqlite::SqliteStoreOptions o;
    o.path = (dir / "bench.db").string();
    o.durable = state.range(0) != 0;
    auto store = store::sqlite::SqliteStore::open(o, clock);
    if (!store) {
      state.SkipWithError(store.error().message.c_str());
      return;
    }
    constexpr int kChannels = 1000;
    for (int i = 1; i <= kChannels; ++i) {
      domain::Channel c;
      c.appid = kAppId;
      c.name = "bench-" + std::to_string(i);
      c.scene = std::to_string(i);
      c.on_scan.kind = domain::ReplyChoice::Kind::kText;
      c.on_scan.text = "welcome, scene {scene} ({channel})";
      if (!(*store)->create_channel(c)) {
        state.SkipWithError("create_channel failed");
        return;
      }
    }
    constexpr int kBurst = 64;
    std::int64_t n = 0;
    std::mutex mu;
    std::condition_variable done;
    const std::int64_t written_before = bytes_written();
    for (auto _ : state) {
      int left = kBurst;
      bool failed = false;
      for (int i = 0; i < kBurst; ++i, ++n) {
        (*store)->submit(scan(n, n % kChannels + 1), [&](Result<domain::IngestOutcome> r) {
          std::lock_guard lock(mu);
          failed = failed || !r || !r->channel_id;
          if (--left == 0) done.notify_one();
        });
      }
      std::unique_lock lock(mu);
      done.wait(lock, [&] { return left == 0; });
      if (failed) state.SkipWithError("a push was not stored or not attributed");
    }
    state.SetItemsProcessed(state.iterations() * kBurst);
    state.counters["bytes_written_per_push"] =
        static_cast<double>(bytes_written() - written_before) / static_cast<double>(state.iterations() * kBurst);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StoreScanBurst)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
