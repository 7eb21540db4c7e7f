#include "sim/multipart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "base/strings.h"

namespace qrscene::sim {
namespace {

constexpr std::size_t kMaxHeaderBlock = 8 * 1024;
constexpr std::size_t kMaxBoundary = 70;

Error bad(std::string message) { return unexpected(ErrorCode::kInvalidArgument, std::move(message)); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

// A header value's leading token and its parameters ("form-data; name=\"media\"; filename=…"):
// parameter names lower-cased, quoted values unquoted (a backslash escapes the next character).
struct Parameterized {
  std::string value;
  std::vector<std::pair<std::string, std::string>> params;

  [[nodiscard]] const std::string* param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

Result<Parameterized> parse_parameterized(std::string_view s) {
  Parameterized out;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  skip_space();
  const std::size_t start = i;
  while (i < s.size() && s[i] != ';') ++i;
  out.value = std::string(trim(s.substr(start, i - start)));
  while (i < s.size()) {
    ++i;  // the ';'
    skip_space();
    if (i == s.size()) break;  // a trailing ';' is tolerated
    const std::size_t name_start = i;
    while (i < s.size() && is_token_char(s[i])) ++i;
    if (i == name_start) return bad(fmt::format("a parameter without a name at '{}'", s.substr(name_start, 20)));
    std::string name = lower(s.substr(name_start, i - name_start));
    skip_space();
    if (i == s.size() || s[i] != '=') return bad(fmt::format("parameter '{}' has no value", name));
    ++i;
    skip_space();
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        const char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < s.size()) {
          value += s[i++];
        } else {
          value += c;
        }
      }
      if (!closed) return bad(fmt::format("parameter '{}' has an unclosed quote", name));
    } else {
      const std::size_t value_start = i;
      while (i < s.size() && is_token_char(s[i])) ++i;
      value = std::string(s.substr(value_start, i - value_start));
      if (value.empty()) return bad(fmt::format("parameter '{}' has an empty value", name));
    }
    skip_space();
    if (i < s.size() && s[i] != ';') return bad(fmt::format("unexpected text after parameter '{}'", name));
    out.params.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

// RFC 2046's bcharsnospace plus space (not last).
bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > kMaxBoundary || b.back() == ' ') return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
  });
}

}  // namespace

Result<std::string> form_boundary(std::string_view content_type) {
  QRSCENE_ASSIGN_OR_RETURN(auto p, parse_parameterized(content_type));
  if (!iequals(p.value, "multipart/form-data")) {
    return bad(fmt::format("Content-Type '{}' is not multipart/form-data", p.value.substr(0, 64)));
  }
  const std::string* boundary = p.param("boundary");
  if (boundary == nullptr) return bad("multipart/form-data without a boundary");
  if (!valid_boundary(*boundary)) {
    return bad("the boundary must be 1 to 70 characters of RFC 2046's set (letters, digits, '()+_,-./:=? and space)");
  }
  return *boundary;
}

Result<std::vector<FormPart>> parse_form_data(std::string_view body, std::string_view boundary, std::size_t max_parts) {
  if (!valid_boundary(boundary)) return bad("invalid boundary");
  const std::string dash = "--" + std::string(boundary);
  const std::string delimiter = "\r\n" + dash;
  std::size_t pos = 0;
  if (!body.starts_with(dash)) {
    const auto first = body.find(delimiter);
    if (first == std::string_view::npos) return bad("the body does not contain its boundary");
    pos = first + 2;  // the preamble (ignored) ends with the CRLF before the first delimiter
  }
  std::vector<FormPart> parts;
  for (;;) {
    // At a delimiter: "--boundary", then "--" (the last) or padding and CRLF.
    std::size_t p = pos + dash.size();
    if (body.substr(p, 2) == "--") {
      if (parts.empty()) return bad("the body has no parts");
      return parts;  // whatever follows is the epilogue
    }
    while (p < body.size() && (body[p] == ' ' || body[p] == '\t')) ++p;
    if (body.substr(p, 2) != "\r\n") return bad(fmt::format("the boundary at offset {} is not followed by CRLF", pos));
    p += 2;
    if (parts.size() == max_parts) return bad(fmt::format("more than {} parts", max_parts));

    // The part's headers, ended by an empty line (the block may be empty).
    std::string_view headers;
    std::size_t content_start = 0;
    if (body.substr(p, 2) == "\r\n") {
      content_start = p + 2;
    } else {
      const auto end = body.find("\r\n\r\n", p);
      if (end == std::string_view::npos || end - p > kMaxHeaderBlock) {
        return bad(fmt::format("the headers of the part at offset {} do not end with a blank line within {} bytes",
                               p, kMaxHeaderBlock));
      }
      headers = body.substr(p, end - p);
      content_start = end + 4;
    }
    FormPart part;
    bool disposition = false;
    std::size_t line_start = 0;
    while (line_start <= headers.size() && !headers.empty()) {
      auto line_end = headers.find("\r\n", line_start);
      if (line_end == std::string_view::npos) line_end = headers.size();
      const std::string_view line = headers.substr(line_start, line_end - line_start);
      line_start = line_end + 2;
      if (line.empty() || line.front() == ' ' || line.front() == '\t') {
        return bad(fmt::format("a folded or empty header line in the part at offset {}", p));
      }
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        return bad(fmt::format("header line '{}' has no name", line.substr(0, 40)));
      }
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = trim(line.substr(colon + 1));
      if (iequals(name, "Content-Disposition")) {
        if (disposition) return bad(fmt::format("two Content-Disposition headers in the part at offset {}", p));
        disposition = true;
        QRSCENE_ASSIGN_OR_RETURN(auto d, parse_parameterized(value));
        if (!iequals(d.value, "form-data")) return bad(fmt::format("Content-Disposition '{}' is not form-data", d.value));
        const std::string* field = d.param("name");
        if (field == nullptr || field->empty()) return bad(fmt::format("a part without a name at offset {}", p));
        part.name = *field;
        if (const std::string* f = d.param("filename")) part.filename = *f;
      } else if (iequals(name, "Content-Type")) {
        part.content_type = std::string(value);
      }
      if (line_end == headers.size()) break;
    }
    if (!disposition) return bad(fmt::format("the part at offset {} has no Content-Disposition", p));

    const auto next = body.find(delimiter, content_start);
    if (next == std::string_view::npos) return bad("the body ends without its closing boundary");
    part.body = body.substr(content_start, next - content_start);
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

}  // namespace qrscene::sim
