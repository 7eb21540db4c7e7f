// The store on both databases — SQLite on real files, PostgreSQL on a real server (one database
// per test; ctest starts the server with tests/support/postgres) — one suite: migrations, group
// commit, one effect per event however often WeChat retries it, attribution by ticket and by scene
// as of the event's time, the subscription ledger, rollups, logins, followers and privacy.
#include "store/sql_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <future>
#include <thread>

#include "base/encoding.h"
#include "store/migrations.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_database.h"
#include "store/sqlite/sqlite_store.h"

namespace qrscene::store {
namespace {

using domain::Event;
using domain::EventKind;

constexpr const char* kAppId = "wxstoretest";
constexpr std::int64_t kT0 = 1'714'010'400;  // 2024-04-25 10:00 Beijing
constexpr std::int64_t kDay0 = 19'838;        // its local day

enum class Backend { kSqlite, kPostgres };

// QRSCENE_TEST_POSTGRES: a connection string to a server where the test may create databases, or
// the file ctest's postgres_start fixture had tests/support/postgres write it to.
std::string postgres_admin_url() {
  if (const char* url = std::getenv("QRSCENE_TEST_POSTGRES"); url != nullptr) return url;
  std::ifstream in(QRSCENE_TEST_POSTGRES_FILE);
  std::string url;
  std::getline(in, url);
  return url;
}

class SqlStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  SqlStoreTest() {
    const std::string id = std::to_string(::getpid()) + "_" + std::to_string(counter_++);
    dir_ = std::filesystem::temp_directory_path() / ("qrscene_store_" + id);
    std::filesystem::create_directories(dir_);
    id_ = id;
  }
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      ASSERT_FALSE(postgres_admin_url().empty())
          << "no PostgreSQL to test on: run through ctest (which starts one with tests/support/postgres), or "
             "start one with tests/support/postgres and set QRSCENE_TEST_POSTGRES to what it prints";
      create_database("qrscene_test_" + id_);
    }
    reopen();
  }
  void create_database(const std::string& name) {
    auto admin = postgres::PgDatabase::open(postgres_admin_url());
    ASSERT_TRUE(admin) << admin.error().to_string();
    ASSERT_TRUE((*admin)->exec("CREATE DATABASE " + name));
    database_ = name;
  }
  ~SqlStoreTest() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
    if (!database_.empty()) {
      if (auto admin = postgres::PgDatabase::open(postgres_admin_url()); admin) {
        (void)(*admin)->exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
      }
    }
  }

  std::string postgres_url() const { return postgres_admin_url() + " dbname=" + database_; }

  // A connection of the test's own to the store's database.
  std::unique_ptr<Database> raw() {
    if (GetParam() == Backend::kPostgres) {
      auto db = postgres::PgDatabase::open(postgres_url());
      EXPECT_TRUE(db) << db.error().to_string();
      return db ? std::move(*db) : nullptr;
    }
    sqlite::DatabaseOptions with_log;  // the log's file attached, as the store has it
    with_log.log_path = sqlite::log_path_for((dir_ / "qrscene.db").string());
    auto db = sqlite::SqliteDatabase::open((dir_ / "qrscene.db").string(), with_log);
    EXPECT_TRUE(db) << db.error().to_string();
    return db ? std::move(*db) : nullptr;
  }
  const std::vector<Migration>& backend_migrations() const {
    return GetParam() == Backend::kPostgres ? postgres::postgres_migrations() : migrations();
  }

  void reopen(std::size_t max_batch = 512, bool forward = false, bool unlink = false) {
    store_.reset();
    StoreOptions o;
    o.forward_events = forward;
    o.unlink_on_unfollow = unlink;
    o.profile_followers = profile_;
    o.max_batch = max_batch;
    o.faults = faults_;
    o.projector_faults = projector_faults_;
    o.project_retry = std::chrono::milliseconds(5);
    // Each batch as soon as its events are logged, so that the steps of a round are the same each
    // time (the fault loops count them); the gather has a test of its own.
    o.project_gather = project_gather_;
    o.project_gather_quiet = project_gather_;
    o.replies.organic_subscribe.kind = domain::ReplyChoice::Kind::kText;
    o.replies.organic_subscribe.text = "感谢关注";
    if (GetParam() == Backend::kPostgres) {
      postgres::PostgresStoreOptions po;
      static_cast<StoreOptions&>(po) = o;
      po.url = postgres_url();
      auto s = postgres::PostgresStore::open(po, clock_);
      ASSERT_TRUE(s) << s.error().to_string();
      store_ = std::move(*s);
    } else {
      sqlite::SqliteStoreOptions so;
      static_cast<StoreOptions&>(so) = o;
      so.path = (dir_ / "qrscene.db").string();
      auto s = sqlite::SqliteStore::open(so, clock_);
      ASSERT_TRUE(s) << s.error().to_string();
      store_ = std::move(*s);
    }
  }

  bool profile_ = false;  // profile jobs (unionid, tags) per new follower
  std::chrono::milliseconds project_gather_{0};
  std::shared_ptr<FaultPlan> faults_;
  std::shared_ptr<FaultPlan> projector_faults_;
  static constexpr std::chrono::milliseconds kWait{10'000};  // for the projector to reach the log's head

  // Every row the ingest path writes, counted through a connection of the test's own.
  std::string everything() {
    auto db = raw();
    if (!db) return "no connection";
    std::string out;
    for (const char* sql :
         {"SELECT count(*) FROM event_log", "SELECT count(*) FROM events", "SELECT count(*) FROM subscriptions",
          "SELECT count(*) FROM subscriptions WHERE ended_at IS NOT NULL", "SELECT count(*) FROM followers",
          "SELECT count(*) FROM jobs",
          "SELECT COALESCE(SUM(scans + new_follows + first_follows + re_follows + existing_scans + unfollows), 0) "
          "FROM channel_daily",
          "SELECT COALESCE(SUM(scans + new_follows + first_follows + re_follows + existing_scans + unfollows + "
          "organic_follows + organic_unfollows + left_5m + left_24h + left_7d + left_30d), 0) FROM account_daily",
          "SELECT COALESCE(SUM(scans + new_follows + first_follows + re_follows + existing_scans + unfollows + "
          "left_5m + left_24h + left_7d + left_30d), 0) FROM segment_daily"}) {
      auto q = db->prepare(sql);
      if (!q) return q.error().to_string();
      auto row = q->step();
      if (!row || !*row) return std::string("no row for ") + sql;
      out += std::to_string(q->int64(0)) + " ";
    }
    return out;
  }

  domain::Channel channel(std::string name, std::string scene, std::string ticket, std::int64_t tag = 0) {
    domain::Channel c;
    c.appid = kAppId;
    c.name = std::move(name);
    c.scene = std::move(scene);
    c.ticket = std::move(ticket);
    c.on_subscribe.kind = domain::ReplyChoice::Kind::kText;
    c.on_subscribe.text = "欢迎来自{channel}的朋友";
    c.wechat_tag_id = tag;
    auto made = store_->create_channel(c);
    EXPECT_TRUE(made) << made.error().to_string();
    return *made;
  }

  static Event event(EventKind kind, std::string openid, std::int64_t t, std::string scene = "", std::string ticket = "") {
    Event e;
    e.appid = kAppId;
    e.openid = std::move(openid);
    e.kind = kind;
    e.scene = std::move(scene);
    e.ticket = std::move(ticket);
    e.create_time = t;
    e.name = std::string(domain::to_string(kind));
    e.dedup_key = domain::make_dedup_key(std::nullopt, e.openid, t, e.name, e.scene);
    return e;
  }

  Result<domain::IngestOutcome> ingest(Event e) {
    std::promise<Result<domain::IngestOutcome>> p;
    auto f = p.get_future();
    store_->submit(std::move(e), [&p](Result<domain::IngestOutcome> r) { p.set_value(std::move(r)); });
    return f.get();
  }

  domain::Counters day0(std::int64_t channel) { return *store_->channel_counters(channel, kDay0, kDay0 + 30); }

  static inline std::atomic<int> counter_{0};
  std::filesystem::path dir_;
  std::string id_;
  std::string database_;  // PostgreSQL: the test's own database
  FakeClock clock_{kT0};
  std::unique_ptr<SqlStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Databases, SqlStoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& p) {
                           return p.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

TEST_P(SqlStoreTest, MigratesOnceAndRefusesANewerDatabase) {
  store_.reset();
  auto db = raw();
  ASSERT_TRUE(db);
  EXPECT_EQ(*schema_version(*db), backend_migrations().back().version);
  EXPECT_EQ(*migrate(*db, backend_migrations()), backend_migrations().back().version);  // nothing to do
  EXPECT_TRUE(check_migrated(*db, backend_migrations()));
  const int newest = backend_migrations().back().version;
  ASSERT_TRUE(db->exec(fmt::format("DELETE FROM schema_migrations WHERE version = {}", newest)));
  auto behind = check_migrated(*db, backend_migrations());
  ASSERT_FALSE(behind);
  EXPECT_NE(behind.error().message.find("qrscene migrate"), std::string::npos) << behind.error().message;
  ASSERT_TRUE(db->exec(fmt::format("INSERT INTO schema_migrations (version, name, applied_at) VALUES ({}, 'again', 0), "
                                   "(999, 'future', 0)", newest)));
  auto newer = migrate(*db, backend_migrations());
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(newer.error().message.find("upgrade qrscene"), std::string::npos);
}

// Migration 5 put the CreateTime in front of every dedup key: a retry of a push stored before it
// is still recognised.
TEST_P(SqlStoreTest, APushStoredBeforeTheTimeOrderedDedupKeysIsStillADuplicate) {
  const auto c = channel("Poster", "poster", "TP");
  const auto e = event(EventKind::kSubscribe, "o1", kT0, "poster", "TP");
  auto first = ingest(e);
  ASSERT_TRUE(first);
  store_.reset();
  {  // back to how version 4 stored it
    auto db = raw();
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("UPDATE events SET dedup_key = substr(dedup_key, 11)"));
    ASSERT_TRUE(db->exec("DELETE FROM schema_migrations WHERE version = 5"));
  }
  reopen();
  auto again = ingest(e);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event_id, first->event_id);
  EXPECT_EQ(*store_->event_count(kAppId), 1);
  EXPECT_EQ(day0(c.id).new_follows, 1);
}

