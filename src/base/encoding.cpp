#include "base/encoding.h"

#include <fmt/format.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>

namespace qrscene {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kDecode = make_decode_table();

}  // namespace

std::string encode_base64(std::span<const std::uint8_t> in) {
  std::string out;
  out.resize((in.size() + 2) / 3 * 4);
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = kAlphabet[v & 63];
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (rest == 2) v |= std::uint32_t{in[i + 1]} << 8;
    out[o++] = kAlphabet[(v >> 18) & 63];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  return out;
}

Status decode_base64(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("base64 length {} is not a multiple of 4 (truncated?)", text.size()));
  }
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = (text.size() >= 2 && text[text.size() - 2] == '=') ? 2 : 1;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  auto invalid = [&](std::size_t at) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("base64 has an invalid character 0x{:02x} at offset {}", in[at], at));
  };
  out.resize(text.size() / 4 * 3);
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  // Whole groups of four, then the padded last one: no per-byte append (safe mode decodes every push).
  const std::size_t whole = pad == 0 ? text.size() : text.size() - 4;
  for (std::size_t i = 0; i < whole; i += 4) {
    const int a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]], d = kDecode[in[i + 3]];
    if ((a | b | c | d) < 0) {
      for (std::size_t k = 0; k < 4; ++k) {
        if (kDecode[in[i + k]] < 0) return invalid(i + k);
      }
    }
    const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
    *o++ = static_cast<unsigned char>(v >> 16);
    *o++ = static_cast<unsigned char>(v >> 8);
    *o++ = static_cast<unsigned char>(v);
  }
  if (pad > 0) {
    const std::size_t valid = 4 - pad;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      int d = 0;
      if (k < valid) {
        d = kDecode[in[whole + k]];
        if (d < 0) return invalid(whole + k);
      }
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    *o++ = static_cast<unsigned char>(v >> 16);
    if (valid > 2) *o++ = static_cast<unsigned char>(v >> 8);
  }
  out.resize(static_cast<std::size_t>(o - reinterpret_cast<unsigned char*>(out.data())));
  return {};
}

Result<std::string> decode_base64(std::string_view text) {
  std::string out;
  QRSCENE_TRY(decode_base64(text, out));
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (const char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kDigits[b >> 4];
      out += kDigits[b & 15];
    }
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  const auto hex_value = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

void secure_random_bytes(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string random_hex(std::size_t bytes) {
  std::array<std::uint8_t, 64> b{};
  bytes = std::min(bytes, b.size());
  secure_random_bytes(std::span(b.data(), bytes));
  return to_hex(std::span<const std::uint8_t>(b.data(), bytes));
}

}  // namespace qrscene
