#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "base/encoding.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_database.h"

namespace qrscene::store::sqlite {

namespace {

// The migration that drops the database's copy of the log (migrations.cpp); before it, the log
// lived in the database.
constexpr int kLogApart = 11;

// The log's file: the log as migration 9 left it, and how far its openids are cleared
// (cleared once applied: by SqlStore's writer while it runs, by the projector after a stop).
Status create_log(SqliteDatabase& db) {
  return in_transaction(db, [&]() -> Status {
    QRSCENE_TRY(db.exec(R"sql(
CREATE TABLE IF NOT EXISTS log.event_log (
  id          INTEGER PRIMARY KEY,
  appid       TEXT NOT NULL,
  dedup_key   TEXT NOT NULL,
  kind        TEXT NOT NULL,
  name        TEXT NOT NULL,
  openid      TEXT NOT NULL DEFAULT '',
  channel_id  INTEGER,
  scene       TEXT NOT NULL DEFAULT '',
  ticket      TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  reply       TEXT NOT NULL DEFAULT '{}',
  content     TEXT NOT NULL DEFAULT '',
  event_key   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS log.log_cleared (position INTEGER NOT NULL);
INSERT INTO log.log_cleared (position) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM log.log_cleared);
CREATE TABLE IF NOT EXISTS log.log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql"));
    return Status{};
  });
}

// An older database's log copied into the log's file, ids kept. Idempotent: should the process
// stop before migration 11 drops the old table, the next start copies again (nothing twice).
Status move_log(SqliteDatabase& db) {
  QRSCENE_ASSIGN_OR_RETURN(auto q,
                           db.prepare("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'event_log'"));
  QRSCENE_ASSIGN_OR_RETURN(const bool old, q.step());
  q.reset();
  if (!old) return {};
  return in_transaction(db, [&]() -> Status {
    QRSCENE_TRY(db.exec("INSERT OR IGNORE INTO log.event_log SELECT id, appid, dedup_key, kind, name, openid, "
                        "channel_id, scene, ticket, create_time, received_at, reply, content, event_key "
                        "FROM main.event_log"));
    // The older projector cleared what it applied in place.
    return db.exec("UPDATE log.log_cleared SET position = MAX(position, (SELECT COALESCE(MAX(position), 0) FROM "
                   "main.projections WHERE name = 'ingest'))");
  });
}

// One statement's one value, "" when it has no row.
Result<std::string> one_text(SqliteDatabase& db, std::string_view sql) {
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare(sql));
  QRSCENE_ASSIGN_OR_RETURN(const bool row, q.step());
  std::string value = row ? q.text(0) : "";
  q.reset();
  return value;
}

Status refuse_log(const SqliteDatabase& db, std::string_view why) {
  return unexpected(ErrorCode::kFailedPrecondition,
                    fmt::format("{} cannot be used with {}: {}. Put back the log that belongs with the database (a "
                                "backup copies the log first, then the database: docs/deployment.md)",
                                db.log_path(), db.path(), why));
}

// The database and its log belong together: a random id kept in both (the database's first, so
// that a stop in between leaves a log without one, taken as this database's only when it reaches
// the projections' cursor). A log that is missing, another database's, or copied after the
// database (its applied events' openids cleared beyond what the database applied) is refused. A
// log that ends before the cursor (copied before the database, or its unsynced tail lost with the
// power when `durable` is off) is taken: the events it lacks were applied already, and new ones
// are numbered after the cursor (a marker row holds its id).
Status tie_log(SqliteDatabase& db) {
  QRSCENE_ASSIGN_OR_RETURN(std::string database_id, one_text(db, "SELECT value FROM main.settings WHERE key = 'log_id'"));
  QRSCENE_ASSIGN_OR_RETURN(const std::string log_id,
                           one_text(db, "SELECT value FROM log.log_meta WHERE key = 'database_id'"));
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT (SELECT COALESCE(MAX(id), 0) FROM log.event_log), "
                                              "(SELECT COALESCE(MAX(position), 0) FROM main.projections WHERE "
                                              "name = 'ingest'), (SELECT COALESCE(MAX(position), 0) FROM "
                                              "log.log_cleared)"));
  QRSCENE_TRY(q.step());
  const std::int64_t head = q.int64(0), position = q.int64(1), cleared = q.int64(2);
  q.reset();
  if (!log_id.empty() && log_id != database_id) {
    return refuse_log(db, database_id.empty() ? "the log belongs to another database (this one is new)"
                                              : "the log belongs to another database");
  }
  if (log_id.empty()) {
    if (!database_id.empty() && head < position) {
      return refuse_log(db, fmt::format("the log is missing (it ends at event {}, the database has applied up to "
                                        "event {})",
                                        head, position));
    }
    if (database_id.empty()) {
      std::array<std::uint8_t, 16> id{};
      secure_random_bytes(id);
      database_id = to_hex(id);
      QRSCENE_TRY(in_transaction(db, [&]() -> Status {
        QRSCENE_ASSIGN_OR_RETURN(auto put, db.prepare("INSERT INTO main.settings (key, value) VALUES ('log_id', ?)"));
        return put.bind(1, database_id).run();
      }));
    }
    QRSCENE_TRY(in_transaction(db, [&]() -> Status {
      QRSCENE_ASSIGN_OR_RETURN(auto put,
                               db.prepare("INSERT INTO log.log_meta (key, value) VALUES ('database_id', ?)"));
      return put.bind(1, database_id).run();
    }));
  }
  if (cleared > position) {
    return refuse_log(db, fmt::format("the log was copied after the database: the openids of events {} to {}, "
                                      "which the database has not applied, are gone from it",
                                      position + 1, cleared));
  }
  if (head < position) {
    spdlog::warn("store log_behind log={} head={} position={} — the log lacks events the database applied (a log "
                 "copied before the database, or its last commits lost with the power); new events follow the "
                 "cursor",
                 db.log_path(), head, position);
    const Status marked = in_transaction(db, [&]() -> Status {
      // The rows it holds up to the cursor are cleared soon after start (SqlStore::clear_applied).
      QRSCENE_ASSIGN_OR_RETURN(auto mark, db.prepare("INSERT INTO log.event_log (id, appid, dedup_key, kind, name, "
                                                     "create_time, received_at) VALUES (?, '', '', 'gap', 'gap', 0, ?)"));
      return mark.bind(1, position).bind(2, static_cast<std::int64_t>(std::time(nullptr))).run();
    });
    QRSCENE_TRY(marked);
  }
  return {};
}

}  // namespace

