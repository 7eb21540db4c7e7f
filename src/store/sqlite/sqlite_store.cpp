#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"

namespace qrscene::store::sqlite {

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(SqliteStoreOptions options, const Clock& clock) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, clock));
  // A lock file beside the database, not the database itself: closing a descriptor of the database
  // would drop SQLite's own POSIX locks on it.
  const std::string lock_path = options.path + "-lock";
  store->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (store->lock_fd_ < 0) {
    return unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("cannot write {}: {} — qrscene keeps it beside the database, with -wal and "
                                  "-shm: fix the directory's owner or mode, or the mount",
                                  lock_path, std::strerror(errno)));
  }
  if (::flock(store->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{} is in use by another qrscene: one process per SQLite file (several "
                                  "instances share PostgreSQL, docs/deployment.md)",
                                  options.path));
  }
  DatabaseOptions db_options;
  db_options.durable = options.durable;
  QRSCENE_ASSIGN_OR_RETURN(auto db, SqliteDatabase::open(options.path, db_options));
  if (options.auto_migrate) {
    QRSCENE_TRY(migrate(*db, migrations()));
  } else {
    QRSCENE_TRY(check_migrated(*db, migrations()));
  }
  QRSCENE_ASSIGN_OR_RETURN(store->checkpointer_, Checkpointer::start(*db, options.checkpoints));
  // The reports read rollups a busy account keeps in megabytes (a leaderboard: 15,000 rows): a
  // cache that holds them, not SQLite's 2 MB default that reads them from the OS at every report.
  DatabaseOptions reader_options = db_options;
  reader_options.cache_kib = 32 * 1024;
  QRSCENE_ASSIGN_OR_RETURN(auto reader, SqliteDatabase::open(options.path, reader_options));
  // The projector's commits need no fsync of their own: its cursor commits with its rows, so a
  // projection lost with the power is applied again from the log (which the writer fsyncs).
  DatabaseOptions projector_options = db_options;
  projector_options.durable = false;
  // It reads every follower's ledger and the rollups' pages, at random: a cache that holds them
  // instead of reading them again from the OS on every batch (perf: most of its time was pread).
  projector_options.cache_kib = 32 * 1024;
  QRSCENE_ASSIGN_OR_RETURN(auto projector, SqliteDatabase::open(options.path, projector_options));
  store->checkpointer_->watch(*projector);  // no autocheckpoint on the projector's thread
  SqliteDatabase& setup = *db;
  std::vector<std::unique_ptr<Database>> writers;
  writers.push_back(std::move(db));
  std::vector<std::unique_ptr<Database>> readers;
  readers.push_back(std::move(reader));
  QRSCENE_TRY(store->start(setup, std::move(writers), std::move(readers), std::move(projector)));
  return store;
}

SqliteStore::~SqliteStore() {
  stop();  // the writer's last commit before the checkpointer goes
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<int> migrate_file(const std::string& path) {
  QRSCENE_ASSIGN_OR_RETURN(auto db, SqliteDatabase::open(path));
  return migrate(*db, migrations());
}

}  // namespace qrscene::store::sqlite
