// SqliteStore: the store on SQLite (one machine): SqlStore with one writer connection, one reader
// and the WAL checkpoints on a thread of their own.
//
// Two files: the database (`qrscene.db`: everything but the log) and the event log beside it
// (`qrscene-log.db`, log_path_for()), attached to the connections that read or append the log as
// schema `log`. SQLite has one write lock per file: the writer appends to the log while the
// projector writes the database, and neither waits for the other's transactions. The projector's
// cursor commits with its projections in the database; the log is the one file fsync'd per group.
// A login scan's session change and its log row are two files' commits, the database's first:
// a push lost between them is not acknowledged, and WeChat's retry decides the session again.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "store/sql_store.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/sqlite_database.h"

namespace qrscene::store::sqlite {

struct SqliteStoreOptions : StoreOptions {
  std::string path;                  // the database file (created when missing)
  bool durable = true;               // synchronous=FULL
  bool auto_migrate = true;          // false: refuse a file that needs `qrscene migrate`
  CheckpointOptions checkpoints;     // WAL checkpoints on a thread of their own
};

class SqliteStore final : public SqlStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SqliteStore>> open(SqliteStoreOptions options, const Clock& clock);
  ~SqliteStore() override;

  // The WAL checkpoints so far, and the WAL's size.
  [[nodiscard]] CheckpointStats checkpoints() const { return checkpointer_->stats(); }

 private:
  SqliteStore(const SqliteStoreOptions& options, const Clock& clock) : SqlStore(options, clock) {}
  // `<path>-lock`, held (flock) while the store is open: one process per file, since WeChat's
  // retries are found in the one writer's memory (store/recent_pushes.h).
  int lock_fd_ = -1;
  std::unique_ptr<Checkpointer> checkpointer_;  // outlives the writer, whose commits it hears of
};

// The event log's file beside the database at `path`: `x.db` → `x-log.db`, `x` → `x-log.db`.
[[nodiscard]] std::string log_path_for(const std::string& path);

// Applies the missing migrations to `db` (opened with the log attached): moves an older database's
// log into the log's file first (migration 11 then drops it from the database). The version it is at.
[[nodiscard]] Result<int> migrate_with_log(SqliteDatabase& db);

}  // namespace qrscene::store::sqlite