// What GET /api/v1/accounts shows as last_push_at after a restart: the newest logged push of each
// account asked for, among the log's newest rows only.
TEST_P(SqlStoreTest, TheNewestLoggedPushOfEachAccountIsFoundAmongTheNewestRows) {
  EXPECT_TRUE(store_->newest_pushes({kAppId, "wxother"})->empty());
  clock_.set_unix_seconds(kT0 + 10);
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o1", kT0)));
  Event other = event(EventKind::kSubscribe, "o2", kT0);
  other.appid = "wxother";
  clock_.set_unix_seconds(kT0 + 20);
  ASSERT_TRUE(ingest(other));
  clock_.set_unix_seconds(kT0 + 30);
  ASSERT_TRUE(ingest(event(EventKind::kScan, "o1", kT0 + 5)));
  reopen();
  auto newest = store_->newest_pushes({kAppId, "wxother", "wxnone"});
  ASSERT_TRUE(newest) << newest.error().to_string();
  EXPECT_EQ(*newest, (std::map<std::string, std::int64_t>{{kAppId, kT0 + 30}, {"wxother", kT0 + 20}}));
  // Within the newest two rows: the other account's push is the second; within one, it is not seen.
  EXPECT_EQ(store_->newest_pushes({"wxother"}, 2)->at("wxother"), kT0 + 20);
  EXPECT_TRUE(store_->newest_pushes({"wxother"}, 1)->empty());
}

