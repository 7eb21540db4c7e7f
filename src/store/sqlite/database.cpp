#include "store/sqlite/database.h"

#include <fmt/format.h>
#include <sqlite3.h>

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

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind(index, std::nullopt);
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(sqlite3_extended_errcode(db_), sqlite3_sql(stmt_), sqlite3_errmsg(db_));
}

Status Statement::run() {
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, column));
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Result<std::unique_ptr<Database>> Database::open(const std::string& path, DatabaseOptions options) {
  sqlite3* db = nullptr;
  const int flags = (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(rc, fmt::format("open {}", path), db != nullptr ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return e;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  std::unique_ptr<Database> out(new Database(db, path));
  QRSCENE_TRY(out->exec("PRAGMA foreign_keys = ON"));
  // Deleted rows are overwritten, not just unlinked: an unfollower's openid must not linger in
  // free pages (DESIGN.md section 4, privacy).
  QRSCENE_TRY(out->exec("PRAGMA secure_delete = ON"));
  if (!options.read_only) {
    QRSCENE_TRY(out->exec("PRAGMA journal_mode = WAL"));
    QRSCENE_TRY(out->exec(options.durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  }
  return out;
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  Error e = sqlite_error(sqlite3_extended_errcode(db_), text.substr(0, 80), message != nullptr ? message : "");
  sqlite3_free(message);
  return e;
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(rc, sql.substr(0, 80), sqlite3_errmsg(db_));
  return Statement(db_, stmt);
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

}  // namespace qrscene::store::sqlite
