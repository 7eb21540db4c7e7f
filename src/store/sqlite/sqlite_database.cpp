#include "store/sqlite/sqlite_database.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <mutex>

#include "store/sqlite/paced_vfs.h"

namespace qrscene::store::sqlite {

Error sqlite_error(int rc, std::string_view what, std::string_view message) {
  ErrorCode code = ErrorCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL: case SQLITE_NOMEM: case SQLITE_READONLY:
      code = ErrorCode::kUnavailable;
      break;
    case SQLITE_CONSTRAINT:
      code = rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ? ErrorCode::kAlreadyExists
                                                                                 : ErrorCode::kInvalidArgument;
      break;
    case SQLITE_ERROR: case SQLITE_MISMATCH: case SQLITE_RANGE: code = ErrorCode::kInvalidArgument; break;
    case SQLITE_CORRUPT: case SQLITE_NOTADB: code = ErrorCode::kInternal; break;
    default: break;
  }
  return unexpected(code, fmt::format("sqlite: {}: {}", what, message), rc);
}

namespace {

class SqliteStatement final : public StatementImpl {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind(int index, std::int64_t value) override { sqlite3_bind_int64(stmt_, index, value); }
  void bind(int index, std::string_view value) override {
    sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void bind_null(int index) override { sqlite3_bind_null(stmt_, index); }

  Result<bool> step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(sqlite3_extended_errcode(db_), sqlite3_sql(stmt_), sqlite3_errmsg(db_));
  }

  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t int64(int column) const override { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) const override {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, column));
  }
  bool is_null(int column) const override { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const std::string& path, DatabaseOptions options) {
  // Before SQLite's first use: no memory statistics, whose global mutex every allocation of every
  // connection would otherwise take (docs/benchmarks.md).
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  const int flags = (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, options.paced_writeback ? paced_vfs() : nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(rc, fmt::format("open {}", path), db != nullptr ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return e;
  }
  // SQLite opens a file it may not write read-only, without a word: every push would then fail.
  if (!options.read_only && sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close(db);
    return unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("cannot write {0}: the file, its directory or its file system is read-only for this "
                                  "user (uid {1}); qrscene writes it and creates {0}-wal and {0}-shm beside it: fix "
                                  "the owner, the mode or the mount",
                                  path, ::getuid()));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  std::unique_ptr<SqliteDatabase> out(new SqliteDatabase(db, path));
  QRSCENE_TRY(out->exec("PRAGMA foreign_keys = ON"));
  // Deleted rows are overwritten, not just unlinked: an unfollower's openid must not linger in
  // free pages (DESIGN.md section 4, privacy).
  QRSCENE_TRY(out->exec("PRAGMA secure_delete = ON"));
  QRSCENE_TRY(out->exec(fmt::format("PRAGMA cache_size = -{}", options.cache_kib)));
  if (!options.read_only) {
    QRSCENE_TRY(out->exec("PRAGMA journal_mode = WAL"));
    QRSCENE_TRY(out->exec(options.durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  }
  if (!options.log_path.empty()) {
    QRSCENE_ASSIGN_OR_RETURN(auto attach, out->prepare("ATTACH DATABASE ? AS log"));
    QRSCENE_TRY(attach.bind(1, options.log_path).run());
    if (!options.read_only && sqlite3_db_readonly(db, "log") == 1) {
      return unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("cannot write {0}: the file, its directory or its file system is read-only for "
                                    "this user (uid {1}); qrscene keeps its event log there, beside {2}: fix the "
                                    "owner, the mode or the mount",
                                    options.log_path, ::getuid(), path));
    }
    // Pragmas are per file: the log's as the database's.
    QRSCENE_TRY(out->exec("PRAGMA log.secure_delete = ON"));
    QRSCENE_TRY(out->exec(fmt::format("PRAGMA log.cache_size = -{}", options.cache_kib)));
    if (!options.read_only) {
      QRSCENE_TRY(out->exec("PRAGMA log.journal_mode = WAL"));
      QRSCENE_TRY(out->exec(options.durable ? "PRAGMA log.synchronous = FULL" : "PRAGMA log.synchronous = NORMAL"));
    }
    out->log_path_ = options.log_path;
  }
  return out;
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close_v2(db_); }

Status SqliteDatabase::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  Error e = sqlite_error(sqlite3_extended_errcode(db_), text.substr(0, 80), message != nullptr ? message : "");
  sqlite3_free(message);
  return e;
}

Result<Statement> SqliteDatabase::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(rc, sql.substr(0, 80), sqlite3_errmsg(db_));
  return Statement(std::make_unique<SqliteStatement>(db_, stmt));
}

std::int64_t SqliteDatabase::changes() const { return sqlite3_changes64(db_); }

}  // namespace qrscene::store::sqlite
