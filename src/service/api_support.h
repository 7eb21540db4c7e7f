// What the admin and login APIs share: JSON bodies read with every problem named, and errors
// answered as {"error": {"code", "message", "fields", "problems"}}.
//
// Thread safety: plain functions; a Fields is used by one thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/ports.h"
#include "net/http_server.h"
#include "service/table_export.h"

namespace qrscene::service {

// An error as a response. A kInvalidArgument one (or any that carries fields) also has "fields", the
// names of e.fields, each once, in order, and "problems", e.fields as {"field", "message", "code"}
// and "params" when the problem has any (problems_json), for a client to show or translate per
// field. Both come from e.fields only: a message that merely reads "x: y" names no field.
[[nodiscard]] net::HttpResponse error_response(const Error& e);
// Field problems as JSON: [{"field", "message", "code", "params"?}], in order.
[[nodiscard]] nlohmann::json problems_json(const std::vector<FieldError>& problems);
// One failed row of a CSV import: {"row", "line", "message" (public_error's), "field" (its first
// problem's, or null when it concerns no field), "code" (that problem's code, or for an error of no
// field the error's own: "already_exists", "resource_exhausted", …), "problems" (problems_json)}.
[[nodiscard]] nlohmann::json row_error(std::size_t row, std::size_t line, const Error& e);
// What an answer may say of `e`: itself, unless it carries a database's text or is internal; then
// it is logged (with a reference) and replaced by "internal error" or "unavailable: retry" naming
// the reference. Every message that leaves through the API passes here.
[[nodiscard]] Error public_error(const Error& e);

// An integer query parameter: `fallback` when it is absent; an error about the field `name` when it
// is not an integer in low..high.
[[nodiscard]] Result<std::int64_t> int_param(const net::HttpRequest& r, std::string_view name, std::int64_t fallback,
                                             std::int64_t low = std::numeric_limits<std::int64_t>::min(),
                                             std::int64_t high = std::numeric_limits<std::int64_t>::max());
// A kInvalidArgument error that concerns no field (for one that does: field_error, base/result.h).
[[nodiscard]] Error invalid(std::string message);
// A JSON answer.
[[nodiscard]] net::HttpResponse ok_json(const nlohmann::json& j, unsigned status = 200);
// A table as an attachment named `filename`: `format` csv (or empty) or xlsx; 400 for another.
[[nodiscard]] net::HttpResponse download(const Table& table, std::string_view format, std::string_view filename);
// The request's body as a JSON object; errors are about the field "body".
[[nodiscard]] Result<nlohmann::json> parse_body(const net::HttpRequest& r);

// A CSV upload read for an import: its rows (the header first), the line each starts on in the
// upload, and, as the import's first errors, the lines that could not be read ({"line", "message",
// "field": "csv", "code": "unclosed_quote"}).
// Errors: a body that is not UTF-8.
struct CsvUpload {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> lines;
  nlohmann::json errors = nlohmann::json::array();
};
[[nodiscard]] Result<CsvUpload> read_csv_upload(std::string_view body);

// Fields of a JSON object, each checked for its type; unknown keys are errors too.
class Fields {
 public:
  Fields(const nlohmann::json& j, const std::set<std::string>& known);
  std::optional<std::string> text(const std::string& key);
  std::optional<std::int64_t> integer(const std::string& key);
  std::optional<bool> boolean(const std::string& key);
  // A problem of `field` ("<field>: <what>" in the message), of the kind `code` (FieldError); an
  // empty field makes `what` a line that names no field.
  void problem(std::string field, std::string what, std::string code = "invalid", ProblemParams params = {}) {
    problems_.push_back({std::move(field), std::move(what), std::move(code), std::move(params)});
  }
  void problem(FieldError p) { problems_.push_back(std::move(p)); }
  // Every problem found (field_errors: one per line, each with its field), or success.
  [[nodiscard]] Status status() const;

 private:
  const nlohmann::json& j_;
  std::vector<FieldError> problems_;
};

// ?from=YYYY-MM-DD&to=YYYY-MM-DD (the last 30 days by default) and the channel filter
// (?channel=1,2&group=&owner=); errors name the parameter (a range too long or reversed: "from").
struct RangeQuery {
  domain::ChannelFilter filter;
  std::int64_t first_day = 0, last_day = 0;
};
[[nodiscard]] Result<RangeQuery> range_query(const net::HttpRequest& r, std::string appid, std::int64_t today);
// ?by=channel|group|owner (channel by default).
[[nodiscard]] Result<domain::Breakdown> breakdown_from(const net::HttpRequest& r);

}  // namespace qrscene::service
