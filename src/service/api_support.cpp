#include "service/api_support.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <spdlog/spdlog.h>

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
    return invalid(fmt::format("{}: '{}' is not an integer", name, text));
  }
  return invalid(fmt::format("{}: must be an integer in {}..{}, got '{}'", name, low, high, text));
}

// A 400 whose body names the fields: messages are "field: what is wrong", one per line. An internal
// error (a database's text in it) is logged and answered in general terms (public_error).
net::HttpResponse error_response(const Error& given) {
  const Error e = public_error(given);
  net::HttpResponse r = net::HttpResponse::error(e);
  if (e.code != ErrorCode::kInvalidArgument) return r;
  json body = json::parse(r.body);
  json fields = json::array();
  std::size_t at = 0;
  while (at < e.message.size()) {
    std::size_t end = e.message.find('\n', at);
    if (end == std::string::npos) end = e.message.size();
    const std::string line = e.message.substr(at, end - at);
    const auto colon = line.find(": ");
    if (colon != std::string::npos && colon > 0 &&
        line.find_first_not_of("abcdefghijklmnopqrstuvwxyz_.[]0123456789 ") >= colon) {
      fields.push_back(line.substr(0, colon));
    }
    at = end + 1;
  }
  body["error"]["fields"] = std::move(fields);
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
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
    out.errors.push_back(json{{"line", p.line}, {"message", fmt::format("line {}: {}", p.line, p.message)}});
  }
  return out;
}

Result<json> parse_body(const net::HttpRequest& r) {
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid("body: not JSON (send Content-Type: application/json)");
  if (!j.is_object()) return invalid("body: must be a JSON object");
  return j;
}

Fields::Fields(const json& j, const std::set<std::string>& known) : j_(j) {
  for (const auto& [k, v] : j.items()) {
    if (!known.contains(k)) problems_.push_back(fmt::format("{}: unknown field", k));
  }
}

std::optional<std::string> Fields::text(const std::string& key) {
  if (!j_.contains(key) || j_.at(key).is_null()) return std::nullopt;
  if (!j_.at(key).is_string()) {
    problems_.push_back(fmt::format("{}: must be a string", key));
    return std::nullopt;
  }
  return j_.at(key).get<std::string>();
}

std::optional<std::int64_t> Fields::integer(const std::string& key) {
  if (!j_.contains(key) || j_.at(key).is_null()) return std::nullopt;
  if (!j_.at(key).is_number_integer()) {
    problems_.push_back(fmt::format("{}: must be an integer", key));
    return std::nullopt;
  }
  return j_.at(key).get<std::int64_t>();
}

std::optional<bool> Fields::boolean(const std::string& key) {
  if (!j_.contains(key) || j_.at(key).is_null()) return std::nullopt;
  if (!j_.at(key).is_boolean()) {
    problems_.push_back(fmt::format("{}: must be true or false", key));
    return std::nullopt;
  }
  return j_.at(key).get<bool>();
}

Status Fields::status() const {
  if (problems_.empty()) return {};
  return invalid(fmt::format("{}", fmt::join(problems_, "\n")));
}

Result<RangeQuery> range_query(const net::HttpRequest& r, std::string appid, std::int64_t today) {
  RangeQuery q;
  q.filter.appid = std::move(appid);
  q.last_day = today;
  q.first_day = today - 29;
  for (auto [name, target] : {std::pair{"from", &q.first_day}, std::pair{"to", &q.last_day}}) {
    if (!r.has_query_param(name)) continue;
    auto d = domain::parse_day(r.query_param(name));
    if (!d) return invalid(fmt::format("{}: '{}' is not a date (YYYY-MM-DD)", name, r.query_param(name)));
    *target = *d;
  }
  if (q.first_day > q.last_day) return invalid("from: after to; swap them");
  if (q.last_day - q.first_day > 3660) return invalid("from: ranges are at most 10 years");
  std::string ids = r.query_param("channel");
  for (std::size_t at = 0; !ids.empty() && at <= ids.size();) {
    std::size_t end = ids.find(',', at);
    if (end == std::string::npos) end = ids.size();
    std::int64_t id = 0;
    const auto [p, ec] = std::from_chars(ids.data() + at, ids.data() + end, id);
    if (ec != std::errc{} || p != ids.data() + end) {
      return invalid(fmt::format("channel: '{}' is not a list of channel ids", ids));
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
  return invalid(fmt::format("by: must be channel, group or owner, got '{}'", by));
}

}  // namespace qrscene::service
