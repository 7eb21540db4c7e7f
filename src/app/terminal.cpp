#include "app/terminal.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "domain/conversion.h"

namespace qrscene::app {

std::size_t display_width(std::string_view s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += len >= 3 ? 2 : 1;
    i += len;
  }
  return w;
}

void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = display_width(head[i]);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - display_width(cells[i]) + 2, ' ');
    }
    fmt::print("{}\n", out);
  };
  line(head);
  for (const auto& r : rows) line(r);
}

std::string str(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "–";
  return j.dump();
}

std::string when(const nlohmann::json& t) {
  if (!t.is_number_integer()) return "–";
  constexpr std::int64_t kBeijing = 8 * 3600;
  return domain::time_label(t.get<std::int64_t>(), kBeijing).substr(0, 16);
}

Progress::Progress(std::string label, std::size_t total)
    : label_(std::move(label)), total_(std::max<std::size_t>(total, 1)) {}

void Progress::update(std::size_t done) {
  const auto tenth = done * 10 / total_;
  if (::isatty(STDERR_FILENO)) {
    const std::size_t filled = done * 30 / total_;
    fmt::print(stderr, "\r{} [{}{}] {}/{}", label_, std::string(filled, '#'), std::string(30 - filled, '.'), done,
               total_);
    if (done >= total_) fmt::print(stderr, "\n");
  } else if (tenth != last_tenth_ || done >= total_) {
    fmt::print(stderr, "{}: {}/{}\n", label_, done, total_);
  }
  last_tenth_ = tenth;
}

}  // namespace qrscene::app
