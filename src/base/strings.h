// Small string helpers shared by every module.
// Thread safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace qrscene {

// ASCII case-insensitive equality (HTTP header names, WeChat event names). Locale-independent.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The names of an enum's values, one table per enum: name_of() answers a value's name (the first
// entry's for a value not in the table), value_of() the value a name stands for.
//   constexpr std::array kKinds{std::pair{Kind::kA, std::string_view("a")}, ...};
template <class E, std::size_t N>
[[nodiscard]] constexpr std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& names,
                                                 E value) noexcept {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return names.front().second;
}
template <class E, std::size_t N>
[[nodiscard]] constexpr std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& names,
                                                  std::string_view text) noexcept {
  for (const auto& [v, name] : names) {
    if (name == text) return v;
  }
  return std::nullopt;
}

// Offset of the first byte that is not well-formed UTF-8 (or is NUL), or npos. Overlong forms,
// surrogates and code points above U+10FFFF are not well-formed.
[[nodiscard]] std::size_t first_invalid_utf8(std::string_view s) noexcept;

// Number of code points in well-formed UTF-8 (continuation bytes are not counted).
[[nodiscard]] std::size_t utf8_length(std::string_view s) noexcept;

// `s` without leading and trailing ASCII whitespace (space, tab, CR, LF).
[[nodiscard]] std::string_view trim(std::string_view s) noexcept;

// `text` with each "{name}" whose name is in `values` replaced by its value; other braces stay.
[[nodiscard]] std::string fill_placeholders(std::string_view text,
                                            std::initializer_list<std::pair<std::string_view, std::string_view>> values);

// "yyyy-mm-dd" (a real calendar date) -> days since 1970-01-01, or nothing.
[[nodiscard]] std::optional<std::int64_t> parse_iso_date(std::string_view s);
// Days since 1970-01-01 -> "yyyy-mm-dd".
[[nodiscard]] std::string format_iso_date(std::int64_t days);

}  // namespace qrscene
