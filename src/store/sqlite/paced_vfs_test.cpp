// The paced VFS: what a connection writes goes to the disk a megabyte at a time as it is written,
// and reads back the same, as SQLite's default VFS writes and reads it.
#include "store/sqlite/paced_vfs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>

#include <filesystem>
#include <string>

#include "store/sqlite/sqlite_database.h"

namespace qrscene::store::sqlite {
namespace {

class PacedVfsTest : public ::testing::Test {
 protected:
  PacedVfsTest() {
    dir_ = std::filesystem::temp_directory_path() / ("qrscene_paced_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  ~PacedVfsTest() override { std::filesystem::remove_all(dir_); }

  // Writes 4 MB in one transaction; returns the writebacks it started.
  std::int64_t write_four_megabytes(const std::string& path, bool paced) {
    DatabaseOptions options;
    options.paced_writeback = paced;
    auto db = SqliteDatabase::open(path, options);
    EXPECT_TRUE(db) << db.error().to_string();
    if (!db) return -1;
    EXPECT_TRUE((*db)->exec("CREATE TABLE t (b BLOB)"));
    const std::int64_t before = paced_writebacks();
    EXPECT_TRUE((*db)->exec("BEGIN IMMEDIATE"));
    for (int i = 0; i < 4; ++i) EXPECT_TRUE((*db)->exec("INSERT INTO t VALUES (randomblob(1000000))"));
    EXPECT_TRUE((*db)->exec("COMMIT"));
    return paced_writebacks() - before;
  }

  std::int64_t bytes_in(const std::string& path) {
    auto db = SqliteDatabase::open(path);
    EXPECT_TRUE(db);
    if (!db) return -1;
    auto q = (*db)->prepare("SELECT count(*), sum(length(b)) FROM t");
    EXPECT_TRUE(q);
    if (!q || !q->step().value_or(false)) return -1;
    EXPECT_EQ(q->int64(0), 4);
    return q->int64(1);
  }

  std::filesystem::path dir_;
};

TEST_F(PacedVfsTest, SendsAMegabyteAtATimeAndReadsBackTheSame) {
  const std::string path = (dir_ / "paced.db").string();
  // 4 MB of WAL frames: a writeback for each megabyte but the last, which the commit's sync sends.
  EXPECT_GE(write_four_megabytes(path, true), 3);
  EXPECT_EQ(bytes_in(path), 4'000'000);
}

TEST_F(PacedVfsTest, TheDefaultVfsStartsNone) {
  const std::string path = (dir_ / "default.db").string();
  EXPECT_EQ(write_four_megabytes(path, false), 0);
  EXPECT_EQ(bytes_in(path), 4'000'000);
}

TEST_F(PacedVfsTest, ATemporaryFileIsWrittenAsBefore) {
  // No name, no descriptor to confirm: SQLite's temporary files go through unpaced.
  auto db = SqliteDatabase::open("");
  ASSERT_TRUE(db) << db.error().to_string();
  const std::int64_t before = paced_writebacks();
  ASSERT_TRUE((*db)->exec("CREATE TABLE t (b BLOB)"));
  ASSERT_TRUE((*db)->exec("INSERT INTO t VALUES (randomblob(3000000))"));
  auto q = (*db)->prepare("SELECT length(b) FROM t");
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->step().value_or(false));
  EXPECT_EQ(q->int64(0), 3'000'000);
  EXPECT_EQ(paced_writebacks(), before);
}

TEST_F(PacedVfsTest, TheAttachedLogIsPacedToo) {
  DatabaseOptions options;
  options.log_path = (dir_ / "log.db").string();
  auto db = SqliteDatabase::open((dir_ / "with-log.db").string(), options);
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE((*db)->exec("CREATE TABLE log.t (b BLOB)"));
  const std::int64_t before = paced_writebacks();
  ASSERT_TRUE((*db)->exec("INSERT INTO log.t VALUES (randomblob(3000000))"));
  EXPECT_GE(paced_writebacks() - before, 2);
}

TEST_F(PacedVfsTest, AFileWithoutSharedMemoryKeepsNone) {
  // The WAL's methods have no xShm*: SQLite must not be told otherwise (it would call a null).
  auto db = SqliteDatabase::open((dir_ / "shm.db").string());
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE((*db)->exec("CREATE TABLE t (b BLOB)"));
  sqlite3_file* wal = nullptr;
  ASSERT_EQ(sqlite3_file_control((*db)->handle(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal), SQLITE_OK);
  ASSERT_NE(wal, nullptr);
  ASSERT_NE(wal->pMethods, nullptr);
  EXPECT_EQ(wal->pMethods->xShmMap, nullptr);
  sqlite3_file* main = nullptr;
  ASSERT_EQ(sqlite3_file_control((*db)->handle(), "main", SQLITE_FCNTL_FILE_POINTER, &main), SQLITE_OK);
  EXPECT_NE(main->pMethods->xShmMap, nullptr);
}

TEST_F(PacedVfsTest, AFileThatCannotBeOpenedIsRefusedAsBefore) {
  auto db = SqliteDatabase::open((dir_ / "no-such-dir" / "x.db").string());
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().to_string().find("open"), std::string::npos) << db.error().to_string();
}

int g_failed_waits = 0;
int fail_the_wait(int fd, std::int64_t offset, std::int64_t length, unsigned int flags) {
  if (flags == SYNC_FILE_RANGE_WAIT_BEFORE) {
    ++g_failed_waits;
    errno = EIO;
    return -1;
  }
  return ::sync_file_range(fd, offset, length, flags);
}

TEST_F(PacedVfsTest, AWritebackThatFailedFailsTheCommit) {
  // The wait for a writeback is where the kernel reports it failed, once per descriptor, and the
  // descriptor is SQLite's: had the shim kept the error, SQLite's fsync would have found none and
  // the commit would have been taken for durable.
  auto db = SqliteDatabase::open((dir_ / "eio.db").string());
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE((*db)->exec("CREATE TABLE t (b BLOB)"));
  g_failed_waits = 0;
  const SyncFileRange before = set_sync_file_range_for_testing(&fail_the_wait);
  ASSERT_TRUE((*db)->exec("BEGIN IMMEDIATE"));
  ASSERT_TRUE((*db)->exec("INSERT INTO t VALUES (randomblob(3000000))"));
  const Status committed = (*db)->exec("COMMIT");
  set_sync_file_range_for_testing(before);
  EXPECT_GT(g_failed_waits, 0);
  ASSERT_FALSE(committed);
  EXPECT_NE(committed.error().to_string().find("disk I/O error"), std::string::npos) << committed.error().to_string();
}
}  // namespace
}  // namespace qrscene::store::sqlite
