#include "store/sqlite/checkpointer.h"

#include <sqlite3.h>

#include "base/thread_name.h"

namespace qrscene::store::sqlite {

Result<std::unique_ptr<Checkpointer>> Checkpointer::start(SqliteDatabase& writer, CheckpointOptions options) {
  DatabaseOptions options_for_copies;
  options_for_copies.log_path = writer.log_path();  // the log's file too: a null schema below copies every file
  QRSCENE_ASSIGN_OR_RETURN(auto db, SqliteDatabase::open(writer.path(), options_for_copies));
  std::unique_ptr<Checkpointer> c(new Checkpointer(std::move(db), options));
  // Replaces SQLite's own autocheckpoint hook on the writer's connection.
  sqlite3_wal_hook(writer.handle(), &Checkpointer::on_commit, c.get());
  c->thread_ = std::thread([p = c.get()] {
    name_this_thread("qrs-checkpoint");
    p->loop();
  });
  return c;
}

void Checkpointer::watch(SqliteDatabase& connection) {
  sqlite3_wal_hook(connection.handle(), &Checkpointer::on_commit, this);
}

Checkpointer::Checkpointer(std::unique_ptr<SqliteDatabase> db, CheckpointOptions options)
    : db_(std::move(db)), options_(options) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// On the writer's thread, right after a commit: usually only a note and a wake-up.
int Checkpointer::on_commit(void* self, sqlite3* writer, const char* schema, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  c->wal_pages_.store(pages, std::memory_order_relaxed);
  if (pages >= c->options_.restart_pages) {
    // The thread has copied all but the last few commits; the writer copies those itself (of
    // the file it committed to: `schema`), so that nothing is left when its next transaction
    // begins and the WAL starts over. PASSIVE:
    // it waits for nobody (busy when the thread is copying: then at the next commit).
    c->checkpoint(writer, schema, SQLITE_CHECKPOINT_PASSIVE, true);
  } else if (pages >= c->options_.wal_pages) {
    {
      std::lock_guard lock(c->mu_);
      c->due_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return due_ || stopping_; });
    if (stopping_) break;
    due_ = false;
    lock.unlock();
    checkpoint(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, false);
    lock.lock();
  }
  lock.unlock();
  checkpoint(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, false);
}

void Checkpointer::checkpoint(sqlite3* db, const char* schema, int mode, bool by_writer) {
  int log = 0;
  int copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db, schema, mode, &log, &copied);
  std::lock_guard lock(mu_);
  if (rc != SQLITE_OK) {
    if (!by_writer) ++stats_.failures;  // the writer's busy attempts are expected: the thread was copying
    return;
  }
  ++stats_.runs;
  stats_.pages_copied += copied;
  if (by_writer) ++stats_.restarts;
}

CheckpointStats Checkpointer::stats() const {
  std::lock_guard lock(mu_);
  CheckpointStats s = stats_;
  s.wal_pages = wal_pages_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace qrscene::store::sqlite
