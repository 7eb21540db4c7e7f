#include "base/csv.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"

namespace qrscene {

Result<CsvText> read_csv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (const std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    const auto line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("line {}: not UTF-8 text (byte 0x{:02x}); save the file as CSV UTF-8 and upload it again",
                                  line, static_cast<unsigned char>(text[bad])));
  }
  CsvText out;
  std::size_t start = 0, start_line = 1;
  for (;;) {
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, field_started = false;
    std::size_t line = start_line, row_line = start_line, quote_line = 0, quote_at = 0;
    for (std::size_t i = start; i < text.size(); ++i) {
      const char ch = text[i];
      if (quoted) {
        if (ch == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            ++i;
          } else {
            quoted = false;
          }
        } else {
          if (ch == '\n') ++line;
          field += ch;
        }
        continue;
      }
      if (ch == '"' && !field_started) {
        quoted = true;
        field_started = true;
        quote_line = line;
        quote_at = i;
      } else if (ch == ',') {
        row.push_back(std::move(field));
        field.clear();
        field_started = false;
      } else if (ch == '\n' || ch == '\r') {
        if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        row.push_back(std::move(field));
        field.clear();
        field_started = false;
        if (!(row.size() == 1 && row[0].empty())) out.rows.push_back(CsvRow{row_line, std::move(row)});  // blank lines are skipped
        row.clear();
        row_line = ++line;
      } else {
        field += ch;
        field_started = true;
      }
    }
    if (quoted) {
      // The quote swallowed the rest of the text: its row is left out, and reading starts again on
      // the line after the quote's, so that the rows after it are kept.
      out.problems.push_back(CsvProblem{quote_line, "a quote opened on this line is never closed"});
      const std::size_t end = text.find('\n', quote_at);
      if (end == std::string_view::npos) break;
      start = end + 1;
      start_line = quote_line + 1;
      continue;
    }
    if (field_started || !row.empty()) {
      row.push_back(std::move(field));
      out.rows.push_back(CsvRow{row_line, std::move(row)});
    }
    break;
  }
  return out;
}

Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text) {
  QRSCENE_ASSIGN_OR_RETURN(auto read, read_csv(text));
  if (!read.problems.empty()) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("csv: the quote opened on line {} is never closed", read.problems.front().line));
  }
  std::vector<std::vector<std::string>> rows;
  rows.reserve(read.rows.size());
  for (auto& r : read.rows) rows.push_back(std::move(r.cells));
  return rows;
}

}  // namespace qrscene
