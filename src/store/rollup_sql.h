// The SQL the rollup tables share (channel_daily, account_daily, segment_daily): their counters
// and the upsert that adds a delta to a row. Internal to store/.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace qrscene::store {

// PostgreSQL's advisory lock (Database::key_lock_sql) taken by the projector while it credits a
// batch to groups and owners, and by a change of a channel's group or owner, which moves the
// channel's history between segments: neither sees the other half done.
inline constexpr std::string_view kSegmentsLockKey = "qrscene channel segments";

// The six counters, `extra` (account_daily's organic pair), then the four cohort losses: the
// order every rollup statement binds them in.
inline std::vector<std::string_view> rollup_columns(std::initializer_list<std::string_view> extra = {}) {
  std::vector<std::string_view> c = {"scans", "new_follows", "first_follows", "re_follows", "existing_scans",
                                     "unfollows"};
  c.insert(c.end(), extra.begin(), extra.end());
  c.insert(c.end(), {"left_5m", "left_24h", "left_7d", "left_30d"});
  return c;
}

// ON CONFLICT (key...) DO UPDATE SET column = table.column + excluded.column, ...
inline std::string on_conflict_adding(std::string_view table, std::initializer_list<std::string_view> key,
                                      const std::vector<std::string_view>& columns) {
  std::string adds;
  for (std::string_view c : columns) {
    adds += fmt::format("{}{} = {}.{} + excluded.{}", adds.empty() ? "" : ", ", c, table, c, c);
  }
  return fmt::format(" ON CONFLICT ({}) DO UPDATE SET {}", fmt::join(key, ", "), adds);
}

// "(?, ?), (?, ?)": `rows` rows of `columns` parameters, for VALUES.
inline std::string value_rows(std::size_t rows, std::size_t columns) {
  std::string row = "(?";
  for (std::size_t c = 1; c < columns; ++c) row += ", ?";
  row += ")";
  std::string out = row;
  for (std::size_t r = 1; r < rows; ++r) out += ", " + row;
  return out;
}

// INSERT INTO `table` (key..., columns...) VALUES `rows` rows plus on_conflict_adding: a delta
// added to each row, made if missing (no key twice in one statement).
inline std::string upsert_adding(std::string_view table, std::initializer_list<std::string_view> key,
                                 const std::vector<std::string_view>& columns, std::size_t rows = 1) {
  return fmt::format("INSERT INTO {} ({}, {}) VALUES {}{}", table, fmt::join(key, ", "), fmt::join(columns, ", "),
                     value_rows(rows, key.size() + columns.size()), on_conflict_adding(table, key, columns));
}

}  // namespace qrscene::store