TEST_P(SqlStoreTest, AQrFollowIsCreditedRepliedAndTagged) {
  const auto store1 = channel("Store 1", "store-01", "TICKET1", 134);
  auto r = ingest(event(EventKind::kSubscribe, "o1", kT0, "store-01", "TICKET1"));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ(r->channel_id, store1.id);
  EXPECT_EQ(r->reply.text, "欢迎来自Store 1的朋友");
  EXPECT_EQ(day0(store1.id), (domain::Counters{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(*store_->open_subscriptions(kAppId, store1.id), 1);
  EXPECT_EQ(*store_->follower_count(kAppId), 1);
}

// An instance whose store refused writes answered /healthz 200 while every push got 503.
TEST_P(SqlStoreTest, WriteHealthFollowsTheWritesAndRecoversWithoutAPush) {
  faults_ = std::make_shared<FaultPlan>();
  reopen(512, /*forward=*/false);
  EXPECT_TRUE(store_->write_health().ok);
  faults_->fail_at(1, 1'000'000);  // every step from now on, as a full disk
  auto failed = ingest(event(EventKind::kSubscribe, "o-health", kT0, "", ""));
  ASSERT_FALSE(failed);
  const auto down = store_->write_health();
  EXPECT_FALSE(down.ok);
  EXPECT_EQ(down.reason, "writes fail");  // fixed words, never the database's message
  faults_->fail_at(0);  // the disk has room again; no push comes (the balancer took the instance out)
  for (int i = 0; i < 100 && !store_->write_health().ok; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(store_->write_health().ok) << "the writer's own probe did not find that writes work again";
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o-health", kT0, "", "")));
  EXPECT_EQ(*store_->event_count(kAppId), 1);
  auto db = raw();  // the probes left nothing behind
  ASSERT_TRUE(db);
  auto probes = db->prepare("SELECT count(*) FROM schema_migrations WHERE version < 1");
  ASSERT_TRUE(probes);
  ASSERT_TRUE(probes->step());
  EXPECT_EQ(probes->int64(0), 0);
}

// DESIGN.md §6: the Nth step of the ingest path fails, for N = 1, 2, … until an event goes through
// without reaching it. A failed event leaves no row behind — no event, no half of the rollups, no
// job — and the same push sent again (as WeChat does) is stored once, with the store still running.
TEST_P(SqlStoreTest, AFaultAtAnyStepOfAnEventLeavesNothingAndTheRetryStoresItOnce) {
  profile_ = true;
  faults_ = std::make_shared<FaultPlan>();
  reopen(512, /*forward=*/true);
  const auto c = channel("Store 1", "store-01", "TICKET1", 134);
  int failures = 0;
  // One step fails; or two in a row, so that undoing the failed event fails too.
  for (const std::int64_t run : {1, 2})
  for (const EventKind kind : {EventKind::kSubscribe, EventKind::kScan, EventKind::kUnsubscribe}) {
    for (std::int64_t n = 1;; ++n) {
      ASSERT_LT(n, 500) << "the ingest path never ran out of steps";
      // A follower of its own per attempt, followed already for the scan and the unfollow.
      const std::string openid = fmt::format("o-{}-{}-{}", run, static_cast<int>(kind), n);
      const std::int64_t t = kT0 + run * 1000 + n;
      if (kind != EventKind::kSubscribe) {
        ASSERT_TRUE(ingest(event(EventKind::kSubscribe, openid, t - 1, "store-01", "TICKET1")));
      }
      const auto e = event(kind, openid, t, kind == EventKind::kUnsubscribe ? "" : "store-01",
                           kind == EventKind::kUnsubscribe ? "" : "TICKET1");
      ASSERT_TRUE(store_->catch_up(kWait));  // what the projector does is not this loop's business
      const std::string before = everything();
      faults_->fail_at(n, run);
      auto r = ingest(e);
      const bool fired = faults_->fired();
      faults_->fail_at(0);
      ASSERT_TRUE(store_->catch_up(kWait));
      if (!fired) {  // the event went through before step n: every step has failed once
        ASSERT_TRUE(r) << r.error().to_string();
        break;
      }
      if (r) {
        ASSERT_NE(everything(), before) << "step " << n << ": answered but nothing stored";
        auto again = ingest(e);
        ASSERT_TRUE(again && again->duplicate) << "step " << n;
        continue;
      }
      ++failures;
      EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().to_string();
      ASSERT_EQ(everything(), before) << "step " << n << " failed (" << r.error().message << ") and left rows behind";
      auto again = ingest(e);  // WeChat's retry, the store untouched since
      ASSERT_TRUE(again) << "step " << n << ": " << again.error().to_string();
      EXPECT_FALSE(again->duplicate);
      EXPECT_EQ(ingest(e)->event_id, again->event_id);
    }
  }
  EXPECT_GT(failures, 12);
  // Every follow, scan and unfollow counted once (each loop's last attempt and every retry).
  const auto counters = *store_->channel_counters(c.id, 0, 1 << 30);
  EXPECT_EQ(counters.new_follows, *store_->event_count(kAppId) - counters.existing_scans - counters.unfollows);
  auto db = raw();
  auto q = db->prepare("SELECT count(*) FROM events WHERE kind = 'subscribe' AND channel_id IS NOT NULL");
  ASSERT_TRUE(q && *q->step());
  EXPECT_EQ(counters.new_follows, q->int64(0));
}

// The projector's Nth step fails, for N = 1, 2, … past the steps one batch takes: the batch is
// undone as a whole, its cursor with it, and applied again — every logged event counts exactly
// once, and the rollups equal a recount from the events.
TEST_P(SqlStoreTest, AFaultAtAnyStepOfTheProjectorIsAppliedAgainExactlyOnce) {
  profile_ = true;
  projector_faults_ = std::make_shared<FaultPlan>();
  reopen(512, /*forward=*/true);
  const auto c = channel("Store 1", "store-01", "TICKET1", 134);
  domain::Counters expected;
  auto round = [&](std::int64_t n) {
    const std::string openid = fmt::format("p-{}", n);
    const std::int64_t t = kT0 + n * 10;
    EXPECT_TRUE(ingest(event(EventKind::kSubscribe, openid, t, "store-01", "TICKET1")));
    EXPECT_TRUE(ingest(event(EventKind::kScan, openid, t + 1, "store-01", "TICKET1")));
    EXPECT_TRUE(ingest(event(EventKind::kUnsubscribe, openid, t + 2)));
    expected += domain::Counters{2, 1, 1, 0, 1, 1};
  };
  ASSERT_TRUE(store_->catch_up(kWait));
  const std::int64_t clean_start = projector_faults_->steps();
  round(0);
  ASSERT_TRUE(store_->catch_up(kWait));
  const std::int64_t batch_steps = projector_faults_->steps() - clean_start;
  ASSERT_GT(batch_steps, 10);
  std::int64_t failed = 0;
  for (std::int64_t n = 1; n <= batch_steps + 5; ++n) {
    const std::int64_t failures_before = store_->projection().failures;
    projector_faults_->fail_at(n);
    round(n);
    ASSERT_TRUE(store_->catch_up(kWait)) << "step " << n << ": the projector did not recover";
    projector_faults_->fail_at(0);
    failed += store_->projection().failures - failures_before;
    ASSERT_EQ(*store_->channel_counters(c.id, 0, 1 << 30), expected) << "step " << n;
    ASSERT_EQ(*store_->event_count(kAppId), 3 * (n + 1)) << "step " << n;
    ASSERT_EQ(*store_->open_subscriptions(kAppId, c.id), 0) << "step " << n;
  }
  EXPECT_GT(failed, batch_steps / 2);
  auto db = raw();
  auto q = db->prepare("SELECT count(*) FROM events WHERE kind = 'subscribe' AND channel_id IS NOT NULL");
  ASSERT_TRUE(q && *q->step());
  EXPECT_EQ(expected.new_follows, q->int64(0));
  auto jobs = db->prepare("SELECT count(*) FROM jobs WHERE kind = 'webhook'");
  ASSERT_TRUE(jobs && *jobs->step());
  EXPECT_EQ(jobs->int64(0), expected.scans + expected.unfollows);  // one forward per attributed event
  auto openids = db->prepare("SELECT count(*) FROM event_log WHERE openid <> ''");
  ASSERT_TRUE(openids && *openids->step());
  EXPECT_EQ(openids->int64(0), 0);  // applied: the log keeps no openid
}

// However long the projector's database keeps failing, from whichever of its steps, the writers are
// never held back: the projector keeps no lock across a failure. (On PostgreSQL a COMMIT that failed
// after the exclusive settle lock used to leave the transaction open, and every append waited.)
TEST_P(SqlStoreTest, AProjectorThatKeepsFailingNeverHoldsTheWritersBack) {
  projector_faults_ = std::make_shared<FaultPlan>();
  reopen();
  const auto c = channel("A", "a", "TA");
  ASSERT_TRUE(store_->catch_up(kWait));
  constexpr std::int64_t kSteps = 12;  // past the steps of one idle look at the log
  for (std::int64_t n = 1; n <= kSteps; ++n) {
    const std::int64_t failures = store_->projection().failures;
    projector_faults_->fail_at(n, 1'000'000'000);
    ASSERT_TRUE(ingest(event(EventKind::kSubscribe, fmt::format("a-{}", n), kT0 + n, "a", "TA")));
    for (int i = 0; i < 500 && store_->projection().failures == failures; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GT(store_->projection().failures, failures) << "step " << n << ": the projector never failed";
    std::promise<Result<domain::IngestOutcome>> p;
    auto later = p.get_future();
    store_->submit(event(EventKind::kSubscribe, fmt::format("b-{}", n), kT0 + n, "a", "TA"),
                   [&p](Result<domain::IngestOutcome> r) { p.set_value(std::move(r)); });
    const bool durable = later.wait_for(kWait) == std::future_status::ready;
    projector_faults_->fail_at(0);
    later.wait();
    ASSERT_TRUE(durable) << "step " << n << ": a push waited on the failing projector";
    EXPECT_TRUE(later.get());
    ASSERT_TRUE(store_->catch_up(kWait)) << "step " << n;
  }
  EXPECT_EQ(day0(c.id).new_follows, 2 * kSteps);
}

TEST_P(SqlStoreTest, ARetriedPushHasOneEffectAndGetsTheSameReply) {
  const auto c = channel("Poster", "poster", "TP");
  const auto e = event(EventKind::kSubscribe, "o1", kT0, "poster", "TP");
  auto first = ingest(e);
  ASSERT_TRUE(first);
  for (int i = 0; i < 3; ++i) {
    auto again = ingest(e);
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->event_id, first->event_id);
    EXPECT_EQ(again->reply, first->reply);
  }
  EXPECT_EQ(*store_->event_count(kAppId), 1);
  EXPECT_EQ(day0(c.id).new_follows, 1);
  EXPECT_EQ(*store_->open_subscriptions(kAppId, c.id), 1);
}

// SQLite finds a retry among the pushes its writer appended lately (no unique index on the log's
// key): across a restart too, and a copy from beyond that memory is logged again but applied once.
TEST_P(SqlStoreTest, ARetryAfterARestartIsTheFirstCopyAndAPushLoggedAgainIsAppliedOnce) {
  const auto c = channel("Poster", "poster", "TP");
  const auto e = event(EventKind::kSubscribe, "o1", kT0, "poster", "TP");
  const auto other = event(EventKind::kSubscribe, "o2", kT0, "poster", "TP");
  auto first = ingest(e);
  ASSERT_TRUE(first) << first.error().to_string();
  reopen();
  EXPECT_EQ(store_->recent_pushes(), GetParam() == Backend::kSqlite ? 1 : 0);  // the log's tail, read at start
  auto again = ingest(e);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->event_id, first->event_id);
  EXPECT_EQ(again->reply, first->reply);

  // Two hours on, another push makes the writer forget the first (its memory is 2 minutes), so a
  // copy of it now is logged again on SQLite — a second copy beside it is still found — and the
  // projector applies it no second time (its key is in `events` already).
  clock_.advance(std::chrono::hours(2));
  ASSERT_TRUE(ingest(other));
  const auto third = event(EventKind::kSubscribe, "o3", kT0, "poster", "TP");
  std::vector<std::future<Result<domain::IngestOutcome>>> together;
  for (const Event& copy : {e, third, e}) {
    auto p = std::make_shared<std::promise<Result<domain::IngestOutcome>>>();
    together.push_back(p->get_future());
    store_->submit(copy, [p](Result<domain::IngestOutcome> r) { p->set_value(std::move(r)); });
  }
  std::vector<domain::IngestOutcome> outcomes;
  for (auto& f : together) {
    auto r = f.get();
    ASSERT_TRUE(r) << r.error().to_string();
    outcomes.push_back(*r);
  }
  const bool sqlite = GetParam() == Backend::kSqlite;
  EXPECT_EQ(outcomes[0].duplicate, !sqlite);  // PostgreSQL's unique key still finds it
  EXPECT_EQ(outcomes[0].reply, first->reply);
  EXPECT_TRUE(outcomes[2].duplicate);
  EXPECT_EQ(outcomes[2].event_id, outcomes[0].event_id);
  EXPECT_EQ(*store_->event_count(kAppId), 3);
  EXPECT_EQ(day0(c.id).new_follows, 3);
  EXPECT_EQ(*store_->open_subscriptions(kAppId, c.id), 3);
  auto db = raw();
  ASSERT_TRUE(db);
  auto logged = db->prepare("SELECT count(*) FROM event_log");
  ASSERT_TRUE(logged);
  ASSERT_TRUE(*logged->step());
  EXPECT_EQ(logged->int64(0), sqlite ? 4 : 3);  // e (twice on SQLite), other, third
  auto q = db->prepare("SELECT count(*) FROM events WHERE appid = ? AND dedup_key = (SELECT dedup_key FROM events "
                       "WHERE id = ?)");
  ASSERT_TRUE(q);
  q->bind(1, kAppId).bind(2, first->event_id);
  ASSERT_TRUE(*q->step());
  EXPECT_EQ(q->int64(0), 1);
}

// SQLite finds retries in its one writer's memory: a second process (here a second store) on the
// same file is refused, and the file is free again once the first is closed. PostgreSQL welcomes
// a second instance.
TEST_P(SqlStoreTest, ASecondStoreOnTheSameSqliteFileIsRefused) {
  if (GetParam() == Backend::kPostgres) {
    postgres::PostgresStoreOptions po;
    po.url = postgres_url();
    auto second = postgres::PostgresStore::open(po, clock_);
    EXPECT_TRUE(second) << second.error().to_string();
    return;
  }
  sqlite::SqliteStoreOptions so;
  so.path = (dir_ / "qrscene.db").string();
  auto second = sqlite::SqliteStore::open(so, clock_);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("in use by another qrscene"), std::string::npos) << second.error().message;
  store_.reset();
  auto again = sqlite::SqliteStore::open(so, clock_);
  EXPECT_TRUE(again) << again.error().to_string();
}

TEST_P(SqlStoreTest, TheLedgerCreditsUnfollowsAndReFollowsToTheRightChannels) {
  const auto a = channel("A", "a", "TA");
  const auto b = channel("B", "b", "TB");
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o1", kT0, "a", "TA")));
  ASSERT_TRUE(ingest(event(EventKind::kScan, "o1", kT0 + 10, "b", "TB")));   // scans B while following
  ASSERT_TRUE(ingest(event(EventKind::kUnsubscribe, "o1", kT0 + 20)));        // the loss is A's
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o1", kT0 + 30, "b", "TB")));  // back, through B
  EXPECT_EQ(day0(a.id), (domain::Counters{1, 1, 1, 0, 0, 1}));
  EXPECT_EQ(day0(b.id), (domain::Counters{2, 1, 0, 1, 1, 0}));
  EXPECT_EQ(*store_->open_subscriptions(kAppId, a.id), 0);
  EXPECT_EQ(*store_->open_subscriptions(kAppId, b.id), 1);
}

TEST_P(SqlStoreTest, WithoutATicketTheSceneCountsAsOfTheEventsTime) {
  const auto old = channel("Old poster", "spring", "");
  clock_.advance(std::chrono::hours(24));
  // A live channel holds its scene: retire it before the scene can mean another channel.
  domain::Channel again;
  again.appid = kAppId;
  again.name = "Too early";
  again.scene = "spring";
  auto refused = store_->create_channel(again);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAlreadyExists);
  EXPECT_NE(refused.error().message.find("retire"), std::string::npos);
  ASSERT_TRUE(store_->set_status(old.id, domain::ChannelStatus::kRetired));
  const auto replacement = channel("New poster", "spring", "");  // the scene is reused
  EXPECT_EQ(*store_->scene_meant(kAppId, "spring", kT0 + 3600), old.id);
  EXPECT_EQ(*store_->scene_meant(kAppId, "spring", kT0 + 90000), replacement.id);
  EXPECT_EQ(store_->channel(old.id)->status, domain::ChannelStatus::kRetired);
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o1", kT0 + 3600, "spring")));  // before the switch
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o2", kT0 + 90000, "spring")));  // after it
  EXPECT_EQ(day0(old.id).new_follows, 1);
  EXPECT_EQ(day0(replacement.id).new_follows, 1);
  // An unknown scene or ticket is organic: stored, not credited.
  auto r = ingest(event(EventKind::kSubscribe, "o3", kT0, "nobody-knows", "TX"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->channel_id);
  EXPECT_EQ(r->reply.text, "感谢关注");
}

TEST_P(SqlStoreTest, AnUnfollowRemovesPersonalDataButKeepsTheCounts) {
  const auto c = channel("A", "a", "TA", 134);  // with a tag: a job that names the follower
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o-secret", kT0, "a", "TA")));
  ASSERT_TRUE(ingest(event(EventKind::kUnsubscribe, "o-secret", kT0 + 5)));
  EXPECT_EQ(*store_->follower_count(kAppId), 0);
  store_.reset();
  // Nowhere in the database file (nor its WAL) is the openid left.
  for (const auto& f : std::filesystem::directory_iterator(dir_)) {
    std::ifstream in(f.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("o-secret"), std::string::npos) << f.path();
  }
  reopen();
  EXPECT_EQ(day0(c.id).unfollows, 1);
  EXPECT_EQ(day0(c.id).new_follows, 1);
}

TEST_P(SqlStoreTest, ManyConcurrentEventsAreCommittedInGroupsAndAllCounted) {
  const auto c = channel("A", "a", "TA");
  constexpr int kEvents = 2000;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<void>> waits;
      for (int i = t; i < kEvents; i += 8) {
        auto p = std::make_shared<std::promise<void>>();
        waits.push_back(p->get_future());
        store_->submit(event(EventKind::kSubscribe, "o" + std::to_string(i), kT0 + i, "a", "TA"),
                       [p, &ok](Result<domain::IngestOutcome> r) {
                         if (r && !r->duplicate) ++ok;
                         p->set_value();
                       });
      }
      for (auto& w : waits) w.get();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, kEvents);
  const auto t0 = std::chrono::steady_clock::now();
  const Status caught = store_->catch_up(kWait);
  const auto stats = store_->projection();
  ASSERT_TRUE(caught) << caught.error().to_string() << " position " << stats.position << " head " << stats.head
                      << " batches " << stats.batches << " failures " << stats.failures << " " << stats.last_error;
  std::printf("projected %d events in %lld ms, %lld batches\n", kEvents,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - t0).count()), static_cast<long long>(stats.batches));
  EXPECT_EQ(*store_->event_count(kAppId), kEvents);
  EXPECT_EQ(day0(c.id).new_follows, kEvents);
  EXPECT_LT(store_->commits(), kEvents);  // grouped: fewer transactions than events
}

