#include "app/conversions_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "app/admin_client.h"
#include "app/terminal.h"
#include "base/encoding.h"

namespace qrscene::app {
namespace {

struct ConversionsArgs {
  StatsArgs filter;
  std::string action, file, external_id, openid, unionid, kind, currency, at, by = "channel", touch = "first";
  double value = -1;
  std::size_t chunk = 200;
};

std::string duration(const Json& seconds) {
  if (!seconds.is_number_integer()) return "–";
  const auto s = seconds.get<std::int64_t>();
  if (s < 3600) return fmt::format("{}m", s / 60);
  if (s < 86'400) return fmt::format("{:.1f}h", static_cast<double>(s) / 3600);
  return fmt::format("{:.1f}d", static_cast<double>(s) / 86'400);
}

std::string money(const Json& cents) {
  if (cents.is_null()) return "–";
  return fmt::format("{:.2f}", cents.get<double>() / 100);
}

int run_conversions(ConversionsArgs& a) {
  auto api = Api::connect(a.filter.remote);
  if (!api) return 2;
  if (a.action == "import") {
    std::int64_t recorded = 0, duplicates = 0;
    std::vector<std::string> errors;
    const int status = upload_csv(*api, a.file, "/api/v1/conversions/import", a.chunk, errors, [&](const Json& j) {
      recorded += j.value("recorded", std::int64_t{0});
      duplicates += j.value("duplicates", std::int64_t{0});
    });
    if (status == 2) return 2;
    fmt::print("{} recorded, {} already there, {} failed\n", recorded, duplicates, errors.size());
    for (const auto& e : errors) fmt::print("  {}\n", e);
    return status;
  }
  if (a.action == "record") {
    Json body{{"external_id", a.external_id}, {"kind", a.kind}, {"value_cents", std::llround(a.value * 100)}};
    if (!a.openid.empty()) body["openid"] = a.openid;
    if (!a.unionid.empty()) body["unionid"] = a.unionid;
    if (!a.currency.empty()) body["currency"] = a.currency;
    if (a.at.empty()) {
      body["occurred_at"] = static_cast<std::int64_t>(std::time(nullptr));
    } else {
      const bool digits = a.at.find_first_not_of("0123456789") == std::string::npos && a.at.size() < 12;
      body["occurred_at"] = digits ? Json(std::stoll(a.at)) : Json(a.at);
    }
    auto r = api->call("POST", "/api/v1/conversions", body.dump());
    if (!r) return 1;
    const Json j = Json::parse(r->body, nullptr, false);
    if (a.filter.remote.json) {
      fmt::print("{}\n", j.dump(2));
      return 0;
    }
    auto touch = [](const Json& t) { return t.is_null() ? std::string("none") : fmt::format("channel {}", t["channel_id"].get<std::int64_t>()); };
    fmt::print("{} {}: first touch {}, last touch {}{}\n", j["duplicate"].get<bool>() ? "already recorded" : "recorded",
               a.external_id, touch(j["first_touch"]), touch(j["last_touch"]),
               j["known_person"].get<bool>() ? "" : " (nobody we know: not attributed)");
    return 0;
  }
  std::string q = query(a.filter);
  q += fmt::format("{}by={}&touch={}", q.empty() ? '?' : '&', a.by, a.touch);
  if (!a.currency.empty()) q += "&currency=" + percent_encode(a.currency);
  auto report = api->json("GET", "/api/v1/conversions/report" + q);
  if (!report) return 1;
  if (a.filter.remote.json) {
    fmt::print("{}\n", report->dump(2));
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  auto row = [&rows](const std::string& key, const Json& f) {
    rows.push_back({key, std::to_string(f["followers"].get<std::int64_t>()),
                    std::to_string(f["conversions"].get<std::int64_t>()), std::to_string(f["converters"].get<std::int64_t>()),
                    money(f["value_cents"]), money(f["value_per_follower_cents"]), duration(f["median_seconds_to_first"])});
  };
  for (const auto& f : (*report)["rows"]) row(str(f["key"]), f);
  row("total", (*report)["totals"]);
  if (!(*report)["unattributed"].is_null()) row("(no channel)", (*report)["unattributed"]);
  print_table({a.by, "followers", "conversions", "converters", fmt::format("value {}", str((*report)["currency"])),
               "per follower", "to 1st (median)"},
              rows);
  fmt::print("\n{} touch, {} to {}\n", a.touch, str((*report)["from"]), str((*report)["to"]));
  return 0;
}

}  // namespace

void configure_conversions_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<ConversionsArgs>();
  command.require_subcommand(1);
  auto* record = command.add_subcommand("record", "record one conversion (the same --external-id again changes nothing)");
  add_remote_options(*record, a->filter.remote);
  record->add_option("--external-id", a->external_id, "your order or payment id")->required();
  record->add_option("--openid", a->openid, "the follower's openid (or --unionid)");
  record->add_option("--unionid", a->unionid, "the follower's unionid");
  record->add_option("--kind", a->kind, "order, payment, signup, …")->required();
  record->add_option("--value", a->value, "in yuan (or the currency's unit), e.g. 99.5")->required();
  record->add_option("--currency", a->currency, "ISO 4217 (default: the service's [conversions] currency)");
  record->add_option("--at", a->at, "when: Unix seconds or RFC 3339 (default: now)");
  auto* import = command.add_subcommand("import", "record conversions from a CSV file (a header row first)");
  add_remote_options(*import, a->filter.remote);
  import->add_option("file", a->file, "the CSV: external_id,openid,unionid,kind,value_cents,occurred_at[,currency]")
      ->required();
  import->add_option("--chunk", a->chunk, "rows per request")->check(CLI::Range(1, 5000));
  auto* report = command.add_subcommand("report", "conversions per channel, group or owner");
  add_remote_options(*report, a->filter.remote);
  add_stats_filters(*report, a->filter);
  report->add_option("--by", a->by, "channel (default), group or owner")->check(CLI::IsMember({"channel", "group", "owner"}));
  report->add_option("--touch", a->touch, "first (default) or last")->check(CLI::IsMember({"first", "last"}));
  report->add_option("--currency", a->currency, "ISO 4217 (default: the service's)");
  for (auto* sub : command.get_subcommands({})) {
    sub->callback([a, sub] { a->action = sub->get_name(); });
  }
  run = [a] { return run_conversions(*a); };
}

}  // namespace qrscene::app
