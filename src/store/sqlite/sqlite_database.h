// SqliteDatabase: one SQLite connection (store::Database). Opened in WAL mode with foreign keys on
// and a busy timeout; `synchronous` FULL by default so that a committed transaction survives a
// power cut (DESIGN.md section 3: acknowledge only what is durable).
//
// Errors: as store::Database's, with SQLite's extended result code as the error's detail.
// Thread safety: a connection and its statements belong to one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/database.h"

struct sqlite3;

namespace qrscene::store::sqlite {

struct DatabaseOptions {
  bool durable = true;     // synchronous=FULL; false: NORMAL (faster, may lose the last commits on power loss)
  int busy_timeout_ms = 5'000;
  bool read_only = false;
  int cache_kib = 2'000;   // SQLite's page cache for this connection (its default: 2,000 KiB)
  // What the connection writes goes to the disk a megabyte at a time as it is written, not in one
  // burst at the sync (paced_vfs.h); false: SQLite's default VFS as it is.
  bool paced_writeback = true;
  // The event log's own file, attached as schema `log` (sqlite_store.h): "" for a connection that
  // never reads the log. Its write lock is apart from the database's, so the answer path's appends
  // never wait for the projector's transactions.
  std::string log_path;
};

class SqliteDatabase final : public Database {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SqliteDatabase>> open(const std::string& path,
                                                                     DatabaseOptions options = {});
  ~SqliteDatabase() override;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  [[nodiscard]] Status exec(std::string_view sql) override;
  [[nodiscard]] Result<Statement> prepare(std::string_view sql) override;
  [[nodiscard]] std::int64_t changes() const override;
  // Every attached file's write lock at once (the log's too, when attached).
  [[nodiscard]] Status begin() override { return exec("BEGIN IMMEDIATE"); }
  // With the log attached: a deferred transaction, whose first write takes the write lock of the
  // file it writes (the log) and no other.
  [[nodiscard]] Status begin_append() override { return log_path_.empty() ? begin() : exec("BEGIN"); }
  [[nodiscard]] bool log_apart() const noexcept override { return !log_path_.empty(); }
  [[nodiscard]] std::string_view key_lock_sql() const override { return ""; }  // one writer
  [[nodiscard]] bool log_keys_unique() const override { return false; }
  [[nodiscard]] const std::string& name() const noexcept override { return path_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] const std::string& log_path() const noexcept { return log_path_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  SqliteDatabase(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::string log_path_;
};

// Maps an SQLite result code and message to an Error.
[[nodiscard]] Error sqlite_error(int rc, std::string_view what, std::string_view message);

}  // namespace qrscene::store::sqlite