// WeChat's copies of a push (its retries, or the same push reaching two writers) arriving together:
// whether they meet in one group commit or in several, one is stored and every copy is answered
// with its id, channel and reply.
TEST_P(SqlStoreTest, CopiesOfPushesSubmittedTogetherAreStoredOnceEach) {
  const auto c = channel("A", "a", "TA");
  constexpr int kPushes = 50, kCopies = 4;
  std::mutex mu;
  std::map<std::string, std::vector<domain::IngestOutcome>> answers;
  std::vector<std::future<void>> waits;
  for (int copy = 0; copy < kCopies; ++copy) {
    for (int i = 0; i < kPushes; ++i) {
      const std::string openid = "o" + std::to_string(i);
      auto p = std::make_shared<std::promise<void>>();
      waits.push_back(p->get_future());
      store_->submit(event(i % 2 == 0 ? EventKind::kSubscribe : EventKind::kScan, openid, kT0 + i, "a", "TA"),
                     [p, openid, &mu, &answers](Result<domain::IngestOutcome> r) {
                       EXPECT_TRUE(r) << r.error().to_string();
                       if (r) {
                         std::lock_guard lock(mu);
                         answers[openid].push_back(*r);
                       }
                       p->set_value();
                     });
    }
  }
  for (auto& w : waits) w.get();
  ASSERT_EQ(answers.size(), static_cast<std::size_t>(kPushes));
  for (const auto& [openid, copies] : answers) {
    ASSERT_EQ(copies.size(), static_cast<std::size_t>(kCopies)) << openid;
    int stored = 0;
    for (const auto& o : copies) {
      stored += o.duplicate ? 0 : 1;
      EXPECT_EQ(o.event_id, copies[0].event_id) << openid;
      EXPECT_EQ(o.channel_id, std::optional<std::int64_t>(c.id)) << openid;
      EXPECT_EQ(o.reply.text, copies[0].reply.text) << openid;
    }
    EXPECT_EQ(stored, 1) << openid;
  }
  ASSERT_TRUE(store_->catch_up(kWait));
  EXPECT_EQ(*store_->event_count(kAppId), kPushes);
  EXPECT_EQ(day0(c.id).new_follows, kPushes / 2);
  EXPECT_EQ(day0(c.id).scans, kPushes);
}

// A projector batch holding several events of one follower decides each against the ledger the
// earlier ones left in memory: their rows, jobs and counters are those of one event at a time.
TEST_P(SqlStoreTest, OneProjectorBatchAppliesAFollowersEventsInOrder) {
  profile_ = true;
  projector_faults_ = std::make_shared<FaultPlan>();
  reopen(512, /*forward=*/false, /*unlink=*/true);
  const auto a = channel("A", "a", "TA", 134);
  ASSERT_TRUE(store_->catch_up(kWait));
  projector_faults_->fail_at(1, 1'000'000'000);  // held back: everything below meets in one batch
  for (const auto& e : {event(EventKind::kSubscribe, "o1", kT0, "a", "TA"),
                        event(EventKind::kScan, "o1", kT0 + 5, "a", "TA"),
                        event(EventKind::kUnsubscribe, "o1", kT0 + 10),
                        event(EventKind::kSubscribe, "o1", kT0 + 20, "a", "TA"),  // "delete": a first follow
                        event(EventKind::kSubscribe, "o2", kT0 + 30, "a", "TA"),
                        event(EventKind::kUnsubscribe, "o2", kT0 + 40)}) {
    ASSERT_TRUE(ingest(e));
  }
  const std::int64_t batches = store_->projection().batches;
  projector_faults_->fail_at(0);
  ASSERT_TRUE(store_->catch_up(kWait));
  EXPECT_EQ(store_->projection().batches, batches + 1);

  const auto counters = day0(a.id);
  EXPECT_EQ(counters.first_follows, 3);
  EXPECT_EQ(counters.re_follows, 0);
  EXPECT_EQ(counters.existing_scans, 1);
  EXPECT_EQ(counters.unfollows, 2);
  auto db = raw();
  ASSERT_TRUE(db);
  auto count = [&](const char* sql) {
    auto q = db->prepare(sql);
    EXPECT_TRUE(q && *q->step()) << sql;
    return q ? q->int64(0) : -1;
  };
  // o1's first three events and both of o2's lost their link; o1's follow since keeps it.
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE openid_hash = 'gone:' || id"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM subscriptions WHERE ended_at IS NULL"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM followers"), 1);
  // Only o1's second follow leaves jobs: the first one's, and o2's, went with the unfollows.
  auto jobs = store_->claim_jobs(clock_.unix_seconds(), 10, 300);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 2U);
  EXPECT_EQ((*jobs)[0].payload, domain::JobPayload(domain::ProfileJob{"o1"}));
  EXPECT_EQ((*jobs)[1].payload, domain::JobPayload(domain::TagJob{"o1", 134}));
}

