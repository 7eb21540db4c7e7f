#pragma once
// Copies the WAL back into the database file on a thread of its own, so the writer that answers
// WeChat never stops to do it (DESIGN.md section 3, group commit).
//
// SQLite's default is for the committing connection to checkpoint once the WAL holds 1000 pages:
// under load that is the writer, which then holds every waiting push while it copies and syncs.
// Here the writer only reports the WAL's size after each commit (a WAL hook); this thread, on its
// own connection, runs PASSIVE checkpoints, which never block the writer. The WAL starts over
// only when a write transaction begins with every page of it copied, which a writer that never
// pauses does not allow; so once the WAL holds `restart_pages`, the writer itself copies the few
// pages the thread has not yet reached, right after its commit, and its next transaction starts
// the WAL from the beginning. All checkpoints are PASSIVE: none waits for a reader or a writer.
// With the event log in a file of its own (attached to the writer's connection), the thread's
// checkpoints copy both files' WALs; a connection's own, after its commit, only the WAL of the
// file it committed to (the writer's: the log's, never the projector's tens of megabytes).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "store/sqlite/sqlite_database.h"

namespace qrscene::store::sqlite {

struct CheckpointOptions {
  int wal_pages = 1000;         // checkpoint once the WAL holds this many pages (SQLite's default)
  int restart_pages = 4'096;    // …and start it over once it holds this many (16 MB of 4 KB pages)
};

struct CheckpointStats {
  std::int64_t runs = 0;             // checkpoints done
  std::int64_t pages_copied = 0;     // WAL pages copied into the database file
  std::int64_t restarts = 0;         // of them, by the writer so that the WAL could start over
  std::int64_t failures = 0;         // checkpoints SQLite refused (retried at the next commit)
  std::int64_t wal_pages = 0;        // the WAL's size after the last commit
};

class Checkpointer {
 public:
  // Opens its own connection to `path` and takes over checkpointing from `writer`.
  [[nodiscard]] static Result<std::unique_ptr<Checkpointer>> start(SqliteDatabase& writer, CheckpointOptions options);
  // Another connection that commits (the projector's): its commits are handled as the writer's,
  // instead of by SQLite's autocheckpoint on its own thread. Call before it first commits.
  void watch(SqliteDatabase& connection);
  ~Checkpointer();  // after the writer's last commit: a final checkpoint, then the thread ends
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  [[nodiscard]] CheckpointStats stats() const;

 private:
  Checkpointer(std::unique_ptr<SqliteDatabase> db, CheckpointOptions options);
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  void loop();
  void checkpoint(sqlite3* db, const char* schema, int mode, bool by_writer);

  std::unique_ptr<SqliteDatabase> db_;
  CheckpointOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stopping_ = false;
  std::atomic<std::int64_t> wal_pages_{0};
  CheckpointStats stats_;  // under mu_
  std::thread thread_;
};

}  // namespace qrscene::store::sqlite
