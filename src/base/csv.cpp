#include "base/csv.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"

namespace qrscene {

Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (const std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    const auto line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("line {}: not UTF-8 text (byte 0x{:02x}); save the file as CSV UTF-8 and upload it again",
                                  line, static_cast<unsigned char>(text[bad])));
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  std::size_t line = 1, quote_line = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
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
    } else if (ch == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));  // blank lines are skipped
      row.clear();
      ++line;
    } else {
      field += ch;
      field_started = true;
    }
  }
  if (quoted) return unexpected(ErrorCode::kInvalidArgument, fmt::format("csv: the quote opened on line {} is never closed", quote_line));
  if (field_started || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace qrscene
