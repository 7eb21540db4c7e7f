// PostgresStore: the store on a PostgreSQL server, for many `qrscene serve` instances behind a load
// balancer (docs/deployment.md): SqlStore with several writer connections (each commits its own
// groups; a follower's events are serialised by an advisory lock) and a pool of readers. The
// schema is SQLite's migrations translated (bigint columns, identity keys), applied under an
// advisory lock so that instances starting together migrate once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/migrations.h"
#include "store/sql_store.h"

namespace qrscene::store::postgres {

struct PostgresStoreOptions : StoreOptions {
  std::string url;              // libpq connection string
  std::size_t writers = 4;      // connections committing events, each its own groups
  std::size_t readers = 4;      // connections for reads, channels, jobs, logins
  bool auto_migrate = true;     // false: refuse a database that needs `qrscene migrate`
};

class PostgresStore final : public SqlStore {
 public:
  [[nodiscard]] static Result<std::unique_ptr<PostgresStore>> open(PostgresStoreOptions options, const Clock& clock);
  ~PostgresStore() override { stop(); }

 private:
  PostgresStore(const PostgresStoreOptions& options, const Clock& clock) : SqlStore(options, clock) {}
};

// The migrations as PostgreSQL runs them.
[[nodiscard]] const std::vector<Migration>& postgres_migrations();

// Applies the missing migrations on the server; the version it is at.
[[nodiscard]] Result<int> migrate_server(const std::string& url);

}  // namespace qrscene::store::postgres
