// SQLite's event log in a file of its own (sqlite_store.h): an older database's log moves there, a
// missing log is refused rather than made again empty, and the answer path writes the log alone.
#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "domain/ingest.h"
#include "store/fault_injection.h"
#include "store/migrations.h"

namespace qrscene::store::sqlite {
namespace {

constexpr const char* kAppId = "wxlogfile";
constexpr std::int64_t kT0 = 1'714'010'400;
constexpr std::chrono::milliseconds kWait{10'000};

class SqliteLogFileTest : public ::testing::Test {
 protected:
  SqliteLogFileTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("qrscene_logfile_" + std::to_string(::getpid()) + "_" + std::to_string(++counter_));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "qrscene.db").string();
  }
  ~SqliteLogFileTest() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  Status open() {
    store_.reset();
    SqliteStoreOptions o;
    o.path = path_;
    o.project_retry = std::chrono::milliseconds(5);
    o.project_gather = gather_;
    o.project_gather_quiet = gather_;
    o.project_batch = batch_;
    o.project_batch_quiet = quiet_batch_;
    o.faults = faults_;
    auto s = SqliteStore::open(o, clock_);
    if (!s) return s.error();
    store_ = std::move(*s);
    return {};
  }

  static domain::Event follow(std::string openid, std::int64_t t) {
    domain::Event e;
    e.appid = kAppId;
    e.openid = std::move(openid);
    e.kind = domain::EventKind::kSubscribe;
    e.name = "subscribe";
    e.create_time = t;
    e.dedup_key = domain::make_dedup_key(std::nullopt, e.openid, t, e.name, e.scene);
    return e;
  }

  // A text message: it may be a login code, so its group takes the database's turn.
  static domain::Event text(std::string openid, std::int64_t t, std::string msgid) {
    domain::Event e;
    e.appid = kAppId;
    e.openid = std::move(openid);
    e.kind = domain::EventKind::kOther;
    e.name = "text";
    e.content = "hello";
    e.create_time = t;
    e.dedup_key = std::move(msgid);
    return e;
  }

  std::future<Result<domain::IngestOutcome>> submit(domain::Event e) {
    auto p = std::make_shared<std::promise<Result<domain::IngestOutcome>>>();
    auto f = p->get_future();
    store_->submit(std::move(e), [p](Result<domain::IngestOutcome> r) { p->set_value(std::move(r)); });
    return f;
  }

  // A number from `sql` through a connection of the test's own (the log attached when asked).
  std::int64_t number(const std::string& sql, bool with_log = true) {
    DatabaseOptions o;
    if (with_log) o.log_path = log_path_for(path_);
    auto db = SqliteDatabase::open(path_, o);
    EXPECT_TRUE(db) << db.error().to_string();
    if (!db) return -1;
    auto q = (*db)->prepare(sql);
    EXPECT_TRUE(q) << q.error().to_string();
    if (!q) return -1;
    auto row = q->step();
    EXPECT_TRUE(row && *row) << sql;
    return q->int64(0);
  }

  // A copy of a closed store's file (and its WAL, should one be left), as a backup makes one; and
  // putting it back.
  void keep(const std::string& file, const std::string& as) {
    for (const char* suffix : {"", "-wal"}) {
      std::filesystem::remove(as + suffix);
      if (std::filesystem::exists(file + suffix)) std::filesystem::copy_file(file + suffix, as + suffix);
    }
  }
  void put_back(const std::string& copy, const std::string& file) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix);
    keep(copy, file);
  }
  // Two follows of new followers, applied.
  void two_follows(const std::string& who, std::int64_t t) {
    ASSERT_TRUE(submit(follow(who + "-1", t)).get());
    ASSERT_TRUE(submit(follow(who + "-2", t + 1)).get());
    ASSERT_TRUE(store_->catch_up(kWait));
  }

  std::chrono::milliseconds gather_{100};
  std::size_t batch_ = StoreOptions{}.project_batch;
  std::size_t quiet_batch_ = StoreOptions{}.project_batch_quiet;
  std::shared_ptr<FaultPlan> faults_;  // the writer's and readers' steps, when set
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::string path_;
  FakeClock clock_{kT0};
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteLogFileTest, TheLogsFileSitsBesideTheDatabase) {
  EXPECT_EQ(log_path_for("/var/lib/qrscene/qrscene.db"), "/var/lib/qrscene/qrscene-log.db");
  EXPECT_EQ(log_path_for("/data/store"), "/data/store-log.db");
  EXPECT_EQ(log_path_for(".db"), ".db-log.db");
}

