// The schema as numbered, forward-only migrations (DESIGN.md section 4). A database records the
// migrations it has in schema_migrations; migrate() applies the missing ones in order, each in
// its own transaction, and refuses a database newer than this binary.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/sqlite/database.h"

namespace qrscene::store::sqlite {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

[[nodiscard]] const std::vector<Migration>& migrations();

// The version the database is at after migrating.
[[nodiscard]] Result<int> migrate(Database& db);

}  // namespace qrscene::store::sqlite
