#include "service/table_export.h"

#include <fmt/format.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/strings.h"

namespace qrscene::service {

std::string csv_field(std::string_view value) {
  // A leading =, +, -, @, TAB or CR is defused so a spreadsheet does not run it (OWASP's CSV
  // injection list); quoted when it holds a separator (comma, semicolon for European Excel, TAB),
  // a quote or a line end.
  std::string v(value);
  if (!v.empty() && std::string_view("=+-@\t\r").find(v.front()) != std::string_view::npos) v.insert(0, "'");
  if (v.find_first_of(",;\t\"\r\n") == std::string::npos) return v;
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

namespace {

// What a workbook's XML can hold: each byte that is not UTF-8, and each control character XML 1.0
// forbids, becomes U+FFFD (a row stored before input was checked must not corrupt the file).
std::string xml_text(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  while (!value.empty()) {
    const std::size_t bad = first_invalid_utf8(value);
    const std::string_view good = value.substr(0, bad);
    for (char ch : good) {
      const auto u = static_cast<unsigned char>(ch);
      if (u < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
        out += "\xEF\xBF\xBD";
      } else {
        out += ch;
      }
    }
    if (bad == std::string_view::npos) break;
    out += "\xEF\xBF\xBD";
    value.remove_prefix(bad + 1);
  }
  return out;
}

}  // namespace

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
    worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(c), xml_text(table.head[c]).c_str(), bold);
  }
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto row = static_cast<lxw_row_t>(r + 1);
    for (std::size_t c = 0; c < table.rows[r].size(); ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      const Cell& cell = table.rows[r][c];
      if (const auto* s = std::get_if<std::string>(&cell)) {
        if (!s->empty()) worksheet_write_string(sheet, row, col, xml_text(*s).c_str(), nullptr);
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