// A database from before migration 11 held its log; what its projector had not applied yet is moved
// into the log's file with its ids and applied there, and the old table is gone.
TEST_F(SqliteLogFileTest, AnOlderDatabasesLogMovesIntoItsOwnFileAndIsApplied) {
  {
    auto old = SqliteDatabase::open(path_);  // no log attached: the database as qrscene 10 left it
    ASSERT_TRUE(old) << old.error().to_string();
    std::vector<Migration> up_to_10;
    for (const auto& m : migrations()) {
      if (m.version <= 10) up_to_10.push_back(m);
    }
    ASSERT_TRUE(migrate(**old, up_to_10));
    ASSERT_TRUE((*old)->exec(
        "INSERT INTO event_log (id, appid, dedup_key, kind, name, openid, create_time, received_at) VALUES "
        "(41, 'wxlogfile', '1714010400k1', 'subscribe', 'subscribe', 'o-before', 1714010400, 1714010400), "
        "(42, 'wxlogfile', '1714010401k2', 'subscribe', 'subscribe', 'o-before-2', 1714010401, 1714010401)"));
  }
  ASSERT_TRUE(open());
  ASSERT_TRUE(store_->catch_up(kWait));
  EXPECT_EQ(*store_->event_count(kAppId), 2);
  EXPECT_EQ(*store_->follower_count(kAppId), 2);
  // A push after the move follows the moved ids.
  auto later = submit(follow("o-after", kT0 + 5)).get();
  ASSERT_TRUE(later) << later.error().to_string();
  EXPECT_EQ(later->event_id, 43);
  ASSERT_TRUE(store_->catch_up(kWait));
  EXPECT_EQ(*store_->follower_count(kAppId), 3);
  store_.reset();
  EXPECT_EQ(number("SELECT count(*) FROM main.sqlite_master WHERE name = 'event_log'"), 0);
  EXPECT_EQ(number("SELECT count(*) FROM log.event_log"), 3);
  EXPECT_EQ(number("SELECT count(*) FROM log.event_log WHERE openid <> ''"), 0);  // applied: cleared
  EXPECT_EQ(number("SELECT position FROM log.log_cleared"), 43);
}

// Starting again on an empty log would lose track of the projections' cursor (and answer retries as
// new pushes): a database whose log is missing is refused, with what to do.
TEST_F(SqliteLogFileTest, ADatabaseWithoutItsLogIsRefused) {
  ASSERT_TRUE(open());
  ASSERT_TRUE(submit(follow("o1", kT0)).get());
  ASSERT_TRUE(store_->catch_up(kWait));
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(log_path_for(path_) + suffix);
  const Status reopened = open();
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(reopened.error().message.find(log_path_for(path_)), std::string::npos) << reopened.error().message;
  EXPECT_NE(reopened.error().message.find("missing"), std::string::npos) << reopened.error().message;
  EXPECT_NE(reopened.error().message.find("docs/deployment.md"), std::string::npos) << reopened.error().message;
}

// A database started anew beside an older one's log (the files removed but the log's) would apply
// the old events: the log is another database's, and refused.
TEST_F(SqliteLogFileTest, AnotherDatabasesLogIsRefused) {
  ASSERT_TRUE(open());
  two_follows("o", kT0);
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  const Status reopened = open();
  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().message.find("another database"), std::string::npos) << reopened.error().message;
}

// Backups: the log copied after the database has cleared the openids of events the copy of the
// database has not applied — refused, rather than applied to nobody.
TEST_F(SqliteLogFileTest, ALogCopiedAfterItsDatabaseIsRefused) {
  ASSERT_TRUE(open());
  two_follows("a", kT0);
  store_.reset();
  keep(path_, path_ + ".backup");
  ASSERT_TRUE(open());
  two_follows("b", kT0 + 10);  // applied, and cleared from the log
  store_.reset();
  put_back(path_ + ".backup", path_);
  const Status reopened = open();
  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().message.find("copied after the database"), std::string::npos)
      << reopened.error().message;
}

