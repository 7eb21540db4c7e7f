// The schema as numbered, forward-only migrations (DESIGN.md section 4), written once in the SQL
// SQLite reads and translated for PostgreSQL (store/postgres). A database records the migrations
// it has in schema_migrations; migrate() applies the missing ones in order, each in its own
// transaction under a lock every instance takes (so instances starting together migrate once),
// and refuses a database newer than this binary.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/database.h"

namespace qrscene::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The migrations as SQLite runs them.
[[nodiscard]] const std::vector<Migration>& migrations();

// The version the database is at (0: empty).
[[nodiscard]] Result<int> schema_version(Database& db);

// Applies what is missing; the version the database is at after migrating.
[[nodiscard]] Result<int> migrate(Database& db, const std::vector<Migration>& all);

// kFailedPrecondition unless the database has every migration (for `auto_migrate = false`).
[[nodiscard]] Status check_migrated(Database& db, const std::vector<Migration>& all);

}  // namespace qrscene::store
