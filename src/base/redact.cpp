#include "base/redact.h"

#include <array>
#include <cctype>

#include "base/strings.h"

namespace qrscene {
namespace {

constexpr std::string_view kMask = "***";

}  // namespace

bool is_secret_name(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 9> kNames = {
      "access_token", "secret", "appsecret", "token", "encoding_aes_key",
      "encodingaeskey", "password", "authorization", "admin_token"};
  for (auto n : kNames) {
    if (iequals(n, name)) return true;
  }
  return false;
}

std::string redact(std::string_view secret) {
  return fmt::format("***({} chars)", secret.size());
}

std::string redact_url(std::string_view url) {
  const auto q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, q + 1));
  std::string_view rest = url.substr(q + 1);
  // The fragment, if any, is kept as it is.
  std::string_view fragment;
  if (const auto h = rest.find('#'); h != std::string_view::npos) {
    fragment = rest.substr(h);
    rest = rest.substr(0, h);
  }
  bool first = true;
  while (true) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    if (!first) out += '&';
    first = false;
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && is_secret_name(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1));
      out.append(kMask);
    } else {
      out.append(pair);
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  out.append(fragment);
  return out;
}

std::string redact_json(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  std::size_t i = 0;
  while (i < json.size()) {
    if (json[i] != '"') {
      out += json[i++];
      continue;
    }
    // A quoted string: copy it, remembering its content, then look for ':' "value".
    std::size_t j = i + 1;
    while (j < json.size() && json[j] != '"') j += (json[j] == '\\') ? 2 : 1;
    if (j >= json.size()) {  // unterminated: copy the rest as it is
      out.append(json.substr(i));
      break;
    }
    const std::string_view key = json.substr(i + 1, j - i - 1);
    out.append(json.substr(i, j - i + 1));
    i = j + 1;
    if (!is_secret_name(key)) continue;
    std::size_t k = i;
    while (k < json.size() && std::isspace(static_cast<unsigned char>(json[k]))) ++k;
    if (k >= json.size() || json[k] != ':') continue;
    ++k;
    while (k < json.size() && std::isspace(static_cast<unsigned char>(json[k]))) ++k;
    if (k >= json.size() || json[k] != '"') continue;
    std::size_t e = k + 1;
    while (e < json.size() && json[e] != '"') e += (json[e] == '\\') ? 2 : 1;
    out.append(json.substr(i, k - i));
    out += '"';
    out.append(kMask);
    out += '"';
    i = e < json.size() ? e + 1 : json.size();
  }
  return out;
}

}  // namespace qrscene