std::string log_path_for(const std::string& path) {
  constexpr std::string_view kDb = ".db";
  const bool db_suffix = path.size() > kDb.size() && path.ends_with(kDb);
  return (db_suffix ? path.substr(0, path.size() - kDb.size()) : path) + "-log.db";
}

Result<int> migrate_with_log(SqliteDatabase& db) {
  QRSCENE_TRY(create_log(db));
  const auto& all = migrations();
  QRSCENE_ASSIGN_OR_RETURN(const int at, schema_version(db));
  if (at < kLogApart) {
    // A database from before the log had a file of its own has no log yet: one that is tied to a
    // database is another's (say, a database restored from before an upgrade beside the newer
    // log), and moving rows into it would lose this database's own.
    QRSCENE_ASSIGN_OR_RETURN(const std::string tied,
                             one_text(db, "SELECT value FROM log.log_meta WHERE key = 'database_id'"));
    if (!tied.empty()) {
      return refuse_log(db, "the log belongs to another database (this one is older than its log)").error();
    }
    std::vector<Migration> before;
    for (const auto& m : all) {
      if (m.version < kLogApart) before.push_back(m);
    }
    QRSCENE_TRY(migrate(db, before));
    QRSCENE_TRY(move_log(db));
  }
  return migrate(db, all);
}

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
  DatabaseOptions plain_options;  // the database alone
  plain_options.durable = options.durable;
  DatabaseOptions log_options = plain_options;  // with the log attached
  log_options.log_path = log_path_for(options.path);
  QRSCENE_ASSIGN_OR_RETURN(auto db, SqliteDatabase::open(options.path, log_options));
  if (options.auto_migrate) {
    QRSCENE_TRY(migrate_with_log(*db));
  } else {
    QRSCENE_TRY(create_log(*db));
    QRSCENE_TRY(check_migrated(*db, migrations()));
  }
  QRSCENE_TRY(tie_log(*db));
  QRSCENE_ASSIGN_OR_RETURN(store->checkpointer_, Checkpointer::start(*db, options.checkpoints));
  // The reports read rollups a busy account keeps in megabytes (a leaderboard: 15,000 rows): a
  // cache that holds them, not SQLite's 2 MB default that reads them from the OS at every report.
  DatabaseOptions reader_options = plain_options;
  reader_options.cache_kib = 32 * 1024;
  QRSCENE_ASSIGN_OR_RETURN(auto reader, SqliteDatabase::open(options.path, reader_options));
  // Reads of the log's head for the admin reads (catch_up).
  QRSCENE_ASSIGN_OR_RETURN(auto log_reader, SqliteDatabase::open(options.path, log_options));
  // The projector's commits are as durable as the writer's: the writer clears the log of what they
  // applied right after, with its own fsync — the projection a clearing follows must not be lost
  // with the power (one fsync per batch of thousands).
  DatabaseOptions projector_options = plain_options;
  projector_options.durable = true;  // whatever `durable` says: the clearing must not outlive it
  // It reads every follower's ledger and the rollups' pages, at random: a cache that holds them
  // instead of reading them again from the OS on every batch (perf: most of its time was pread),
  // and holds a batch's dirty pages until the commit: a page spilled mid-batch would be written
  // to the WAL, sent to the disk (paced_vfs.h) and written again (15 KB per event at 32 MB, 10 KB
  // at 64 MB: docs/benchmarks.md).
  projector_options.cache_kib = 64 * 1024;
  QRSCENE_ASSIGN_OR_RETURN(auto projector, SqliteDatabase::open(options.path, projector_options));
  // It reads the log on a connection of its own (and clears it there once the writer stopped):
  // its transactions on the database never hold the log's write lock. A clearing lost with the
  // power is made again.
  DatabaseOptions projector_log_options = log_options;
  projector_log_options.durable = false;
  QRSCENE_ASSIGN_OR_RETURN(auto projector_log, SqliteDatabase::open(options.path, projector_log_options));
  store->checkpointer_->watch(*projector);  // no autocheckpoint on the projector's thread
  store->checkpointer_->watch(*projector_log);
  SqliteDatabase& setup = *db;
  std::vector<std::unique_ptr<Database>> writers;
  writers.push_back(std::move(db));
  std::vector<std::unique_ptr<Database>> readers;
  readers.push_back(std::move(reader));
  QRSCENE_TRY(store->start(setup, std::move(writers), std::move(readers),
                           {std::move(projector), std::move(projector_log), std::move(log_reader)}));
  return store;
}

SqliteStore::~SqliteStore() {
  stop();  // the writer's last commit before the checkpointer goes
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

}  // namespace qrscene::store::sqlite
