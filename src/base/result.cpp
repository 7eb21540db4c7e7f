#include "base/result.h"

#include <fmt/format.h>

namespace qrscene {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kFailedPrecondition: return "failed_precondition";
    case ErrorCode::kResourceExhausted: return "resource_exhausted";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kDeadlineExceeded: return "deadline_exceeded";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

Error field_error(std::string field, std::string message, std::string code, ProblemParams params) {
  std::string text = fmt::format("{}: {}", field, message);
  return Error{ErrorCode::kInvalidArgument, std::move(text), 0,
               {FieldError{std::move(field), std::move(message), std::move(code), std::move(params)}}};
}

Error field_errors(std::vector<FieldError> problems) {
  Error e{ErrorCode::kInvalidArgument, std::string(), 0, {}};
  for (auto& p : problems) {
    if (&p != &problems.front()) e.message += '\n';
    if (p.field.empty()) {
      e.message += p.message;
      continue;
    }
    e.message += fmt::format("{}: {}", p.field, p.message);
    e.fields.push_back(std::move(p));
  }
  return e;
}

Error worded_field_error(std::vector<std::string> fields, std::string message, std::string code,
                         ProblemParams params) {
  Error e{ErrorCode::kInvalidArgument, std::move(message), 0, {}};
  for (auto& f : fields) e.fields.push_back(FieldError{std::move(f), e.message, code, params});
  return e;
}

std::string Error::to_string() const {
  if (detail != 0) return fmt::format("{} ({}): {}", error_code_name(code), detail, message);
  return fmt::format("{}: {}", error_code_name(code), message);
}

}  // namespace qrscene
