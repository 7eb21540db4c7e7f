// WAL checkpoints on their own thread: the writer's commits are copied back into the database
// file and the WAL stays bounded, with SQLite's own autocheckpoint on the writer switched off.
#include "store/sqlite/checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace qrscene::store::sqlite {
namespace {

class CheckpointerTest : public ::testing::Test {
 protected:
  CheckpointerTest() {
    dir_ = std::filesystem::temp_directory_path() / ("qrscene_checkpoint_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "db.sqlite").string();
  }
  ~CheckpointerTest() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(CheckpointerTest, CopiesTheWalBackAndKeepsItBounded) {
  auto writer = SqliteDatabase::open(path_);
  ASSERT_TRUE(writer) << writer.error().to_string();
  ASSERT_TRUE((*writer)->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)"));
  CheckpointOptions options;
  options.wal_pages = 50;
  options.restart_pages = 400;
  auto checkpointer = Checkpointer::start(**writer, options);
  ASSERT_TRUE(checkpointer) << checkpointer.error().to_string();

  // 2,000 commits of a page each: without checkpoints the WAL would hold them all (8 MB).
  auto insert = (*writer)->prepare("INSERT INTO t (payload) VALUES (zeroblob(4000))");
  ASSERT_TRUE(insert);
  for (int i = 0; i < 2000; ++i) {
    insert->reset();
    ASSERT_TRUE(insert->run());
  }
  for (int i = 0; i < 500 && (*checkpointer)->stats().runs == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const CheckpointStats s = (*checkpointer)->stats();
  EXPECT_GT(s.runs, 0);
  EXPECT_GT(s.pages_copied, 500);
  EXPECT_GT(s.restarts, 0);  // the writer never paused, so the WAL had to be started over
  // The WAL started over rather than growing: well under the 2,000 pages written.
  const auto wal_bytes = std::filesystem::file_size(path_ + "-wal");
  EXPECT_LT(wal_bytes, 1200u * 4096u) << "pages in the WAL after the last commit: " << s.wal_pages << ", runs " << s.runs << ", restarts " << s.restarts << ", copied " << s.pages_copied;

  // Everything committed is readable from a connection of its own.
  auto reader = SqliteDatabase::open(path_);
  ASSERT_TRUE(reader);
  auto count = (*reader)->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count);
  ASSERT_TRUE(count->step().value_or(false));
  EXPECT_EQ(count->int64(0), 2000);
}

TEST_F(CheckpointerTest, TheWriterCopiesOnlyTheFileItCommittedTo) {
  // Another connection's commits to the database, left in its WAL (its checkpoints are not the
  // writer's business: the projector's tens of megabytes would hold the answer path meanwhile).
  auto other = SqliteDatabase::open(path_);
  ASSERT_TRUE(other) << other.error().to_string();
  ASSERT_TRUE((*other)->exec("PRAGMA wal_autocheckpoint = 0"));
  ASSERT_TRUE((*other)->exec("CREATE TABLE big (payload BLOB)"));
  ASSERT_TRUE((*other)->exec("INSERT INTO big VALUES (zeroblob(800000))"));
  const auto database_bytes = std::filesystem::file_size(path_);

  DatabaseOptions with_log;
  with_log.log_path = (dir_ / "log.sqlite").string();
  auto writer = SqliteDatabase::open(path_, with_log);
  ASSERT_TRUE(writer) << writer.error().to_string();
  ASSERT_TRUE((*writer)->exec("CREATE TABLE log.t (id INTEGER PRIMARY KEY, payload BLOB)"));
  CheckpointOptions options;
  options.wal_pages = 1'000'000;  // the thread never copies: only the writer does, after its commits
  options.restart_pages = 5;
  auto checkpointer = Checkpointer::start(**writer, options);
  ASSERT_TRUE(checkpointer) << checkpointer.error().to_string();
  auto insert = (*writer)->prepare("INSERT INTO log.t (payload) VALUES (zeroblob(4000))");
  ASSERT_TRUE(insert);
  for (int i = 0; i < 20; ++i) {
    insert->reset();
    ASSERT_TRUE(insert->run());
  }
  EXPECT_GT((*checkpointer)->stats().restarts, 0);  // the writer copied the log's WAL
  EXPECT_EQ(std::filesystem::file_size(path_), database_bytes) << "the writer copied the database's WAL too";
}

}  // namespace
}  // namespace qrscene::store::sqlite
