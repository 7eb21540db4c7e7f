// Byte encodings used by the WeChat protocol: standard base64 (RFC 4648 section 4, with '='
// padding), lower-case hex and URL percent-encoding.
//
// Decoding is strict about everything that matters (alphabet, length, where '=' may appear) and
// lenient about one thing WeChat needs: the unused low bits of the last character may be non-zero,
// because most EncodingAESKeys are non-canonical (wechat-protocol.md section 4.1).
//
// Errors: decode_base64 returns kInvalidArgument naming the first problem and its offset.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace qrscene {

[[nodiscard]] std::string encode_base64(std::span<const std::uint8_t> bytes);
[[nodiscard]] inline std::string encode_base64(std::string_view bytes) {
  return encode_base64(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

// Appends the decoded bytes to `out` (which is cleared first). The input length must be a
// multiple of 4, with at most two '=' at the very end.
[[nodiscard]] Status decode_base64(std::string_view text, std::string& out);
[[nodiscard]] Result<std::string> decode_base64(std::string_view text);

[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);
[[nodiscard]] inline std::string to_hex(std::string_view bytes) {
  return to_hex(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

// Percent-encoding of one URL query value (RFC 3986): every byte except A-Z a-z 0-9 - . _ ~
// becomes %XX with upper-case hex. WeChat tickets contain '+', '/' and '=' and must pass this.
[[nodiscard]] std::string percent_encode(std::string_view text);
// Decodes one query component: '+' is a space and %XX a byte; a '%' without two hex digits after
// it is kept as it is.
[[nodiscard]] std::string percent_decode(std::string_view text);

// Fills `out` with bytes from the kernel's CSPRNG (getrandom). Aborts the process if the kernel
// cannot provide them: running on without randomness would be a security bug.
void secure_random_bytes(std::span<std::uint8_t> out);
// `bytes` (at most 64) of secure_random_bytes as 2 × bytes lower-case hex digits: ids, secrets, nonces.
[[nodiscard]] std::string random_hex(std::size_t bytes);

}  // namespace qrscene
