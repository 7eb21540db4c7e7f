// Signatures on WeChat's pushes (wechat-protocol.md sections 3.2 and 4.1).
//
//   signature     = sha1_hex(sort([token, timestamp, nonce]) joined)            every request
//   msg_signature = sha1_hex(sort([token, timestamp, nonce, Encrypt]) joined)   encrypted modes
//
// Strings are sorted by bytes and joined without a separator; the digest is lower-case hex.
// SignatureVerifier also checks that the timestamp is a plain decimal number within a window of
// the server's clock (default 300 s each way), which limits replays of captured requests.
//
// Errors: kUnauthenticated for a missing or wrong signature and for a timestamp outside the
// window; kInvalidArgument for a timestamp that is not a number. None say which byte differed.
// Thread safety: the free functions are pure; a SignatureVerifier is immutable after construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"

namespace qrscene::wechat {

// The lower-case hex SHA-1 of the sorted, concatenated parts.
[[nodiscard]] std::string compute_signature(std::string_view token, std::string_view timestamp,
                                            std::string_view nonce);
[[nodiscard]] std::string compute_msg_signature(std::string_view token, std::string_view timestamp,
                                                std::string_view nonce, std::string_view encrypt);

// Compares in time that depends only on the lengths, never on where the inputs differ.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// Parses a WeChat timestamp: 1 to 19 ASCII digits, nothing else.
[[nodiscard]] Result<std::int64_t> parse_timestamp(std::string_view text);

struct SignatureOptions {
  // How far a request's timestamp may lie behind or ahead of our clock. WeChat does not document
  // its clock skew; 300 s each way is generous and still bounds replays.
  std::chrono::seconds max_age{300};
  std::chrono::seconds max_ahead{300};
};

class SignatureVerifier {
 public:
  SignatureVerifier(std::string token, SignatureOptions options, const Clock& clock)
      : token_(std::move(token)), options_(options), clock_(&clock) {}

  // Checks `signature` (the query parameter) and the timestamp window.
  [[nodiscard]] Status verify(std::string_view signature, std::string_view timestamp,
                              std::string_view nonce) const;

  // Checks `msg_signature` over the Encrypt element. The timestamp window is checked by verify();
  // call both for an encrypted push.
  [[nodiscard]] Status verify_msg(std::string_view msg_signature, std::string_view timestamp,
                                  std::string_view nonce, std::string_view encrypt) const;

  [[nodiscard]] const std::string& token() const noexcept { return token_; }

 private:
  std::string token_;
  SignatureOptions options_;
  const Clock* clock_;
};

}  // namespace qrscene::wechat
