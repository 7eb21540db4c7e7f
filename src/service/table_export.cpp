#include "service/table_export.h"

#include <fmt/format.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace qrscene::service {

std::string csv_field(std::string_view value) {
  // Quoted when needed; a leading =, +, - or @ is defused so a spreadsheet does not run it.
  std::string v(value);
  if (!v.empty() && std::string_view("=+-@").find(v.front()) != std::string_view::npos) v.insert(0, "'");
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string to_csv(const Table& table) {
  std::string out = "\xEF\xBB\xBF";  // a BOM, so that Excel reads the UTF-8 names
  auto line = [&out](const auto& cells, auto&& field) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += field(cells[i]);
    }
    out += "\r\n";
  };
  line(table.head, [](const std::string& h) { return csv_field(h); });
  for (const auto& row : table.rows) {
    line(row, [](const Cell& c) {
      if (const auto* s = std::get_if<std::string>(&c)) return csv_field(*s);
      if (const auto* i = std::get_if<std::int64_t>(&c)) return std::to_string(*i);
      return fmt::format("{}", std::get<double>(c));
    });
  }
  return out;
}

Result<std::string> to_xlsx(const Table& table) {
  // libxlsxwriter 1.1.4 writes to a file only: a private temporary one, read back and removed.
  static std::atomic<std::uint64_t> counter{0};
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("qrscene-export-{}-{}.xlsx", ::getpid(), counter.fetch_add(1));
  lxw_workbook* book = workbook_new(path.c_str());
  if (book == nullptr) return unexpected(ErrorCode::kInternal, fmt::format("cannot create {}", path.string()));
  lxw_worksheet* sheet = workbook_add_worksheet(book, table.sheet.substr(0, 31).c_str());
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  for (std::size_t c = 0; c < table.head.size(); ++c) {
    worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c), table.head[c].c_str(), bold);
  }
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto row = static_cast<lxw_row_t>(r + 1);
    for (std::size_t c = 0; c < table.rows[r].size(); ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      const Cell& cell = table.rows[r][c];
      if (const auto* s = std::get_if<std::string>(&cell)) {
        if (!s->empty()) worksheet_write_string(sheet, row, col, s->c_str(), nullptr);
      } else if (const auto* i = std::get_if<std::int64_t>(&cell)) {
        worksheet_write_number(sheet, row, col, static_cast<double>(*i), nullptr);
      } else {
        worksheet_write_number(sheet, row, col, std::get<double>(cell), nullptr);
      }
    }
  }
  if (!table.head.empty()) {
    worksheet_freeze_panes(sheet, 1, 0);
    worksheet_autofilter(sheet, 0, 0, static_cast<lxw_row_t>(table.rows.size()),
                         static_cast<lxw_col_t>(table.head.size() - 1));
  }
  const lxw_error closed = workbook_close(book);  // frees the workbook whatever happens
  std::error_code ignored;
  if (closed != LXW_NO_ERROR) {
    std::filesystem::remove(path, ignored);
    return unexpected(ErrorCode::kInternal, fmt::format("writing the workbook: {}", lxw_strerror(closed)));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::filesystem::remove(path, ignored);
  if (!in) return unexpected(ErrorCode::kInternal, fmt::format("cannot read back {}", path.string()));
  return bytes.str();
}

}  // namespace qrscene::service