// …while a log copied before its database (the documented order) is taken: the events it lacks were
// applied already, and the next push is numbered after them.
TEST_F(SqliteLogFileTest, ALogCopiedBeforeItsDatabaseIsTaken) {
  ASSERT_TRUE(open());
  two_follows("a", kT0);
  store_.reset();
  keep(log_path_for(path_), path_ + ".log-backup");
  ASSERT_TRUE(open());
  two_follows("b", kT0 + 10);
  store_.reset();
  put_back(path_ + ".log-backup", log_path_for(path_));
  {
    // As if copied between a batch's commit and its clearing: applied rows that still hold openids.
    DatabaseOptions with_log;
    with_log.log_path = log_path_for(path_);
    auto raw = SqliteDatabase::open(path_, with_log);
    ASSERT_TRUE(raw);
    ASSERT_TRUE((*raw)->exec("UPDATE log.event_log SET openid = 'copied-' || id; UPDATE log.log_cleared SET position = 0"));
  }
  ASSERT_TRUE(open());
  auto next = submit(follow("c", kT0 + 20)).get();
  ASSERT_TRUE(next) << next.error().to_string();
  EXPECT_EQ(next->event_id, 5);
  ASSERT_TRUE(store_->catch_up(kWait));
  EXPECT_EQ(*store_->follower_count(kAppId), 5);
  EXPECT_EQ(*store_->event_count(kAppId), 5);
  store_.reset();
  EXPECT_EQ(number("SELECT count(*) FROM log.event_log WHERE openid <> ''"), 0);  // applied, so cleared
}

// A database restored from before the log had a file of its own, beside the newer log: refused
// before anything moves, its own log still in it.
TEST_F(SqliteLogFileTest, AnOlderDatabaseBesideANewerLogIsRefusedBeforeAnythingMoves) {
  ASSERT_TRUE(open());
  two_follows("new", kT0);
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  {
    auto old = SqliteDatabase::open(path_);
    ASSERT_TRUE(old) << old.error().to_string();
    std::vector<Migration> up_to_10;
    for (const auto& m : migrations()) {
      if (m.version <= 10) up_to_10.push_back(m);
    }
    ASSERT_TRUE(migrate(**old, up_to_10));
    ASSERT_TRUE((*old)->exec("INSERT INTO event_log (id, appid, dedup_key, kind, name, openid, create_time, "
                             "received_at) VALUES (7, 'wxlogfile', 'k', 'subscribe', 'subscribe', 'o-old', 1, 1)"));
  }
  const Status reopened = open();
  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().message.find("another database"), std::string::npos) << reopened.error().message;
  EXPECT_EQ(number("SELECT count(*) FROM main.event_log", /*with_log=*/false), 1);
}

// The point of the log's own file: a push is appended and acknowledged while another connection holds
// the database's write lock (as the projector's batches do), and applied once it is let go.
TEST_F(SqliteLogFileTest, APushIsAcknowledgedWhileTheDatabaseIsLocked) {
  ASSERT_TRUE(open());
  auto holder = SqliteDatabase::open(path_);  // the database alone, like the projector's connection
  ASSERT_TRUE(holder) << holder.error().to_string();
  ASSERT_TRUE((*holder)->begin());
  auto answer = submit(follow("o-locked", kT0));
  // Well within SQLite's 5 s busy timeout, which a writer needing the database's lock would wait out.
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(3)), std::future_status::ready)
      << "the push waited for the database's write lock";
  auto outcome = answer.get();
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  ASSERT_TRUE((*holder)->exec("ROLLBACK"));
  ASSERT_TRUE(store_->catch_up(kWait));
  EXPECT_EQ(*store_->follower_count(kAppId), 1);
}

