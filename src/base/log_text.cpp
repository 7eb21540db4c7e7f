#include "base/log_text.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace qrscene {

std::string log_text(std::string_view value) {
  constexpr std::size_t kMax = 256;
  const std::string_view shown = value.substr(0, kMax);
  std::string out;
  out.reserve(shown.size() + 2);
  bool quote = value.empty();
  std::size_t i = 0;
  while (i < shown.size()) {
    const std::size_t bad = first_invalid_utf8(shown.substr(i));
    const std::size_t good_end = bad == std::string_view::npos ? shown.size() : i + bad;
    while (i < good_end) {
      const char c = shown[i];
      if (static_cast<unsigned char>(c) >= 0x80) {  // well-formed here: one code point of 2..4 bytes
        const auto lead = static_cast<unsigned char>(c);
        const std::size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        std::uint32_t cp = lead & (n == 2 ? 0x1Fu : n == 3 ? 0x0Fu : 0x07u);
        for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(shown[i + k]) & 0x3Fu);
        // C1 controls (NEL, CSI), line and paragraph separators, bidirectional overrides and isolates:
        // each can end a line or disguise one in some viewer.
        if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069)) {
          out += fmt::format("\\u{{{:04x}}}", cp);
          quote = true;
        } else {
          out.append(shown.substr(i, n));
        }
        i += n;
        continue;
      }
      ++i;
      switch (c) {
        case '"': out += "\\\""; quote = true; break;
        case '\\': out += "\\\\"; quote = true; break;
        case '\n': out += "\\n"; quote = true; break;
        case '\r': out += "\\r"; quote = true; break;
        case '\t': out += "\\t"; quote = true; break;
        case ' ':
        case '=': out += c; quote = true; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
            quote = true;
          } else {
            out += c;
          }
      }
    }
    if (i < shown.size()) {  // a byte that does not start well-formed UTF-8 (or NUL); a cut character at the end too
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(shown[i]));
      quote = true;
      ++i;
    }
  }
  if (value.size() > kMax) {
    out += fmt::format("…({} bytes)", value.size());
    quote = true;
  }
  return quote ? "\"" + out + "\"" : out;
}

std::optional<std::int64_t> LogThrottle::admit(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), Entry{now, 0});
    return 0;
  }
  Entry& e = it->second;
  if (now - e.logged < interval_) {
    ++e.left_out;
    return std::nullopt;
  }
  const std::int64_t left_out = e.left_out;
  e = Entry{now, 0};
  return left_out;
}

}  // namespace qrscene
