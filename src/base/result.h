// Result<T> and Status: the value-or-error type every fallible qrscene call returns.
//
// Expected failures (bad input, a WeChat errcode, a timeout, storage unavailable) are values, not
// exceptions. Member names follow std::expected (has_value, value, error, value_or, operator*), so
// the code can move to std::expected once the toolchain has it (g++ 12 ships it only for C++23,
// clang 14 not at all). Both types are [[nodiscard]]: ignoring an error is a compile warning.
//
// The error codes are few and chosen by what the caller should do (after absl::StatusCode):
//   kInvalidArgument    the input is wrong; retrying the same input fails again
//   kUnauthenticated    a signature, token or credential did not check out
//   kPermissionDenied   authenticated, but not allowed
//   kNotFound           the thing asked for does not exist
//   kAlreadyExists      it exists already (idempotent callers may treat this as success)
//   kFailedPrecondition the system is not in a state that allows this (e.g. quota spent)
//   kResourceExhausted  a rate limit or quota was hit; retry later
//   kTooLarge           the input is bigger than allowed; send less
//   kUnavailable        a dependency is down or busy; retry with backoff
//   kDeadlineExceeded   it took too long; retry if idempotent
//   kInternal           a bug or a broken invariant; do not retry
//
// Thread safety: plain values; the usual rules for const and non-const access apply.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace qrscene {

enum class ErrorCode : std::uint8_t {
  kInvalidArgument,
  kUnauthenticated,
  kPermissionDenied,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kResourceExhausted,
  kTooLarge,
  kUnavailable,
  kDeadlineExceeded,
  kInternal,
};

// The stable lower-case name of a code ("invalid_argument"), used in logs and JSON errors.
std::string_view error_code_name(ErrorCode code) noexcept;

// What a field problem's `code` may be told beside it: {"max": "64"}, {"allowed": "png,svg"}.
using ProblemParams = std::map<std::string, std::string>;

// One problem of an input, by the field it is in: `field` as the client named it ("name",
// "on_subscribe.kind", "from"), `message` what is wrong with it, without the field's name in front
// ("required"), so that a client can show it beside the field or say it in its own language;
// `code` the kind of problem, a stable snake_case name a client translates by ("required",
// "too_long", "out_of_range", "scene_reserved"; "invalid" when nothing more precise is known), and
// `params` the figures its text needs ({"min": "60", "max": "2592000"}). The codes and their
// params are listed in docs/api.yaml (schema Error); a code once published keeps its meaning.
struct FieldError {
  std::string field;
  std::string message;
  std::string code = "invalid";
  ProblemParams params{};
};

// What went wrong. `detail` carries a protocol's own number when there is one: a WeChat errcode
// (40001, 45009, ...) or a WXBizMsgCrypt code (-40001 ... -40011); 0 when there is none.
// `fields` lists the problems of a kInvalidArgument error by field, in the order found (a field may
// appear more than once); empty when the error concerns no field of the input. `message` stays the
// whole text for people (logs, the CLI); nothing reads fields out of it.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::int64_t detail = 0;
  std::vector<FieldError> fields{};

  // "invalid_argument: <message>" or "invalid_argument (-40005): <message>".
  [[nodiscard]] std::string to_string() const;
};

// Lets a function that returns Result<T> write `return unexpected(ErrorCode::kNotFound, "...")`.
[[nodiscard]] inline Error unexpected(ErrorCode code, std::string message, std::int64_t detail = 0) {
  return Error{code, std::move(message), detail};
}

// A kInvalidArgument error about one field: message "<field>: <message>", fields {{field, message,
// code, params}}.
//   return field_error("name", "required", "required");
//   return field_error("size", "must be 64..4096 pixels", "out_of_range", {{"min", "64"}, {"max", "4096"}});
[[nodiscard]] Error field_error(std::string field, std::string message, std::string code = "invalid",
                                ProblemParams params = {});
// A kInvalidArgument error listing several problems: message their "<field>: <message>" lines joined
// by '\n', fields the problems. A problem with an empty field is a line of its own ("<message>")
// that names no field, and is left out of fields.
[[nodiscard]] Error field_errors(std::vector<FieldError> problems);
// A kInvalidArgument error whose message names the fields in its own words ("scene '12a' is not a
// whole number"): the message as given, and each of `fields` listed with that whole message, `code`
// and `params`.
[[nodiscard]] Error worded_field_error(std::vector<std::string> fields, std::string message,
                                       std::string code = "invalid", ProblemParams params = {});

template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;
  using error_type = Error;

  Result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // Precondition for value(), operator* and operator->: has_value().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Precondition for error(): !has_value().
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

// The Result of an operation with no value. `Status{}` is success.
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  using error_type = Error;

  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  [[nodiscard]] bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  void value() const noexcept {}
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace qrscene

// Propagates the error of a Result/Status expression, otherwise continues:
//   QRSCENE_TRY(verify(...));
#define QRSCENE_TRY(expr)                           \
  do {                                              \
    if (auto qrscene_try_ = (expr); !qrscene_try_) \
      return std::move(qrscene_try_).error();       \
  } while (false)

// Declares `var` from the value of a Result expression, or returns its error:
//   QRSCENE_ASSIGN_OR_RETURN(auto key, decode_key(text));
#define QRSCENE_CONCAT_INNER_(a, b) a##b
#define QRSCENE_CONCAT_(a, b) QRSCENE_CONCAT_INNER_(a, b)
#define QRSCENE_ASSIGN_OR_RETURN(decl, expr) \
  QRSCENE_ASSIGN_OR_RETURN_IMPL_(QRSCENE_CONCAT_(qrscene_result_, __LINE__), decl, expr)
#define QRSCENE_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                    \
  if (!tmp) return std::move(tmp).error();              \
  decl = std::move(tmp).value()
