// Database: one SQLite connection, with prepared statements that finalize themselves. Opened in
// WAL mode with foreign keys on and a busy timeout; `synchronous` FULL by default so that a
// committed transaction survives a power cut (DESIGN.md section 3: acknowledge only what is
// durable).
//
// Errors: kUnavailable for I/O and locking failures, kInvalidArgument for SQL errors (a bug),
// kAlreadyExists for a UNIQUE violation; the message has SQLite's text.
// Thread safety: a Database and its statements belong to one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace qrscene::store::sqlite {

struct DatabaseOptions {
  bool durable = true;     // synchronous=FULL; false: NORMAL (faster, may lose the last commits on power loss)
  int busy_timeout_ms = 5'000;
  bool read_only = false;
};

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  // 1-based parameters, as SQLite counts them.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, std::nullopt_t);
  Statement& bind(int index, const std::optional<std::int64_t>& value);

  // true: a row is ready; false: done.
  [[nodiscard]] Result<bool> step();
  // Runs to completion, ignoring rows.
  [[nodiscard]] Status run();
  void reset();

  [[nodiscard]] std::int64_t int64(int column) const;
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Database>> open(const std::string& path, DatabaseOptions options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  [[nodiscard]] Status exec(std::string_view sql);
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);
  [[nodiscard]] std::int64_t last_insert_id() const;
  [[nodiscard]] int changes() const;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// Runs `body` inside BEGIN IMMEDIATE … COMMIT, rolling back when it fails or the commit does.
// `body` returns a Status or a Result; its statements must be done (reset or destroyed) by then.
template <typename F>
auto in_transaction(Database& db, F&& body) -> decltype(body()) {
  QRSCENE_TRY(db.exec("BEGIN IMMEDIATE"));
  auto result = body();
  if (!result) {
    (void)db.exec("ROLLBACK");
    return result;
  }
  if (auto committed = db.exec("COMMIT"); !committed) {
    (void)db.exec("ROLLBACK");
    return committed.error();
  }
  return result;
}

// Maps an SQLite result code and message to an Error.
[[nodiscard]] Error sqlite_error(int rc, std::string_view what, std::string_view message);

}  // namespace qrscene::store::sqlite
