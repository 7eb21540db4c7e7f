#include "service/follower_api.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "base/csv.h"
#include "domain/analytics.h"
#include "service/api_support.h"

namespace qrscene::service {
namespace {

using json = nlohmann::json;

json follower_json(const domain::FollowerRow& f) {
  return json{{"follow_id", f.follow_id},
              {"channel_id", f.channel_id},
              {"channel", f.channel},
              {"group", f.group},
              {"owner", f.owner},
              {"followed_at", f.followed_at},
              {"following", !f.left_at},
              {"left_at", f.left_at ? json(*f.left_at) : json(nullptr)},
              {"first_follow", f.first_follow},
              {"pseudonym", f.pseudonym},
              {"openid", f.openid.empty() ? json(nullptr) : json(f.openid)},
              {"unionid", f.unionid.empty() ? json(nullptr) : json(f.unionid)},
              {"tags", f.tags},
              {"conversions", f.conversions},
              {"value_cents", f.value_cents}};
}

json touch_json(const std::optional<domain::TouchPoint>& t) {
  return t ? json{{"channel_id", t->channel_id}, {"at", t->at}} : json(nullptr);
}

// A conversion from a JSON object (the POST body, or a CSV row made into one), checked: every
// problem of the JSON and of the values is named.
Result<domain::ConversionInput> conversion_from(const json& j, std::string appid, std::int64_t utc_offset,
                                                const ConversionService& service) {
  Fields f(j, {"appid", "external_id", "openid", "unionid", "kind", "value_cents", "currency", "occurred_at"});
  domain::ConversionInput c;
  c.appid = std::move(appid);
  c.external_id = f.text("external_id").value_or("");
  c.openid = f.text("openid").value_or("");
  c.unionid = f.text("unionid").value_or("");
  c.kind = f.text("kind").value_or("");
  c.currency = f.text("currency").value_or("");
  if (!j.contains("value_cents")) {
    f.problem("value_cents", "required (an integer number of cents; 0 for a sign-up)", "required");
  }
  c.value_cents = f.integer("value_cents").value_or(0);
  if (j.contains("occurred_at")) {
    const json& t = j["occurred_at"];
    std::optional<std::int64_t> at;
    if (t.is_number_integer()) at = t.get<std::int64_t>();
    if (t.is_string()) at = domain::parse_time(t.get<std::string>(), utc_offset);
    if (!at) {
      f.problem("occurred_at", "Unix seconds, or RFC 3339 such as 2026-11-21T10:00:00+08:00", "not_time");
    } else {
      c.occurred_at = *at;
    }
  }
  // The values' own checks, for the fields the JSON did not already fault.
  const Status typed = f.status();
  std::set<std::string> faulted;
  if (!typed) {
    for (const auto& p : typed.error().fields) faulted.insert(p.field);
  }
  if (auto checked = service.prepare(c); !checked) {
    for (const auto& p : checked.error().fields) {
      if (!faulted.contains(p.field)) f.problem(p);
    }
  }
  QRSCENE_TRY(f.status());
  return c;
}

}  // namespace

FollowerApi::FollowerApi(FollowerApiOptions options, AdminGate& gate, domain::FollowerRepository& followers,
                         ConversionService& conversions, AnalyticsService& analytics)
    : options_(options), gate_(gate), followers_(followers), conversions_(conversions), analytics_(analytics) {}

void FollowerApi::add_routes(net::Router& router) {
  gate_.route(router, "GET", "/api/v1/followers", this, &FollowerApi::list);
  gate_.route(router, "GET", "/api/v1/followers/export", this, &FollowerApi::export_rows);
  gate_.route(router, "POST", "/api/v1/conversions", this, &FollowerApi::record);
  gate_.route(router, "POST", "/api/v1/conversions/import", this, &FollowerApi::import);
  gate_.route(router, "GET", "/api/v1/conversions/report", this, &FollowerApi::report);
}

Result<domain::FollowerQuery> FollowerApi::follower_query(const net::HttpRequest& r) const {
  QRSCENE_ASSIGN_OR_RETURN(auto appid, gate_.resolve_appid(r.query_param("appid")));
  QRSCENE_ASSIGN_OR_RETURN(auto range, range_query(r, appid, analytics_.today()));
  domain::FollowerQuery q;
  q.appid = std::move(appid);
  q.channel_ids = range.filter.channel_ids;
  q.group = range.filter.group;
  q.owner = range.filter.owner;
  const std::int64_t offset = analytics_.utc_offset_seconds();
  // Unlike the stats, the list covers every follow unless a range is asked for.
  if (r.has_query_param("from")) q.followed_from = range.first_day * 86'400 - offset;
  if (r.has_query_param("to")) q.followed_to = (range.last_day + 1) * 86'400 - offset;
  const std::string status = r.query_param("status");
  if (status == "following") {
    q.following = true;
  } else if (status == "left") {
    q.following = false;
  } else if (!status.empty() && status != "all") {
    return field_error("status", fmt::format("must be following, left or all, got '{}'", status), "not_one_of",
                       {{"allowed", "following,left,all"}});
  }
  if (r.has_query_param("sort")) {
    auto sort = domain::follower_sort_from(r.query_param("sort"));
    if (!sort) {
      return field_error("sort", "must be followed_at, left_at, channel or value", "not_one_of",
                         {{"allowed", "followed_at,left_at,channel,value"}});
    }
    q.sort = *sort;
  }
  const std::string order = r.query_param("order");
  if (!order.empty() && order != "asc" && order != "desc") {
    return field_error("order", "must be asc or desc", "not_one_of", {{"allowed", "asc,desc"}});
  }
  q.descending = order != "asc";
  q.openid = r.query_param("openid");
  q.currency = r.has_query_param("currency") ? r.query_param("currency") : conversions_.default_currency();
  QRSCENE_ASSIGN_OR_RETURN(auto per_page, int_param(r, "per_page", 50, 1, options_.max_per_page));
  QRSCENE_ASSIGN_OR_RETURN(auto page, int_param(r, "page", 1, 1, 1'000'000));
  q.limit = per_page;
  q.offset = (page - 1) * per_page;
  return q;
}

net::HttpResponse FollowerApi::list(net::HttpRequest& r) {
  auto q = follower_query(r);
  if (!q) return error_response(q.error());
  auto page = followers_.follower_page(*q);
  if (!page) return error_response(page.error());
  json rows = json::array();
  for (const auto& f : page->rows) rows.push_back(follower_json(f));
  return ok_json(json{{"total", page->total},
                      {"page", q->offset / q->limit + 1},
                      {"per_page", q->limit},
                      {"currency", q->currency},
                      {"rows", std::move(rows)}});
}

net::HttpResponse FollowerApi::export_rows(net::HttpRequest& r) {
  auto q = follower_query(r);
  if (!q) return error_response(q.error());
  const std::string format = r.query_param("format");
  if (!format.empty() && format != "csv" && format != "xlsx") {
    return error_response(field_error("format", fmt::format("must be csv or xlsx, got '{}'", format), "not_one_of",
                                      {{"allowed", "csv,xlsx"}}));
  }
  const std::int64_t offset = analytics_.utc_offset_seconds();
  Table table;
  table.sheet = "followers";
  table.head = {"follow_id", "channel_id", "channel", "group", "owner", "followed_at", "following", "left_at",
                "first_follow", "pseudonym", "openid", "unionid", "tags", "conversions",
                fmt::format("value_{}", q->currency)};
  q->offset = 0;
  q->limit = 1000;
  for (;;) {
    auto page = followers_.follower_page(*q);
    if (!page) return error_response(page.error());
    if (page->total > options_.max_export_rows) {
      return error_response(Error{ErrorCode::kTooLarge,
                                  fmt::format("{} rows match; an export holds at most {}: narrow it by channel, owner "
                                              "or dates (from, to)",
                                              page->total, options_.max_export_rows)});
    }
    for (const auto& f : page->rows) {
      table.rows.push_back({f.follow_id, f.channel_id, f.channel, f.group, f.owner,
                            domain::time_label(f.followed_at, offset), std::string(f.left_at ? "no" : "yes"),
                            f.left_at ? domain::time_label(*f.left_at, offset) : std::string(),
                            std::string(f.first_follow ? "yes" : "no"), f.pseudonym, f.openid, f.unionid,
                            fmt::format("{}", fmt::join(f.tags, ";")), f.conversions,
                            static_cast<double>(f.value_cents) / 100.0});
    }
    if (page->rows.size() < static_cast<std::size_t>(q->limit)) break;
    q->offset += q->limit;
  }
  return download(table, format, fmt::format("followers-{}-{}", q->appid, domain::day_label(analytics_.today())));
}

net::HttpResponse FollowerApi::record(net::HttpRequest& r) {
  auto body = parse_body(r);
  if (!body) return error_response(body.error());
  std::string given = r.query_param("appid");
  if (body->contains("appid") && (*body)["appid"].is_string()) given = (*body)["appid"].get<std::string>();
  auto appid = gate_.resolve_appid(given);
  if (!appid) return error_response(appid.error());
  auto input = conversion_from(*body, *appid, analytics_.utc_offset_seconds(), conversions_);
  if (!input) return error_response(input.error());
  auto recorded = conversions_.record(std::move(*input));
  if (!recorded) return error_response(recorded.error());
  const auto& c = *recorded;
  return ok_json(json{{"id", c.id},
                      {"external_id", c.input.external_id},
                      {"duplicate", c.duplicate},
                      {"known_person", c.known_person},
                      {"first_touch", touch_json(c.first_touch)},
                      {"last_touch", touch_json(c.last_touch)}},
                 c.duplicate ? 200 : 201);
}

net::HttpResponse FollowerApi::import(net::HttpRequest& r) {
  auto appid = gate_.resolve_appid(r.query_param("appid"));
  if (!appid) return error_response(appid.error());
  auto upload = read_csv_upload(r.body);
  if (!upload) return error_response(upload.error());
  const auto* rows = &upload->rows;
  if (rows->empty()) {
    return error_response(field_error("csv", "empty; the first line names the columns (external_id, openid or "
                                             "unionid, kind, value_cents, occurred_at; currency optional)",
                                      "empty"));
  }
  const auto& header = rows->front();
  static const std::set<std::string> kColumns = {"external_id", "openid",   "unionid",    "kind",
                                                 "value_cents", "currency", "occurred_at"};
  std::vector<FieldError> problems;
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!kColumns.contains(header[i])) {
      problems.push_back(
          {"csv", fmt::format("unknown column '{}'", header[i]), "unknown_column", {{"column", header[i]}}});
    }
    column[header[i]] = i;
  }
  for (const char* needed : {"external_id", "kind", "value_cents", "occurred_at"}) {
    if (!column.contains(needed)) {
      problems.push_back(
          {"csv", fmt::format("the {} column is required", needed), "missing_column", {{"column", needed}}});
    }
  }
  if (!column.contains("openid") && !column.contains("unionid")) {
    problems.push_back({"csv", "an openid or a unionid column is required", "missing_column",
                        {{"column", "openid,unionid"}}});
  }
  if (!problems.empty()) return error_response(field_errors(std::move(problems)));
  if (rows->size() - 1 > options_.max_import_rows) {
    return error_response(Error{ErrorCode::kTooLarge, fmt::format("csv: at most {} rows at a time; split the file",
                                                                  options_.max_import_rows)});
  }
  std::int64_t recorded = 0, duplicates = 0;
  json errors = std::move(upload->errors);
  for (std::size_t i = 1; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    // Each row becomes the JSON a POST would send, so both paths check the same way.
    json j = json::object();
    std::vector<FieldError> row_problems;
    for (const auto& [name, at] : column) {
      if (at >= row.size() || row[at].empty()) continue;
      if (name == "value_cents" || (name == "occurred_at" && row[at].find_first_not_of("0123456789") == std::string::npos)) {
        std::int64_t n = 0;
        const auto [end, ec] = std::from_chars(row[at].data(), row[at].data() + row[at].size(), n);
        if (ec != std::errc{} || end != row[at].data() + row[at].size()) {
          row_problems.push_back({name, fmt::format("'{}' is not an integer", row[at]), "not_integer"});
        } else {
          j[name] = n;
        }
      } else {
        j[name] = row[at];
      }
    }
    Result<domain::RecordedConversion> made = field_errors(row_problems);
    if (row_problems.empty()) {
      auto input = conversion_from(j, *appid, analytics_.utc_offset_seconds(), conversions_);
      made = input ? conversions_.record(std::move(*input)) : Result<domain::RecordedConversion>(input.error());
    }
    if (!made) {
      errors.push_back(row_error(i + 1, upload->lines[i], made.error()));
    } else if (made->duplicate) {
      ++duplicates;
    } else {
      ++recorded;
    }
  }
  return ok_json(json{{"recorded", recorded}, {"duplicates", duplicates}, {"errors", std::move(errors)}},
                 errors.empty() ? 200 : 207);
}

net::HttpResponse FollowerApi::report(net::HttpRequest& r) {
  auto appid = gate_.resolve_appid(r.query_param("appid"));
  if (!appid) return error_response(appid.error());
  auto range = range_query(r, *appid, analytics_.today());
  if (!range) return error_response(range.error());
  auto by = breakdown_from(r);
  if (!by) return error_response(by.error());
  const std::string touch_text = r.has_query_param("touch") ? r.query_param("touch") : "first";
  const auto touch = domain::touch_from(touch_text);
  if (!touch) {
    return error_response(field_error("touch", fmt::format("must be first or last, got '{}'", touch_text),
                                      "not_one_of", {{"allowed", "first,last"}}));
  }
  auto report = conversions_.report(range->filter, *by, *touch, r.query_param("currency"), range->first_day,
                                    range->last_day);
  if (!report) return error_response(report.error());
  return net::HttpResponse::json(200, to_json(*report));
}

}  // namespace qrscene::service
