// Redaction of secrets before anything reaches a log line, an error message or a metric label.
//
// Never log an AppSecret, an access_token, an EncodingAESKey, a callback token or an admin token.
// Wrap such values in Secret as soon as they are read from the configuration: Secret formats as
// "***" and can be read only through reveal(), which makes every use easy to find. Text that may
// carry secrets (URLs with ?access_token=, JSON bodies sent to WeChat) goes through redact_url()
// or redact_json() first.
//
// Thread safety: all functions are pure; Secret is a value type.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace qrscene {

// The names (compared case-insensitively) whose values are masked in URLs and JSON.
// access_token, secret, appsecret, token, encoding_aes_key, encodingaeskey, password, authorization.
[[nodiscard]] bool is_secret_name(std::string_view name) noexcept;

// "***(43 chars)": says that a value was there and how long it was, nothing else.
[[nodiscard]] std::string redact(std::string_view secret);

// Masks the value of every secret query parameter: "...?access_token=***&openid=o1" stays
// readable. Text without a query string is returned unchanged.
[[nodiscard]] std::string redact_url(std::string_view url);

// Masks the string value of every secret key in a JSON text ("secret":"***"). Works on any text,
// valid JSON or not, so that a malformed body can be logged safely too.
[[nodiscard]] std::string redact_json(std::string_view json);

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // The secret itself. Call it only where the value is used (signing, an HTTP call), never to log.
  [[nodiscard]] const std::string& reveal() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
  friend bool operator==(const Secret&, const Secret&) = default;

 private:
  std::string value_;
};

}  // namespace qrscene

template <>
struct fmt::formatter<qrscene::Secret> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const qrscene::Secret& s, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(s.empty() ? "(empty)" : "***", ctx);
  }
};
