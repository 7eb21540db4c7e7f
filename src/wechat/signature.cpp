#include "wechat/signature.h"

// SHA1_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but EVP allocates a context
// per digest; the hot path signs every push, so we keep the direct calls.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>

#include "base/encoding.h"

namespace qrscene::wechat {
namespace {

template <std::size_t N>
std::string sha1_of_sorted(std::array<std::string_view, N> parts) {
  std::sort(parts.begin(), parts.end());
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  for (auto p : parts) SHA1_Update(&ctx, p.data(), p.size());
  std::array<std::uint8_t, SHA_DIGEST_LENGTH> digest{};
  SHA1_Final(digest.data(), &ctx);
  return to_hex(digest);
}

Status check_equal(std::string_view expected, std::string_view given, std::string_view what) {
  if (given.empty()) {
    return unexpected(ErrorCode::kUnauthenticated, fmt::format("{} is missing", what), -40001);
  }
  if (!constant_time_equal(expected, given)) {
    return unexpected(ErrorCode::kUnauthenticated,
                      fmt::format("{} does not match (check the token configured for this account)", what),
                      -40001);
  }
  return {};
}

}  // namespace

std::string compute_signature(std::string_view token, std::string_view timestamp, std::string_view nonce) {
  return sha1_of_sorted(std::array{token, timestamp, nonce});
}

std::string compute_msg_signature(std::string_view token, std::string_view timestamp, std::string_view nonce,
                                  std::string_view encrypt) {
  return sha1_of_sorted(std::array{token, timestamp, nonce, encrypt});
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  // volatile keeps the compiler from turning the loop into an early-exit comparison.
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

Result<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty()) return unexpected(ErrorCode::kUnauthenticated, "timestamp is missing");
  if (text.size() > 19) {
    return unexpected(ErrorCode::kInvalidArgument, "timestamp has more than 19 digits");
  }
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return unexpected(ErrorCode::kInvalidArgument, "timestamp is not a decimal number of seconds");
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

Status SignatureVerifier::verify(std::string_view signature, std::string_view timestamp,
                                 std::string_view nonce) const {
  QRSCENE_ASSIGN_OR_RETURN(const std::int64_t ts, parse_timestamp(timestamp));
  // WeChat always sends one; without it a captured signature of (token, timestamp) alone would do.
  if (nonce.empty()) return unexpected(ErrorCode::kUnauthenticated, "nonce is missing");
  QRSCENE_TRY(check_equal(compute_signature(token_, timestamp, nonce), signature, "signature"));
  // The window is checked after the signature so that a forged request learns nothing about it.
  const std::int64_t now = clock_->unix_seconds();
  if (ts < now - options_.max_age.count()) {
    return unexpected(ErrorCode::kUnauthenticated,
                      fmt::format("timestamp is {} s old, more than the {} s allowed (replay, or a slow "
                                  "clock here: check NTP)",
                                  now - ts, options_.max_age.count()));
  }
  if (ts > now + options_.max_ahead.count()) {
    return unexpected(ErrorCode::kUnauthenticated,
                      fmt::format("timestamp is {} s in the future, more than the {} s allowed (check NTP)",
                                  ts - now, options_.max_ahead.count()));
  }
  return {};
}

Status SignatureVerifier::verify_msg(std::string_view msg_signature, std::string_view timestamp,
                                     std::string_view nonce, std::string_view encrypt) const {
  return check_equal(compute_msg_signature(token_, timestamp, nonce, encrypt), msg_signature, "msg_signature");
}

}  // namespace qrscene::wechat
