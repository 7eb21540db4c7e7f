// Database and Statement: one connection to the store of record and its prepared statements, as
// the store's SQL needs them — SQLite (store/sqlite) or PostgreSQL (store/postgres). The store's
// queries are written once, with `?` parameters and the SQL both databases accept; what differs
// (how a write transaction begins, how a follower's events are serialised across instances) is
// asked of the Database.
//
// Errors: kUnavailable for I/O, connection and locking failures (the caller may retry),
// kInvalidArgument for SQL errors (a bug), kAlreadyExists for a UNIQUE violation; the message has
// the database's own text.
// Thread safety: a Database and its statements belong to one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace qrscene::store {

// What a database does with one prepared statement (implemented per database).
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void bind(int index, std::int64_t value) = 0;
  virtual void bind(int index, std::string_view value) = 0;
  virtual void bind_null(int index) = 0;
  [[nodiscard]] virtual Result<bool> step() = 0;
  virtual void reset() = 0;
  [[nodiscard]] virtual std::int64_t int64(int column) const = 0;
  [[nodiscard]] virtual std::string text(int column) const = 0;
  [[nodiscard]] virtual bool is_null(int column) const = 0;
};

class Statement {
 public:
  explicit Statement(std::unique_ptr<StatementImpl> impl) : impl_(std::move(impl)) {}

  // 1-based parameters, in the order of the `?`s.
  Statement& bind(int index, std::int64_t value) {
    impl_->bind(index, value);
    return *this;
  }
  Statement& bind(int index, std::string_view value) {
    impl_->bind(index, value);
    return *this;
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, std::nullopt_t) {
    impl_->bind_null(index);
    return *this;
  }
  Statement& bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }

  // true: a row is ready; false: done. The first step after reset() runs the statement.
  [[nodiscard]] Result<bool> step() { return impl_->step(); }
  // Runs to completion, ignoring rows.
  [[nodiscard]] Status run() {
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, step());
      if (!row) return {};
    }
  }
  // Ready to run again; the bindings are cleared.
  void reset() { impl_->reset(); }

  // 0-based columns of the current row.
  [[nodiscard]] std::int64_t int64(int column) const { return impl_->int64(column); }
  [[nodiscard]] std::string text(int column) const { return impl_->text(column); }
  [[nodiscard]] bool is_null(int column) const { return impl_->is_null(column); }

 private:
  std::unique_ptr<StatementImpl> impl_;
};

class Database {
 public:
  virtual ~Database() = default;
  [[nodiscard]] virtual Status exec(std::string_view sql) = 0;
  [[nodiscard]] virtual Result<Statement> prepare(std::string_view sql) = 0;
  // Rows the last INSERT, UPDATE or DELETE changed.
  [[nodiscard]] virtual std::int64_t changes() const = 0;
  // Begins a transaction that writes (SQLite takes the write lock at once).
  [[nodiscard]] virtual Status begin() = 0;
  // Begins the answer path's append: a write transaction on the event log alone where the log has
  // a file of its own (SQLite); begin() elsewhere.
  [[nodiscard]] virtual Status begin_append() { return begin(); }
  // True when the event log is a file of its own attached as schema `log` (SQLite).
  [[nodiscard]] virtual bool log_apart() const noexcept { return false; }
  // A statement with one text parameter that holds, until the transaction ends, a lock on that key
  // among every connection to the database; "" when the database has one writer anyway.
  [[nodiscard]] virtual std::string_view key_lock_sql() const = 0;
  // The log's order (DESIGN.md §3) with several writers: each append transaction first runs
  // log_append_lock_sql (a shared lock); the projector runs log_settle_lock_sql (the same lock,
  // exclusive) before reading the log's head, so no append with a lower id is still in flight.
  // leader_lock_sql (no parameters) answers true when this connection holds, for its lifetime, the
  // one projector's place. All "" when the database has one writer anyway.
  [[nodiscard]] virtual std::string_view log_append_lock_sql() const { return ""; }
  [[nodiscard]] virtual std::string_view log_settle_lock_sql() const { return ""; }
  [[nodiscard]] virtual std::string_view leader_lock_sql() const { return ""; }
  // For a connection whose commits need no durability of their own (the projector's: what it
  // loses with the power it applies again from the log): PostgreSQL stops waiting for the WAL
  // flush at each commit. SQLite's projector keeps its fsync (sqlite_store.cpp: the writer clears
  // the log's own file after each batch).
  [[nodiscard]] virtual Status relax_durability() { return {}; }
  // True when one statement appending many rows beats one per row: each statement is a network
  // round trip (PostgreSQL), not a call into the same process (SQLite).
  [[nodiscard]] virtual bool appends_many_rows() const { return false; }
  // True when the log's dedup key has a unique index (several writers, several instances: the
  // database is the one place that sees every copy of a push). SQLite has one writer, which finds
  // WeChat's retries among the pushes it appended lately (store/recent_pushes.h) and keeps the
  // log's pages in append order: a unique index keyed by a hash puts every new key on a page of
  // its own (4 KB written per push; docs/benchmarks.md).
  [[nodiscard]] virtual bool log_keys_unique() const { return true; }
  // The file or server, for messages (no password).
  [[nodiscard]] virtual const std::string& name() const noexcept = 0;
};

// Runs `body` inside a write transaction, rolling back when it fails or the commit does.
// `body` returns a Status or a Result; its statements must be done (reset or destroyed) by then.
template <typename F>
auto in_transaction(Database& db, F&& body) -> decltype(body()) {
  QRSCENE_TRY(db.begin());
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

}  // namespace qrscene::store
