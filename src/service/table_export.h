// Tables the admin API exports (the channel breakdown, the follower list) as CSV or XLSX.
// CSV: RFC 4180 with a UTF-8 BOM so Excel reads Chinese names, and text cells starting with
// = + - @ defused (CSV injection). XLSX: libxlsxwriter, numbers as numbers, a bold frozen header
// and a filter on it.
//
// Thread safety: plain functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace qrscene::service {

using Cell = std::variant<std::string, std::int64_t, double>;

struct Table {
  std::string sheet;  // the XLSX sheet's name (at most 31 characters)
  std::vector<std::string> head;
  std::vector<std::vector<Cell>> rows;
};

// One CSV field: quoted when needed, a formula-like start defused.
[[nodiscard]] std::string csv_field(std::string_view value);
[[nodiscard]] std::string to_csv(const Table& table);
// The workbook's bytes. Errors: kInternal when libxlsxwriter fails (its message).
[[nodiscard]] Result<std::string> to_xlsx(const Table& table);

inline constexpr std::string_view kXlsxContentType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

}  // namespace qrscene::service
