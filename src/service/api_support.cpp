#include "service/api_support.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "base/csv.h"
#include "base/encoding.h"
#include "base/log_text.h"
#include "domain/analytics.h"

namespace qrscene::service {

using nlohmann::json;

namespace {

// Text from inside: a database's message (store errors start "sqlite: " or "postgresql: ", and keep
// it when a caller puts its own words before them) or an internal error's.
bool internal_text(const Error& e) {
  return e.code == ErrorCode::kInternal || e.message.find("sqlite: ") != std::string::npos ||
         e.message.find("postgresql: ") != std::string::npos;
}

LogThrottle& internal_log() {
  static LogThrottle throttle{std::chrono::seconds(10)};
  return throttle;
}

}  // namespace

Error public_error(const Error& e) {
  if (!internal_text(e)) return e;
  const std::string ref = random_hex(4);
  // The same failure over and over (a storage outage) is one line per 10 s; each different one is logged.
  if (const auto left_out = internal_log().admit(e.message.substr(0, 120))) {
    spdlog::error("api internal_error ref={} code={} reason={} repeats={}", ref, error_code_name(e.code),
                  log_text(e.message), *left_out);
  }
  if (e.code == ErrorCode::kUnavailable) {
    return Error{ErrorCode::kUnavailable, fmt::format("the store is unavailable for a moment: retry (ref {})", ref)};
  }
  return Error{ErrorCode::kInternal, fmt::format("internal error: the server's log has the details (ref {})", ref)};
}

Result<std::int64_t> int_param(const net::HttpRequest& r, std::string_view name, std::int64_t fallback,
                               std::int64_t low, std::int64_t high) {
  if (!r.has_query_param(name)) return fallback;
  const std::string text = r.query_param(name);
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  const bool number = ec == std::errc{} && end == text.data() + text.size();
  if (number && n >= low && n <= high) return n;
  if (low == std::numeric_limits<std::int64_t>::min() && high == std::numeric_limits<std::int64_t>::max()) {
    return field_error(std::string(name), fmt::format("'{}' is not an integer", text), "not_integer");
  }
  ProblemParams range{{"min", std::to_string(low)}, {"max", std::to_string(high)}};
  return field_error(std::string(name), fmt::format("must be an integer in {}..{}, got '{}'", low, high, text),
                     number ? "out_of_range" : "not_integer", std::move(range));
}

// A 400 whose body names the fields, from e.fields (never from the message's text). An internal
// error (a database's text in it) is logged and answered in general terms (public_error).
net::HttpResponse error_response(const Error& given) {
  const Error e = public_error(given);
  net::HttpResponse r = net::HttpResponse::error(e);
  if (e.code != ErrorCode::kInvalidArgument && e.fields.empty()) return r;
  json body = json::parse(r.body);
  json fields = json::array();
  for (const auto& p : e.fields) {
    if (std::find(fields.begin(), fields.end(), p.field) == fields.end()) fields.push_back(p.field);
  }
  body["error"]["fields"] = std::move(fields);
  body["error"]["problems"] = problems_json(e.fields);
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

json problems_json(const std::vector<FieldError>& problems) {
  json out = json::array();
  for (const auto& p : problems) {
    json j{{"field", p.field}, {"message", p.message}, {"code", p.code.empty() ? std::string("invalid") : p.code}};
    if (!p.params.empty()) j["params"] = p.params;
    out.push_back(std::move(j));
  }
  return out;
}

json row_error(std::size_t row, std::size_t line, const Error& given) {
  const Error e = public_error(given);
  json j{{"row", row}, {"line", line}, {"message", e.message}, {"problems", problems_json(e.fields)}};
  if (e.fields.empty()) {
    j["field"] = nullptr;
    j["code"] = error_code_name(e.code);
  } else {
    j["field"] = e.fields.front().field;
    j["code"] = j["problems"][0]["code"];
  }
  return j;
}

net::HttpResponse download(const Table& table, std::string_view format, std::string_view filename) {
  net::HttpResponse res;
  res.status = 200;
  if (format.empty() || format == "csv") {
    res.content_type = "text/csv; charset=utf-8";
    res.body = to_csv(table);
  } else if (format == "xlsx") {
    auto bytes = to_xlsx(table);
    if (!bytes) return error_response(bytes.error());
    res.content_type = std::string(kXlsxContentType);
    res.body = std::move(*bytes);
  } else {
    return error_response(field_error("format", fmt::format("must be csv or xlsx, got '{}'", format), "not_one_of",
                                      {{"allowed", "csv,xlsx"}}));
  }
  res.headers.emplace_back("Content-Disposition",
                           fmt::format("attachment; filename=\"{}.{}\"", filename, format.empty() ? "csv" : format));
  return res;
}

Error invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

net::HttpResponse ok_json(const json& j, unsigned status) {
  // Invalid UTF-8 (from WeChat or an old row) is replaced rather than failing the answer.
  return net::HttpResponse::json(status, j.dump(-1, ' ', false, json::error_handler_t::replace));
}

Result<CsvUpload> read_csv_upload(std::string_view body) {
  QRSCENE_ASSIGN_OR_RETURN(auto read, read_csv(body));
  CsvUpload out;
  for (auto& row : read.rows) {
    out.lines.push_back(row.line);
    out.rows.push_back(std::move(row.cells));
  }
  for (const auto& p : read.problems) {
    // The one problem a CSV reader reports: a quote opened and never closed.
    out.errors.push_back(json{{"line", p.line},
                              {"message", fmt::format("line {}: {}", p.line, p.message)},
                              {"field", "csv"},
                              {"code", "unclosed_quote"}});
  }
  return out;
}

Result<json> parse_body(const net::HttpRequest& r) {
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return field_error("body", "not JSON (send Content-Type: application/json)", "not_json");
  if (!j.is_object()) return field_error("body", "must be a JSON object", "not_object");
  return j;
}

Fields::Fields(const json& j, const std::set<std::string>& known) : j_(j) {
  for (const auto& [k, v] : j.items()) {
    if (!known.contains(k)) problem(k, "unknown field", "unknown_field");
  }
}

std::optional<std::string> Fields::text(const std::string& key) {
  if (!j_.contains(key) || j_.at(key).is_null()) return std::nullopt;
  if (!j_.at(key).is_string()) {
    problem(key, "must be a string", "not_string");
    return std::nullopt;
  }
  return j_.at(key).get<std::string>();
}

std::optional<std::int64_t> Fields::integer(const std::string& key) {
  if (!j_.contains(key) || j_.at(key).is_null()) return std::nullopt;
  const auto& v = j_.at(key);
  if (!v.is_number_integer()) {
    problem(key, "must be an integer", "not_integer");
    return std::nullopt;
  }
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    // Read as a signed number it would come out negative.
    problem(key, "is too large", "out_of_range",
            {{"min", std::to_string(INT64_MIN)}, {"max", std::to_string(INT64_MAX)}});
    return std::nullopt;
  }
  return v.get<std::int64_t>();
}

std::optional<bool> Fields::boolean(const std::string& key) {
  if (!j_.contains(key) || j_.at(key).is_null()) return std::nullopt;
  if (!j_.at(key).is_boolean()) {
    problem(key, "must be true or false", "not_boolean");
    return std::nullopt;
  }
  return j_.at(key).get<bool>();
}

Status Fields::status() const {
  if (problems_.empty()) return {};
  return field_errors(problems_);
}

Result<RangeQuery> range_query(const net::HttpRequest& r, std::string appid, std::int64_t today) {
  RangeQuery q;
  q.filter.appid = std::move(appid);
  q.last_day = today;
  q.first_day = today - 29;
  for (auto [name, target] : {std::pair{"from", &q.first_day}, std::pair{"to", &q.last_day}}) {
    if (!r.has_query_param(name)) continue;
    auto d = domain::parse_day(r.query_param(name));
    if (!d) {
      return field_error(name, fmt::format("'{}' is not a date (YYYY-MM-DD)", r.query_param(name)), "not_date");
    }
    *target = *d;
  }
  if (q.first_day > q.last_day) return field_error("from", "after to; swap them", "range_reversed");
  if (q.last_day - q.first_day > 3660) {
    return field_error("from", "ranges are at most 10 years", "range_too_long", {{"max_days", "3661"}});
  }
  std::string ids = r.query_param("channel");
  for (std::size_t at = 0; !ids.empty() && at <= ids.size();) {
    std::size_t end = ids.find(',', at);
    if (end == std::string::npos) end = ids.size();
    std::int64_t id = 0;
    const auto [p, ec] = std::from_chars(ids.data() + at, ids.data() + end, id);
    if (ec != std::errc{} || p != ids.data() + end) {
      return field_error("channel", fmt::format("'{}' is not a list of channel ids", ids), "not_id_list");
    }
    q.filter.channel_ids.push_back(id);
    at = end + 1;
  }
  q.filter.group = r.query_param("group");
  q.filter.owner = r.query_param("owner");
  return q;
}

Result<domain::Breakdown> breakdown_from(const net::HttpRequest& r) {
  const std::string by = r.has_query_param("by") ? r.query_param("by") : "channel";
  if (by == "channel") return domain::Breakdown::kChannel;
  if (by == "group") return domain::Breakdown::kGroup;
  if (by == "owner") return domain::Breakdown::kOwner;
  return field_error("by", fmt::format("must be channel, group or owner, got '{}'", by), "not_one_of",
                     {{"allowed", "channel,group,owner"}});
}

}  // namespace qrscene::service