// A follow and its unfollow a second later, submitted together: on PostgreSQL two writers may
// give them ids the other way round, and the projector applies a batch in time order anyway.
TEST_P(SqlStoreTest, AFollowAndItsUnfollowSubmittedTogetherAreAppliedInTimeOrder) {
  projector_faults_ = std::make_shared<FaultPlan>();
  reopen();
  const auto a = channel("A", "a", "TA");
  ASSERT_TRUE(store_->catch_up(kWait));
  projector_faults_->fail_at(1, 1'000'000'000);  // held back: the events meet in one batch
  constexpr int kFollowers = 20;
  std::vector<std::future<void>> waits;
  for (int i = 0; i < kFollowers; ++i) {
    for (auto kind : {EventKind::kSubscribe, EventKind::kUnsubscribe}) {
      const bool follow = kind == EventKind::kSubscribe;
      auto p = std::make_shared<std::promise<void>>();
      waits.push_back(p->get_future());
      store_->submit(event(kind, "o" + std::to_string(i), follow ? kT0 : kT0 + 1, follow ? "a" : "", follow ? "TA" : ""),
                     [p](Result<domain::IngestOutcome> r) {
                       EXPECT_TRUE(r) << r.error().to_string();
                       p->set_value();
                     });
    }
  }
  for (auto& w : waits) w.get();
  projector_faults_->fail_at(0);
  ASSERT_TRUE(store_->catch_up(kWait));
  EXPECT_EQ(day0(a.id).new_follows, kFollowers);
  EXPECT_EQ(day0(a.id).unfollows, kFollowers);
  auto db = raw();
  ASSERT_TRUE(db);
  auto open = db->prepare("SELECT COUNT(*) FROM subscriptions WHERE ended_at IS NULL");
  ASSERT_TRUE(open && *open->step());
  EXPECT_EQ(open->int64(0), 0);
}

TEST_P(SqlStoreTest, EventsSubmittedBeforeStoppingAreAllCommitted) {
  const auto c = channel("A", "a", "TA");
  std::atomic<int> done{0};
  for (int i = 0; i < 300; ++i) {
    store_->submit(event(EventKind::kSubscribe, "o" + std::to_string(i), kT0 + i, "a", "TA"),
                   [&done](Result<domain::IngestOutcome> r) {
                     if (r) ++done;
                   });
  }
  reopen();  // the destructor drains the queue
  EXPECT_EQ(done, 300);
  EXPECT_EQ(*store_->event_count(kAppId), 300);
  EXPECT_EQ(day0(c.id).new_follows, 300);
}

TEST_P(SqlStoreTest, TheSamePseudonymAcrossRestartsAndDifferentPerAccount) {
  const auto before = store_->pseudonym(kAppId, "o1");
  reopen();
  EXPECT_EQ(store_->pseudonym(kAppId, "o1"), before);
  EXPECT_NE(store_->pseudonym("wxother", "o1"), before);
  EXPECT_EQ(before.size(), 32u);
}

// The pseudonym is HMAC-SHA256(key, appid "\n" openid) cut to 128 bits, whatever context the store
// keeps per thread: pinned against OpenSSL's one-shot HMAC under the key the database holds, on
// threads that take turns and after another key was used.
TEST_P(SqlStoreTest, ThePseudonymIsAnHmacOfAppIdAndOpenId) {
  auto db = raw();
  ASSERT_TRUE(db);
  auto q = db->prepare("SELECT value FROM settings WHERE key = 'pseudonym_key'");
  ASSERT_TRUE(q);
  ASSERT_TRUE(*q->step());
  const std::string key = *decode_base64(q->text(0));
  q->reset();
  auto expected = [&](std::string_view appid, std::string_view openid) {
    const std::string message = fmt::format("{}\n{}", appid, openid);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
         message.size(), mac.data(), &length);
    return to_hex(std::span<const std::uint8_t>(mac.data(), 16));
  };
  EXPECT_EQ(store_->pseudonym(kAppId, "o1"), expected(kAppId, "o1"));
  EXPECT_EQ(store_->pseudonym(kAppId, "oBnch00xQ3bT7rW2kLm9ZAAAAAB"), expected(kAppId, "oBnch00xQ3bT7rW2kLm9ZAAAAAB"));
  std::string other_thread;
  std::thread([&] { other_thread = store_->pseudonym("wxother", "o1"); }).join();
  EXPECT_EQ(other_thread, expected("wxother", "o1"));
  const std::string before = store_->pseudonym(kAppId, "o1");
  reopen();  // the same key read back; a store elsewhere with its own key meanwhile
  if (GetParam() == Backend::kSqlite) {
    std::filesystem::create_directories(dir_ / "elsewhere");  // removed with the fixture's directory
    sqlite::SqliteStoreOptions so;
    so.path = (dir_ / "elsewhere" / "qrscene.db").string();
    auto other = sqlite::SqliteStore::open(so, clock_);
    ASSERT_TRUE(other) << other.error().to_string();
    EXPECT_NE((*other)->pseudonym(kAppId, "o1"), before);
  }
  EXPECT_EQ(store_->pseudonym(kAppId, "o1"), before);
}

TEST_P(SqlStoreTest, ChannelsReadBackAsWritten) {
  domain::Channel int_scene;
  int_scene.appid = kAppId;
  int_scene.name = "Store A";
  int_scene.scene = "100001";
  int_scene.scene_is_int = true;
  int_scene.ticket = "TA";
  int_scene.wechat_tag_id = 7;
  int_scene.on_subscribe.kind = domain::ReplyChoice::Kind::kText;
  int_scene.on_subscribe.text = "欢迎来自{channel}的朋友";
  ASSERT_TRUE(store_->create_channel(int_scene));
  const auto b = channel("Store B", "b", "TB");
  auto all = store_->channels(kAppId);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].name, "Store A");
  EXPECT_EQ((*all)[0].wechat_tag_id, 7);
  EXPECT_EQ((*all)[0].on_subscribe.text, "欢迎来自{channel}的朋友");
  EXPECT_EQ((*all)[1].ticket, "TB");
  EXPECT_TRUE(store_->channels("wxother")->empty());
  EXPECT_EQ(*store_->highest_int_scene(kAppId, 100001, 200000), 100001);
  ASSERT_TRUE(store_->set_ticket(b.id, "TB2", "http://weixin.qq.com/q/new", kT0 + 99));
  EXPECT_EQ(store_->channel(b.id)->ticket, "TB2");
  EXPECT_EQ(store_->channel(b.id)->expires_at, kT0 + 99);
  EXPECT_EQ(store_->channel(12345).error().code, ErrorCode::kNotFound);
}

// What channels keep beyond their rows (migration 8), on both databases: the quota record, a
// renewal's failure, the expiry the backend was told of, retired permanent scenes to reuse, channel
// notices as jobs, and follows through scenes no channel holds.
TEST_P(SqlStoreTest, QuotaRenewalsNoticesAndUnknownScenesHoldOnBothDatabases) {
  auto permanent = [&](std::string name, std::string scene) {
    domain::Channel c;
    c.appid = kAppId;
    c.name = std::move(name);
    c.kind = domain::ChannelKind::kPermanent;
    c.scene = std::move(scene);
    c.scene_is_int = true;
    c.ticket = "T" + c.scene;
    auto made = store_->create_channel(c);
    EXPECT_TRUE(made) << made.error().to_string();
    return made ? made->id : 0;
  };
  EXPECT_FALSE(*store_->reusable_permanent_scene(kAppId));
  const auto twelve = permanent("twelve", "12"), five = permanent("five", "5");
  permanent("three", "3");
  ASSERT_TRUE(store_->set_status(twelve, domain::ChannelStatus::kRetired));
  clock_.advance(std::chrono::hours(1));
  ASSERT_TRUE(store_->set_status(five, domain::ChannelStatus::kRetired));
  // The scene retired longest ago first, though 5 is lower.
  EXPECT_EQ(*store_->reusable_permanent_scene(kAppId), std::optional<std::string>("12"));
  permanent("twelve again", "12");
  EXPECT_EQ(*store_->reusable_permanent_scene(kAppId), std::optional<std::string>("5"));

  EXPECT_EQ(store_->quota_record(kAppId)->external, 0);
  ASSERT_TRUE(store_->set_external_permanent(kAppId, 30));
  ASSERT_TRUE(store_->set_quota_refused(kAppId, kT0));
  EXPECT_EQ(store_->quota_record(kAppId)->external, 30);
  EXPECT_EQ(store_->quota_record(kAppId)->refused_at, kT0);
  ASSERT_TRUE(store_->set_quota_refused(kAppId, 0));
  EXPECT_EQ(store_->quota_record(kAppId)->refused_at, 0);
  EXPECT_EQ(store_->quota_record(kAppId)->external, 30);

  const auto temp = channel("screen", "100009", "TS");
  ASSERT_TRUE(store_->set_renewal_failure(temp.id, kT0 + 5, "errcode 45009"));
  ASSERT_TRUE(store_->set_expiry_noticed(temp.id, kT0 + 600));
  EXPECT_EQ(store_->channel(temp.id)->renewal_failed_at, kT0 + 5);
  EXPECT_EQ(store_->channel(temp.id)->renewal_error, "errcode 45009");
  EXPECT_EQ(store_->channel(temp.id)->expiry_noticed, kT0 + 600);
  ASSERT_TRUE(store_->set_ticket(temp.id, "TS2", "http://weixin.qq.com/q/s2", kT0 + 999));
  EXPECT_EQ(store_->channel(temp.id)->renewal_failed_at, 0);  // a renewal that worked ends the failure
  EXPECT_EQ(store_->channel(temp.id)->renewal_error, "");

  const domain::ChannelNoticeJob notice{"channel.expiring", kAppId, temp.id, "screen", "100009", "http://x/q",
                                        kT0 + 999, "", kT0};
  ASSERT_TRUE(store_->enqueue_job(kAppId, notice, kT0));
  auto jobs = store_->claim_jobs(kT0, 10, 600);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 1U);
  EXPECT_EQ((*jobs)[0].payload, domain::JobPayload(notice));

  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o-out", kT0, "made-elsewhere", "")));
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o-out2", kT0 + 1, "made-elsewhere", "")));
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o-login", kT0 + 2, "qrl_0123456789abcdef", "")));
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o-search", kT0 + 3, "", "")));
  ASSERT_TRUE(store_->catch_up(kWait));
  auto unknown = store_->unknown_scene_follows(kAppId, kDay0, kDay0);
  ASSERT_TRUE(unknown) << unknown.error().to_string();
  ASSERT_EQ(unknown->size(), 1U);
  EXPECT_EQ((*unknown)[0].day, kDay0);
  EXPECT_EQ((*unknown)[0].scene, "made-elsewhere");
  EXPECT_EQ((*unknown)[0].follows, 2);
  EXPECT_TRUE(store_->unknown_scene_follows(kAppId, kDay0 + 1, kDay0 + 2)->empty());
}