// While the service runs, the writer clears the openids the projector applied: in the groups of
// pushes that keep coming, and on its own once none comes. A read that waited for the projection
// finds none of them left, and the log says how far it is cleared.
TEST_F(SqliteLogFileTest, TheWriterClearsWhatWasAppliedWhileTheServiceRuns) {
  gather_ = std::chrono::milliseconds(5);
  ASSERT_TRUE(open());
  std::vector<std::future<Result<domain::IngestOutcome>>> pushes;
  for (int i = 0; i < 600; ++i) {
    pushes.push_back(submit(follow(fmt::format("o-{}", i), kT0 + i)));
    if (i % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the projector in between
  }
  std::int64_t last = 0;
  for (auto& p : pushes) {
    auto outcome = p.get();
    ASSERT_TRUE(outcome) << outcome.error().to_string();
    last = std::max(last, outcome->event_id);
  }
  ASSERT_TRUE(store_->catch_up(kWait));
  EXPECT_EQ(number("SELECT count(*) FROM log.event_log WHERE openid <> ''"), 0);
  EXPECT_EQ(number("SELECT position FROM log.log_cleared"), last);
  // One more after the stream: no group follows it to carry the clearing.
  auto late = submit(follow("o-late", kT0 + 1000)).get();
  ASSERT_TRUE(late) << late.error().to_string();
  ASSERT_TRUE(store_->catch_up(kWait)) << "the applied push was never cleared";
  EXPECT_EQ(number("SELECT count(*) FROM log.event_log WHERE openid <> ''"), 0);
  EXPECT_EQ(number("SELECT position FROM log.log_cleared"), late->event_id);
  EXPECT_EQ(*store_->follower_count(kAppId), 601);
}

// A clearing that fails (here: every step of the writer's, as a full disk would) costs no push its
// answer once writes work again: it is tried again a second later, and the log ends up cleared.
TEST_F(SqliteLogFileTest, AFailedClearingIsTriedAgainAndCostsNoAnswer) {
  gather_ = std::chrono::minutes(10);  // the projector applies only when a read asks it to
  faults_ = std::make_shared<FaultPlan>();
  ASSERT_TRUE(open());
  ASSERT_TRUE(submit(follow("o-a", kT0)).get());
  ASSERT_TRUE(store_->catch_up(kWait));
  auto b = submit(follow("o-b", kT0 + 1)).get();
  ASSERT_TRUE(b) << b.error().to_string();
  faults_->fail_at(1, 1'000'000);
  // The read makes the projector apply b; the writer's clearing of it fails, so the read gives up.
  EXPECT_FALSE(store_->catch_up(std::chrono::milliseconds(300)));
  EXPECT_TRUE(faults_->fired()) << "the writer never tried to clear";
  EXPECT_EQ(store_->projection().position, b->event_id);
  faults_->fail_at(0);
  auto c = submit(follow("o-c", kT0 + 2)).get();
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_TRUE(store_->catch_up(kWait)) << "the clearing was not tried again";
  EXPECT_EQ(number("SELECT count(*) FROM log.event_log WHERE openid <> ''"), 0);
  EXPECT_EQ(number("SELECT position FROM log.log_cleared"), c->event_id);
  EXPECT_TRUE(store_->write_health().ok);
}

// Once caught up, the projector lets the log gather before its next batch. Meanwhile the lag shows
// what waits, and a read waiting for the projection ends the gather rather than wait it out.
TEST_F(SqliteLogFileTest, AReadEndsTheProjectorsGatherAndTheLagShowsMeanwhile) {
  gather_ = std::chrono::minutes(10);
  ASSERT_TRUE(open());
  auto first = submit(follow("o1", kT0)).get();
  ASSERT_TRUE(first);
  for (int i = 0; i < 1000 && store_->projection().position < first->event_id; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(store_->projection().position, first->event_id);  // applied; now gathering
  auto second = submit(follow("o2", kT0 + 1)).get();
  ASSERT_TRUE(second);
  const ProjectionStats meanwhile = store_->projection();
  EXPECT_EQ(meanwhile.position, first->event_id);
  EXPECT_EQ(meanwhile.head, second->event_id);  // the lag: one event
  ASSERT_TRUE(store_->catch_up(std::chrono::seconds(5)));  // not the ten minutes
  EXPECT_EQ(*store_->follower_count(kAppId), 2);
}

// Copies of one push submitted back to back (in one group or the next): without a savepoint per
// push (SQLite, no login session), the second is still found as the first's duplicate, and the
// log holds the push once.
TEST_F(SqliteLogFileTest, CopiesOfAPushBackToBackAreLoggedOnce) {
  ASSERT_TRUE(open());
  std::vector<std::future<Result<domain::IngestOutcome>>> pushes;
  for (int i = 0; i < 50; ++i) {
    pushes.push_back(submit(follow(fmt::format("o-{}", i), kT0 + i)));
    pushes.push_back(submit(follow(fmt::format("o-{}", i), kT0 + i)));  // WeChat's retry, at once
  }
  int duplicates = 0;
  for (std::size_t i = 0; i < pushes.size(); i += 2) {
    auto first = pushes[i].get();
    auto again = pushes[i + 1].get();
    ASSERT_TRUE(first) << first.error().to_string();
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->event_id, first->event_id);
    duplicates += again->duplicate ? 1 : 0;
  }
  EXPECT_EQ(duplicates, 50);
  ASSERT_TRUE(store_->catch_up(kWait));
  store_.reset();
  EXPECT_EQ(number("SELECT count(*) FROM log.event_log"), 50);
}

// While nothing asks for the database's turn, the projector applies in its larger batches. A text
// (it may be a login code, so its group takes the turn) makes them short again, for turn_quiet:
// a login that waits for the projector then waits for one short transaction at most.
TEST_F(SqliteLogFileTest, ATextKeepsTheProjectorsTransactionsShortForAWhile) {
  gather_ = std::chrono::minutes(10);  // each catch_up applies what waits, in as many batches as it takes
  batch_ = 2;
  quiet_batch_ = 4;
  ASSERT_TRUE(open());
  int n = 0;
  // Eight follows, applied at once by a read: the batches it took.
  auto eight = [&]() -> std::int64_t {
    const std::int64_t before = store_->projection().batches;
    std::vector<std::future<Result<domain::IngestOutcome>>> pushes;
    for (int i = 0; i < 8; ++i, ++n) pushes.push_back(submit(follow(fmt::format("o-{}", n), kT0 + n)));
    for (auto& p : pushes) EXPECT_TRUE(p.get());
    EXPECT_TRUE(store_->catch_up(kWait));
    return store_->projection().batches - before;
  };
  // One event applied on its own, so that the projector gathers (until a read) from then on.
  auto one = [&](domain::Event e) {
    auto r = submit(std::move(e)).get();
    ASSERT_TRUE(r) << r.error().to_string();
    for (int i = 0; i < 1000 && store_->projection().position < r->event_id; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(store_->projection().position, r->event_id);
  };
  one(follow("o-first", kT0));
  EXPECT_EQ(eight(), 2) << "quiet: batches of 4";
  one(text("o-typist", kT0 + 100, "msgid-1"));
  EXPECT_EQ(eight(), 4) << "after a text: batches of 2";
  clock_.advance(StoreOptions{}.turn_quiet);
  one(follow("o-later", kT0 + 400));
  EXPECT_EQ(eight(), 2) << "quiet again once turn_quiet went by";
  EXPECT_EQ(*store_->follower_count(kAppId), 26);
}

// While the projector holds the database's turn, a group with a text (which may change a login
// session, so it needs that turn) waits for it, with the texter's other pushes behind it (their
// order in the log is kept); the other pushes do not wait: they are appended at once, the text and
// what its sender sent after it as soon as the turn is free.
TEST_F(SqliteLogFileTest, PushesGoOnWhileALoginGroupWaitsForTheProjector) {
  ASSERT_TRUE(open());
  std::future<Result<domain::IngestOutcome>> typed, theirs, followed;
  {
    auto turn = store_->hold_database_turn_for_test();  // as a projector transaction holds it
    typed = submit(text("o-typist", kT0, "msgid-aside"));
    theirs = submit(follow("o-typist", kT0 + 1));
    followed = submit(follow("o-after", kT0 + 1));
    // Well within StoreOptions' kAsideAtMost (2 s), after which the writer waits for the turn.
    ASSERT_EQ(followed.wait_for(std::chrono::seconds(1)), std::future_status::ready)
        << "the follow waited behind the text's group";
    auto f = followed.get();
    ASSERT_TRUE(f) << f.error().to_string();
    EXPECT_EQ(typed.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout)
        << "the text was appended without the database's turn";
    EXPECT_EQ(theirs.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
        << "the texter's follow was appended before the text";
  }
  ASSERT_EQ(typed.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  ASSERT_EQ(theirs.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto t = typed.get();
  auto o = theirs.get();
  ASSERT_TRUE(t) << t.error().to_string();
  ASSERT_TRUE(o) << o.error().to_string();
  EXPECT_LT(t->event_id, o->event_id);
  ASSERT_TRUE(store_->catch_up(kWait));
  EXPECT_EQ(number("SELECT count(*) FROM log.event_log"), 3);
  EXPECT_EQ(*store_->follower_count(kAppId), 2);
}

}  // namespace
}  // namespace qrscene::store::sqlite
