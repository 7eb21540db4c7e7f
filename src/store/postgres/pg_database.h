// PgDatabase: one PostgreSQL connection (store::Database) on libpqxx. The store's `?` parameters
// become $1, $2, … and each statement is prepared on the server the first time it runs on a
// connection (again after a reconnect); SAVEPOINT and the like run as plain commands. Values
// travel as text: int64() reads integers, booleans (t/f) and numerics (rounded).
//
// A connection that broke (the server restarted, a network fault) reports kUnavailable once and is
// made again on the next statement, so a store recovers without a restart.
//
// Errors: as store::Database's; the SQLSTATE is in the message.
// Thread safety: a connection and its statements belong to one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace qrscene::store::postgres {

class PgDatabase final : public Database {
 public:
  // `url`: a libpq connection string, postgresql://user:password@host:port/dbname or key=value.
  [[nodiscard]] static Result<std::unique_ptr<PgDatabase>> open(const std::string& url);
  ~PgDatabase() override;
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  [[nodiscard]] Status exec(std::string_view sql) override;
  [[nodiscard]] Result<Statement> prepare(std::string_view sql) override;
  [[nodiscard]] std::int64_t changes() const override { return changes_; }
  [[nodiscard]] Status begin() override { return exec("BEGIN"); }
  // A transaction-scoped advisory lock on the key's 64-bit hash.
  [[nodiscard]] std::string_view key_lock_sql() const override {
    return "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))";
  }
  [[nodiscard]] std::string_view log_append_lock_sql() const override {
    return "SELECT pg_advisory_xact_lock_shared(hashtextextended('qrscene event log', 0))";
  }
  [[nodiscard]] std::string_view log_settle_lock_sql() const override {
    return "SELECT pg_advisory_xact_lock(hashtextextended('qrscene event log', 0))";
  }
  [[nodiscard]] std::string_view leader_lock_sql() const override {
    return "SELECT pg_try_advisory_lock(hashtextextended('qrscene projector', 0))";
  }
  [[nodiscard]] Status relax_durability() override { return exec("SET synchronous_commit = off"); }
  [[nodiscard]] bool appends_many_rows() const override { return true; }
  [[nodiscard]] const std::string& name() const noexcept override { return name_; }

  // Runs a statement made by prepare(): `prepared` names it ("" runs `sql` as a plain command).
  // Rows come back as an opaque result PgStatement reads.
  struct Rows;
  [[nodiscard]] Result<std::shared_ptr<const Rows>> run(const std::string& prepared, const std::string& sql,
                                                        const std::vector<std::optional<std::string>>& params);

 private:
  PgDatabase(std::string url, std::string name);
  Status connect();

  std::string url_;
  std::string name_;
  struct Connection;                  // libpqxx's connection and its open nontransaction
  std::unique_ptr<Connection> conn_;
  std::unordered_map<std::string, std::string> names_;  // SQL → its statement's name
  std::unordered_set<std::string> prepared_;             // names prepared on this connection
  std::int64_t changes_ = 0;
};

// The connection string with the password left out ("postgresql://host:port/dbname").
[[nodiscard]] std::string describe_url(const std::string& url);

// `?` → `$1`, `$2`, … outside quoted strings.
[[nodiscard]] std::string number_parameters(std::string_view sql);

}  // namespace qrscene::store::postgres