TEST_P(SqlStoreTest, JobsAreClaimedRetriedAndFinished) {
  reopen(512, /*forward=*/true);
  const auto c = channel("A", "a", "TA", 134);
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o1", kT0, "a", "TA")));
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o2", kT0, "nobody")));  // organic: no forward
  const std::int64_t now = clock_.unix_seconds();
  auto jobs = store_->claim_jobs(now, 10, 300);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 2U);  // the tag and the forward of o1's follow
  EXPECT_EQ((*jobs)[0].payload, domain::JobPayload(domain::TagJob{"o1", 134}));
  const auto* forward = std::get_if<domain::WebhookJob>(&(*jobs)[1].payload);
  ASSERT_NE(forward, nullptr);
  EXPECT_EQ(forward->openid, "o1");
  EXPECT_EQ(forward->channel_id, std::optional<std::int64_t>(c.id));
  EXPECT_EQ(forward->kind, EventKind::kSubscribe);
  EXPECT_EQ(forward->scene, "a");
  EXPECT_EQ(forward->create_time, kT0);
  EXPECT_TRUE(store_->claim_jobs(now, 10, 300)->empty());          // running: not claimed twice
  EXPECT_EQ(store_->claim_jobs(now + 301, 10, 300)->size(), 2U);   // unless left running too long
  ASSERT_TRUE(store_->retry_job((*jobs)[0].id, "45009", now + 60));
  ASSERT_TRUE(store_->retry_job((*jobs)[1].id, "gave up", std::nullopt));
  EXPECT_TRUE(store_->claim_jobs(now + 59, 10, 300)->empty());
  auto again = store_->claim_jobs(now + 60, 10, 300);
  ASSERT_EQ(again->size(), 1U);
  EXPECT_EQ((*again)[0].attempts, 1);  // the one failed run
  ASSERT_TRUE(store_->finish_job((*again)[0].id));
  const auto counts = *store_->job_counts(kAppId);
  EXPECT_EQ(counts.done, 1);
  EXPECT_EQ(counts.failed, 1);
  EXPECT_EQ(counts.pending + counts.running, 0);
}

TEST_P(SqlStoreTest, DeleteModeUnlinksAnUnfollowersRows) {
  reopen(512, false, /*unlink=*/true);
  channel("A", "a", "TA");
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o1", kT0, "a", "TA")));
  ASSERT_TRUE(store_->catch_up(kWait));  // applied before the unfollow: its row is found by the index
  ASSERT_TRUE(ingest(event(EventKind::kUnsubscribe, "o1", kT0 + 10)));
  // Followed again: with the link gone this counts as a first follow, by design of "delete".
  auto again = ingest(event(EventKind::kSubscribe, "o1", kT0 + 20, "a", "TA"));
  ASSERT_TRUE(again);
  const auto counters = *store_->channel_counters(*again->channel_id, kDay0, kDay0);
  EXPECT_EQ(counters.first_follows, 2);
  EXPECT_EQ(counters.re_follows, 0);
  auto db = raw();
  ASSERT_TRUE(db);
  auto q = db->prepare("SELECT COUNT(CASE WHEN openid_hash = 'gone:' || id THEN 1 END), "
                       "COUNT(CASE WHEN openid_hash = ? THEN 1 END) FROM events");
  ASSERT_TRUE(q);
  q->bind(1, store_->pseudonym(kAppId, "o1"));
  ASSERT_TRUE(*q->step());
  EXPECT_EQ(q->int64(0), 2);  // the first follow and the unfollow
  EXPECT_EQ(q->int64(1), 1);  // the follow since
}

// Found by the service integration test: a writer statement left on a row kept a stale snapshot
// open after COMMIT, and after a channel change on the other connection the next batch failed with
// "database is locked" at once.
TEST_P(SqlStoreTest, EventsStillCommitAfterTheChannelAdminWrites) {
  const auto a = channel("A", "a", "TA");
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o1", kT0, "a", "TA")));
  ASSERT_TRUE(store_->set_status(a.id, domain::ChannelStatus::kPaused));
  auto r = ingest(event(EventKind::kSubscribe, "o2", kT0 + 1, "a", "TA"));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->channel_id, a.id);
}

