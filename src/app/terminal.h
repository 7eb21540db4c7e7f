// What the operators' CLI shows people on a terminal: plain tables on stdout (print_table, with
// str() for a JSON value as a cell) and a progress bar on stderr (Progress).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qrscene::app {

// A plain table: columns sized to their widest cell (counting a CJK character as two).
// display_width counts the columns of UTF-8 text: two for a character of three or four bytes,
// one for any other.
std::size_t display_width(std::string_view s);
// Prints `head`, then `rows`, on stdout: cells two spaces apart, the last cell of a row unpadded.
void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows);

// A JSON value as a cell: a string as it is, null as "–", anything else as its JSON.
std::string str(const nlohmann::json& j);
// Unix seconds (a JSON integer) as "2026-12-06 14:05" Beijing time, the people's time of these
// tables (exports use the store's offset); "–" for anything else.
std::string when(const nlohmann::json& t);

// A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise.
class Progress {
 public:
  Progress(std::string label, std::size_t total);
  // Shows `done` of the total (a total of 0 counts as 1).
  void update(std::size_t done);

 private:
  std::string label_;
  std::size_t total_;
  std::size_t last_tenth_ = static_cast<std::size_t>(-1);
};

}  // namespace qrscene::app
