// multipart/form-data (RFC 7578 over RFC 2046 section 5.1) as WeChat's upload endpoints read it:
// media/upload takes its file in the form field `media`. Internal to sim/.
//
// The parser is strict: it refuses rather than guesses. A body must open with its boundary (a
// preamble before it is allowed), each delimiter is followed by CRLF (after optional transport
// padding) or by "--" for the last; each part has headers ended by a blank line, a
// Content-Disposition of form-data with a name, and ends where the next delimiter begins.
// Obsolete header folding, a missing closing delimiter and header blocks over 8 KB are errors.
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace qrscene::sim {

struct FormPart {
  std::string name;                     // Content-Disposition's name
  std::optional<std::string> filename;  // Content-Disposition's filename: present for a file
  std::string content_type;             // the part's Content-Type, "" when it has none
  std::string_view body;                // into the parsed body: valid while that body is
};

// The boundary of a multipart/form-data Content-Type (quoted or not). kInvalidArgument when the
// type is another, or the boundary is missing, longer than 70 characters or holds a character
// RFC 2046 does not allow in one.
[[nodiscard]] Result<std::string> form_boundary(std::string_view content_type);

// The parts of `body`, in order. kInvalidArgument naming the first problem and its offset.
[[nodiscard]] Result<std::vector<FormPart>> parse_form_data(std::string_view body, std::string_view boundary,
                                                            std::size_t max_parts = 64);

}  // namespace qrscene::sim