// The rollups the analytics read: cohorts lose a follower on the follow's day, the account's day
// counts organic follows too, and filters by group, owner and channel sum only their channels.
TEST_P(SqlStoreTest, RollupsServeTheAnalytics) {
  auto with = [this](std::string name, std::string scene, std::string ticket, std::string group, std::string owner) {
    domain::Channel c;
    c.appid = kAppId;
    c.name = std::move(name);
    c.scene = std::move(scene);
    c.ticket = std::move(ticket);
    c.group = std::move(group);
    c.owner = std::move(owner);
    auto made = store_->create_channel(c);
    EXPECT_TRUE(made) << made.error().to_string();
    return *made;
  };
  const auto a = with("A", "a", "TA", "地推", "小王");
  const auto b = with("B", "b", "TB", "地推", "小李");
  const auto c = with("C", "c", "TC", "线上", "小王");
  constexpr std::int64_t kDaySeconds = 86400;
  for (const auto& e : {event(EventKind::kSubscribe, "o1", kT0, "a", "TA"),
                        event(EventKind::kUnsubscribe, "o1", kT0 + 60),  // within 5 minutes
                        event(EventKind::kSubscribe, "o2", kT0 + 3600, "a", "TA"),
                        event(EventKind::kScan, "o2", kT0 + 7200, "a", "TA"),
                        event(EventKind::kSubscribe, "o3", kT0 + kDaySeconds, "b", "TB"),
                        event(EventKind::kUnsubscribe, "o3", kT0 + 3 * kDaySeconds),  // within 7 days
                        event(EventKind::kSubscribe, "o4", kT0),                       // organic
                        event(EventKind::kUnsubscribe, "o4", kT0 + 10),
                        event(EventKind::kSubscribe, "o5", kT0, "c", "TC")}) {
    ASSERT_TRUE(ingest(e));
  }
  domain::ChannelFilter all;
  all.appid = kAppId;
  auto days = store_->daily(all, kDay0, kDay0 + 5);
  ASSERT_TRUE(days) << days.error().to_string();
  ASSERT_EQ(days->size(), 3U);  // days 0, 1 and 3
  EXPECT_EQ((*days)[0].period, kDay0);
  EXPECT_EQ((*days)[0].counters, (domain::Counters{4, 3, 3, 0, 1, 1}));
  EXPECT_EQ((*days)[0].losses, (domain::CohortLosses{1, 1, 1, 1}));
  EXPECT_EQ((*days)[1].counters.new_follows, 1);
  EXPECT_EQ((*days)[1].losses, (domain::CohortLosses{0, 0, 1, 1}));  // o3's cohort is day 1
  EXPECT_EQ((*days)[2].period, kDay0 + 3);
  EXPECT_EQ((*days)[2].counters.unfollows, 1);  // the unfollow itself counts on its own day

  auto account = store_->account_days(kAppId, kDay0, kDay0 + 5);
  ASSERT_TRUE(account);
  EXPECT_EQ((*account)[0].organic_follows, 1);
  EXPECT_EQ((*account)[0].organic_unfollows, 1);

  domain::ChannelFilter ground = all;
  ground.group = "地推";
  EXPECT_EQ(store_->daily(ground, kDay0, kDay0)->at(0).counters.new_follows, 2);
  domain::ChannelFilter wang = all;
  wang.owner = "小王";
  EXPECT_EQ(store_->daily(wang, kDay0, kDay0)->at(0).counters.new_follows, 3);
  domain::ChannelFilter only_b = all;
  only_b.channel_ids = {b.id};
  EXPECT_EQ(store_->daily(only_b, kDay0, kDay0 + 5)->size(), 2U);

  domain::ChannelFilter only_a = all;
  only_a.channel_ids = {a.id};
  auto hours = store_->hourly(only_a, kDay0 * 24, kDay0 * 24 + 23);
  ASSERT_TRUE(hours) << hours.error().to_string();
  ASSERT_EQ(hours->size(), 3U);
  EXPECT_EQ((*hours)[0].period, kDay0 * 24 + 10);
  EXPECT_EQ((*hours)[0].counters.new_follows, 1);
  EXPECT_EQ((*hours)[0].counters.unfollows, 1);
  EXPECT_EQ((*hours)[1].counters.new_follows, 1);
  EXPECT_EQ((*hours)[2].counters.existing_scans, 1);
  EXPECT_EQ(*store_->unique_scanners(only_a, kT0 - 3600, kT0 + kDaySeconds), 2);
  EXPECT_EQ(*store_->unique_scanners(only_a, kT0 + 3000, kT0 + kDaySeconds), 1);

  auto spent = *store_->channel(a.id);
  spent.spend_cents = 12'000;
  ASSERT_TRUE(store_->update_channel(spent));
  EXPECT_EQ(store_->channel(a.id)->spend_cents, 12'000);
  auto owners = store_->breakdown(all, domain::Breakdown::kOwner, kDay0, kDay0 + 5);
  ASSERT_TRUE(owners) << owners.error().to_string();
  ASSERT_EQ(owners->size(), 2U);
  const auto& w = (*owners)[0].key == "小王" ? (*owners)[0] : (*owners)[1];
  const auto& l = (*owners)[0].key == "小李" ? (*owners)[0] : (*owners)[1];
  EXPECT_EQ(w.channels, 2);
  EXPECT_EQ(w.counters.new_follows, 3);
  EXPECT_EQ(w.counters.unfollows, 1);
  EXPECT_EQ(w.spend_cents, 12'000);
  EXPECT_EQ(l.channels, 1);
  EXPECT_EQ(l.counters.unfollows, 1);
  auto per_channel = store_->breakdown(all, domain::Breakdown::kChannel, kDay0 + 1, kDay0 + 1);
  ASSERT_EQ(per_channel->size(), 3U);  // idle channels are listed with zeros
  EXPECT_EQ((*per_channel)[2].channel_id, c.id);
  EXPECT_EQ((*per_channel)[2].counters, domain::Counters{});
  EXPECT_EQ((*per_channel)[1].counters.new_follows, 1);
}

// Groups and owners have rollups of their own (the leaderboard reads them); a channel that changes
// group or owner takes its history along, and they always equal the channels' rows summed.
TEST_P(SqlStoreTest, GroupAndOwnerRollupsFollowAChannelThatMoves) {
  auto with = [this](std::string name, std::string scene, std::string ticket, std::string group, std::string owner) {
    domain::Channel c = channel(std::move(name), std::move(scene), std::move(ticket));
    c.group = std::move(group);
    c.owner = std::move(owner);
    EXPECT_TRUE(store_->update_channel(c));
    return c;
  };
  auto a = with("A", "a", "TA", "地推", "小王");
  const auto b = with("B", "b", "TB", "地推", "小李");
  const auto c = with("C", "c", "TC", "线上", "小王");
  constexpr std::int64_t kDaySeconds = 86400;
  for (const auto& e : {event(EventKind::kSubscribe, "o1", kT0, "a", "TA"),
                        event(EventKind::kUnsubscribe, "o1", kT0 + kDaySeconds),  // a loss for day 0's cohort
                        event(EventKind::kSubscribe, "o2", kT0, "b", "TB"),
                        event(EventKind::kSubscribe, "o3", kT0 + 60, "c", "TC"),
                        event(EventKind::kScan, "o3", kT0 + 120, "a", "TA")}) {
    ASSERT_TRUE(ingest(e));
  }
  domain::ChannelFilter all;
  all.appid = kAppId;
  // The same breakdown from the channels' rows: a filter naming every channel cannot use the rollups.
  domain::ChannelFilter each = all;
  each.channel_ids = {a.id, b.id, c.id};
  auto same = [&](domain::Breakdown by) {
    auto rolled = store_->breakdown(all, by, kDay0, kDay0 + 5);
    auto summed = store_->breakdown(each, by, kDay0, kDay0 + 5);
    ASSERT_TRUE(rolled) << rolled.error().to_string();
    ASSERT_TRUE(summed) << summed.error().to_string();
    ASSERT_EQ(rolled->size(), summed->size());
    for (std::size_t i = 0; i < rolled->size(); ++i) {
      const auto &r = (*rolled)[i], &s = (*summed)[i];
      EXPECT_EQ(r.key, s.key);
      EXPECT_EQ(r.channels, s.channels) << r.key;
      EXPECT_EQ(r.counters, s.counters) << r.key;
      EXPECT_EQ(r.losses, s.losses) << r.key;
    }
  };
  auto of = [&](domain::Breakdown by, const std::string& key) {
    const auto rows = store_->breakdown(all, by, kDay0, kDay0 + 5);
    for (const auto& r : *rows) {
      if (r.key == key) return r;
    }
    return domain::BreakdownRow{};
  };
  same(domain::Breakdown::kOwner);
  same(domain::Breakdown::kGroup);
  EXPECT_EQ(of(domain::Breakdown::kOwner, "小王").counters.new_follows, 2);
  EXPECT_EQ(of(domain::Breakdown::kOwner, "小王").losses.within_7d, 1);
  EXPECT_EQ(of(domain::Breakdown::kGroup, "地推").counters.scans, 3);

  a.owner = "小李";  // A and its history go to 小李 and to 线上
  a.group = "线上";
  ASSERT_TRUE(store_->update_channel(a));
  same(domain::Breakdown::kOwner);
  same(domain::Breakdown::kGroup);
  EXPECT_EQ(of(domain::Breakdown::kOwner, "小王").counters, (domain::Counters{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(of(domain::Breakdown::kOwner, "小王").losses, domain::CohortLosses{});
  EXPECT_EQ(of(domain::Breakdown::kOwner, "小李").counters.new_follows, 2);
  EXPECT_EQ(of(domain::Breakdown::kOwner, "小李").losses.within_7d, 1);
  EXPECT_EQ(of(domain::Breakdown::kGroup, "地推").counters.scans, 1);

  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o4", kT0 + 2 * kDaySeconds, "a", "TA")));  // after the move
  same(domain::Breakdown::kOwner);
  same(domain::Breakdown::kGroup);
  EXPECT_EQ(of(domain::Breakdown::kOwner, "小李").counters.new_follows, 3);
  EXPECT_EQ(of(domain::Breakdown::kOwner, "小王").counters.new_follows, 1);

  domain::ChannelFilter li = all;  // one owner's own row
  li.owner = "小李";
  auto one = store_->breakdown(li, domain::Breakdown::kOwner, kDay0, kDay0 + 5);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1U);
  EXPECT_EQ((*one)[0].channels, 2);
  EXPECT_EQ((*one)[0].counters.new_follows, 3);
}

// Login codes are lent one session at a time and come back after their cooldown; a scan decides the
// session holding the code in the event's transaction (credited to the login channel); the result
// is delivered once and its exchange code redeemed once; unfollowing forgets the binding.
TEST_P(SqlStoreTest, LoginSessionsLendCodesDecideOnScanAndDeliverOnce) {
  const auto login_channel = channel("login", "login-page", "t-login");
  auto make_session = [&](std::string id, domain::LoginPurpose purpose, std::string user) {
    domain::LoginSession s;
    s.id = std::move(id);
    s.appid = kAppId;
    s.purpose = purpose;
    s.user_id = std::move(user);
    s.secret_sha256 = "ab";
    s.channel_id = login_channel.id;
    s.created_at = clock_.unix_seconds();
    s.expires_at = s.created_at + 300;
    EXPECT_TRUE(store_->create_login_session(s));
    return s;
  };
  const std::int64_t now = clock_.unix_seconds();
  make_session("a", domain::LoginPurpose::kBind, "user-1");
  make_session("b", domain::LoginPurpose::kLogin, "");
  // An empty pool: the first session gets a new code, the second finds it held.
  ASSERT_FALSE(*store_->lend_login_code("a", now, now + 300, now + 360));
  ASSERT_TRUE(store_->add_login_code("a", {kAppId, "qrl_one", "tk1", "http://weixin.qq.com/q/1", now + 86400},
                                     now + 360));
  ASSERT_FALSE(*store_->lend_login_code("b", now, now + 300, now + 360));
  // Asked again, session a gets the code it holds.
  auto mine = store_->lend_login_code("a", now + 1, now + 300, now + 360);
  ASSERT_TRUE(mine && *mine);
  EXPECT_EQ((*mine)->scene, "qrl_one");

  // A scan decides session a (bind): confirmed, bound, credited to the login channel.
  auto scanned = ingest(event(EventKind::kSubscribe, "o-1", now + 5, "qrl_one", "tk1"));
  ASSERT_TRUE(scanned) << scanned.error().to_string();
  EXPECT_EQ(scanned->login_session, "a");
  EXPECT_EQ(scanned->channel_id, login_channel.id);
  EXPECT_EQ(scanned->reply.text, domain::LoginTexts{}.bound);
  auto a = *store_->login_session("a");
  EXPECT_EQ(a.state, domain::LoginState::kConfirmed);
  EXPECT_EQ(a.openid, "o-1");
  EXPECT_EQ(a.scene, "qrl_one");
  EXPECT_EQ(day0(login_channel.id).new_follows, 1);
  EXPECT_EQ(store_->login_bindings(kAppId, "user-1", "")->size(), 1U);
  // The same scan again is WeChat's retry: same reply, no change.
  auto retry = ingest(event(EventKind::kSubscribe, "o-1", now + 5, "qrl_one", "tk1"));
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->reply.text, domain::LoginTexts{}.bound);
  EXPECT_EQ(store_->login_session("a")->version, a.version);

  // Decided: the code rests for the cooldown, then serves session b.
  ASSERT_FALSE(*store_->lend_login_code("b", now + 10, now + 300, now + 360));
  auto lent = store_->lend_login_code("b", now + 5 + 60, now + 300, now + 360);
  ASSERT_TRUE(lent && *lent);
  EXPECT_EQ((*lent)->scene, "qrl_one");
  // A scan of the same code now concerns b: a login, with the user o-1 bound to.
  auto login = ingest(event(EventKind::kScan, "o-1", now + 70, "qrl_one", "tk1"));
  EXPECT_EQ(login->login_session, "b");
  auto b = *store_->login_session("b");
  EXPECT_EQ(b.state, domain::LoginState::kConfirmed);
  EXPECT_EQ(b.user_id, "user-1");
  // A code that lives too short for the session is not lent.
  make_session("c", domain::LoginPurpose::kLogin, "");
  EXPECT_FALSE(*store_->lend_login_code("c", now + 200, now + 90000, now + 90060));

  // Delivered once; the exchange code redeemed once, and only while young.
  EXPECT_TRUE(*store_->deliver_login_result("b", now + 71, "hash-b"));
  EXPECT_FALSE(*store_->deliver_login_result("b", now + 72, "hash-x"));
  EXPECT_FALSE(store_->redeem_login_exchange("hash-b", now + 200, now + 100));  // too old
  auto redeemed = store_->redeem_login_exchange("hash-b", now + 72, now + 12);
  ASSERT_TRUE(redeemed) << redeemed.error().to_string();
  EXPECT_EQ(redeemed->openid, "o-1");
  EXPECT_EQ(store_->redeem_login_exchange("hash-b", now + 73, now + 13).error().code, ErrorCode::kNotFound);

  // Unfollowing forgets the binding (personal data).
  ASSERT_TRUE(ingest(event(EventKind::kUnsubscribe, "o-1", now + 80)));
  EXPECT_TRUE(store_->login_bindings(kAppId, "", "")->empty());
  // Sessions that ended before the cut go.
  EXPECT_EQ(*store_->purge_login_sessions(now + 301), 3);
  EXPECT_EQ(store_->login_session("a").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace qrscene::store

namespace qrscene::store {
namespace {

TEST_P(SqlStoreTest, FollowerRowsKeepTheirTimesAndLoseTheOpenidAfterAnUnfollow) {
  profile_ = true;
  reopen();
  const auto a = channel("门店A", "1", "tA");
  const auto b = channel("海报B", "2", "tB");
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o1", kT0, "qrscene_1", "tA")));
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o2", kT0 + 10, "qrscene_1", "tA")));
  ASSERT_TRUE(ingest(event(EventKind::kUnsubscribe, "o2", kT0 + 20)));
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o2", kT0 + 30, "qrscene_2", "tB")));  // back through B
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o3", kT0 + 40)));                      // organic: no row
  // A profile job per follower still following (o2's first one went with the unfollow).
  auto jobs = store_->claim_jobs(clock_.unix_seconds(), 10, 300);
  ASSERT_TRUE(jobs);
  ASSERT_EQ(jobs->size(), 3U);
  EXPECT_EQ((*jobs)[0].payload, domain::JobPayload(domain::ProfileJob{"o1"}));
  EXPECT_EQ((*jobs)[1].payload, domain::JobPayload(domain::ProfileJob{"o2"}));
  EXPECT_EQ((*jobs)[2].payload, domain::JobPayload(domain::ProfileJob{"o3"}));
  const domain::FollowerProfile profile{"o1", "u1", {"门店A", "VIP"}};
  ASSERT_TRUE(store_->set_follower_profiles(kAppId, {&profile, 1}, kT0 + 50));

  domain::FollowerQuery q;
  q.appid = kAppId;
  auto page = store_->follower_page(q);
  ASSERT_TRUE(page) << page.error().to_string();
  ASSERT_EQ(page->total, 3);
  ASSERT_EQ(page->rows.size(), 3u);
  const auto& newest = page->rows[0];  // followed_at descending
  EXPECT_EQ(newest.channel_id, b.id);
  EXPECT_EQ(newest.openid, "o2");
  EXPECT_FALSE(newest.first_follow);
  EXPECT_FALSE(newest.left_at);
  const auto& left = page->rows[1];
  EXPECT_EQ(left.channel_id, a.id);
  EXPECT_EQ(left.left_at, kT0 + 20);
  EXPECT_EQ(left.openid, "");  // pseudonymous after the unfollow
  EXPECT_EQ(left.pseudonym, store_->pseudonym(kAppId, "o2"));
  EXPECT_TRUE(left.first_follow);
  EXPECT_EQ(page->rows[2].unionid, "u1");
  EXPECT_EQ(page->rows[2].tags, (std::vector<std::string>{"门店A", "VIP"}));

  q.channel_ids = {a.id};
  q.following = false;
  page = store_->follower_page(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->total, 1);
  EXPECT_EQ(page->rows[0].left_at, kT0 + 20);
  q.following = true;
  q.sort = domain::FollowerSort::kFollowedAt;
  q.descending = false;
  q.limit = 1;
  q.channel_ids.clear();
  page = store_->follower_page(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 2);  // o1 through A, o2 through B
  ASSERT_EQ(page->rows.size(), 1u);
  EXPECT_EQ(page->rows[0].openid, "o1");
  q.offset = 1;
  page = store_->follower_page(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->rows.at(0).openid, "o2");
}

TEST_P(SqlStoreTest, ConversionsAreCreditedFirstAndLastTouchAndRecordedOnce) {
  const auto a = channel("A", "1", "tA");
  const auto b = channel("B", "2", "tB");
  ASSERT_TRUE(ingest(event(EventKind::kSubscribe, "o1", kT0, "qrscene_1", "tA")));
  ASSERT_TRUE(ingest(event(EventKind::kScan, "o1", kT0 + 100, "2", "tB")));  // a later touch on B
  const domain::FollowerProfile profile{"o1", "u1", {}};
  ASSERT_TRUE(store_->set_follower_profiles(kAppId, {&profile, 1}, kT0));

  domain::ConversionInput c;
  c.appid = kAppId;
  c.external_id = "order-1";
  c.openid = "o1";
  c.kind = "order";
  c.value_cents = 1000;
  c.currency = "CNY";
  c.occurred_at = kT0 + 50;  // before the scan of B: last touch is still A
  auto r = store_->record_conversion(c, kT0 + 500);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_FALSE(r->duplicate);
  EXPECT_TRUE(r->known_person);
  EXPECT_EQ(r->first_touch->channel_id, a.id);
  EXPECT_EQ(r->last_touch->channel_id, a.id);
  auto again = store_->record_conversion(c, kT0 + 600);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->id, r->id);
  c.value_cents = 1001;
  auto changed = store_->record_conversion(c, kT0 + 600);
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, ErrorCode::kAlreadyExists);

  domain::ConversionInput u = c;
  u.external_id = "order-2";
  u.openid.clear();
  u.unionid = "u1";
  u.value_cents = 500;
  u.occurred_at = kT0 + 200;
  r = store_->record_conversion(u, kT0 + 500);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first_touch->channel_id, a.id);
  EXPECT_EQ(r->last_touch->channel_id, b.id);
  EXPECT_EQ(r->last_touch->at, kT0 + 100);
  u.external_id = "order-3";
  u.unionid = "unknown";
  r = store_->record_conversion(u, kT0 + 500);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->known_person);
  EXPECT_FALSE(r->first_touch);

  domain::ChannelFilter all{kAppId, {}, "", ""};
  auto first = store_->credited_conversions(all, domain::Breakdown::kChannel, domain::Touch::kFirst, "CNY", kT0, kT0 + 1000);
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].channel_id, a.id);
  EXPECT_EQ((*first)[1].channel_id, a.id);
  EXPECT_FALSE((*first)[2].attributed);
  auto last = store_->credited_conversions(domain::ChannelFilter{kAppId, {b.id}, "", ""}, domain::Breakdown::kChannel,
                                           domain::Touch::kLast, "CNY", kT0, kT0 + 1000);
  ASSERT_TRUE(last);
  ASSERT_EQ(last->size(), 1u);  // only B's, and no unattributed row for a channel filter
  EXPECT_EQ((*last)[0].value_cents, 500);
  EXPECT_EQ((*last)[0].touch_at, kT0 + 100);
  auto usd = store_->credited_conversions(all, domain::Breakdown::kChannel, domain::Touch::kFirst, "USD", kT0, kT0 + 1000);
  ASSERT_TRUE(usd);
  EXPECT_TRUE(usd->empty());

  domain::FollowerQuery q;
  q.appid = kAppId;
  auto page = store_->follower_page(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->rows.size(), 1u);
  EXPECT_EQ(page->rows[0].conversions, 2);
  EXPECT_EQ(page->rows[0].value_cents, 1500);
}

}  // namespace
}  // namespace qrscene::store
