// CSV as the imports read it (channels, conversions): RFC 4180 — quoted fields, doubled quotes,
// CRLF or LF line ends; a UTF-8 BOM is skipped and blank lines are dropped.
// Text that is not UTF-8 (or holds a NUL) is refused naming its first line: a workbook exported
// later would be corrupt.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace qrscene {

// A row and the line of the text it starts on (1-based; a quoted field may run over several).
struct CsvRow {
  std::size_t line = 0;
  std::vector<std::string> cells;
};
// A line that could not be read as part of a row.
struct CsvProblem {
  std::size_t line = 0;
  std::string message;
};
struct CsvText {
  std::vector<CsvRow> rows;
  std::vector<CsvProblem> problems;
};

// Reads every row it can: a quote that is never closed leaves its row out (a problem naming its
// line) and reading starts again on the next line, so one mistake costs one row, not the rest of
// the file. Errors: text that is not UTF-8 (the whole text is refused, naming the first bad line).
[[nodiscard]] Result<CsvText> read_csv(std::string_view text);

// The rows alone, or an error for the first problem (the fuzz target's strict reading).
[[nodiscard]] Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text);

}  // namespace qrscene
