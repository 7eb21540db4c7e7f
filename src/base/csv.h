// CSV as the imports read it (channels, conversions): RFC 4180 — quoted fields, doubled quotes,
// CRLF or LF line ends; a UTF-8 BOM is skipped and blank lines are dropped.
// Errors: kInvalidArgument naming the line where an unterminated quote opened, or the first line
// that is not UTF-8 (or holds a NUL): a workbook exported later would be corrupt.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace qrscene {

[[nodiscard]] Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text);

}  // namespace qrscene
