// SqliteStore: the store on one SQLite file (one machine): SqlStore with one writer connection,
// one reader and the WAL checkpoints on a thread of their own.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "store/sql_store.h"
#include "store/sqlite/checkpointer.h"

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

// Applies the missing migrations to the file; the version it is at.
[[nodiscard]] Result<int> migrate_file(const std::string& path);

}  // namespace qrscene::store::sqlite
