#include "app/stats_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/admin_client.h"
#include "app/terminal.h"

namespace qrscene::app {
namespace {

std::string percent(const Json& v) { return v.is_null() ? "–" : fmt::format("{:.1f}%", v.get<double>() * 100); }

std::string known(const Json& v) { return v.is_null() ? "–" : std::to_string(v.get<std::int64_t>()); }

// Our QR follows beside WeChat's datacube (source 30), day by day, and the scenes qrscene does not know.
int run_reconcile(Api& api, const StatsArgs& a) {
  std::string q = query(a);
  auto days = api.json("GET", "/api/v1/stats/reconciliation" + q);
  if (!days) return 1;
  if (a.remote.json) {
    fmt::print("{}\n", days->dump(2));
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  bool unpublished = false;
  for (const auto& d : *days) {
    unpublished = unpublished || !d["wechat_published"].get<bool>();
    rows.push_back({str(d["date"]), std::to_string(d["ours_follows"].get<std::int64_t>()),
                    std::to_string(d["unknown_scene_follows"].get<std::int64_t>()), known(d["wechat_follows"]),
                    known(d["follows_difference"]), std::to_string(d["ours_unfollows"].get<std::int64_t>()),
                    known(d["wechat_unfollows"])});
  }
  print_table({"day", "ours", "other codes", "WeChat", "difference", "our unfollows", "WeChat unfollows"}, rows);
  if (unpublished) fmt::print("\n–: WeChat publishes a day's figures at 08:00 Beijing time the next day; not yet\n");
  for (const auto& d : *days) {
    for (const auto& s : d["unknown_scenes"]) {
      fmt::print("{}: {} follows through scene '{}', which no channel holds (a code made outside qrscene?)\n",
                 str(d["date"]), s["follows"].get<std::int64_t>(), str(s["scene"]));
    }
  }
  return 0;
}

int run_stats(StatsArgs& a) {
  auto api = Api::connect(a.remote);
  if (!api) return 2;
  if (a.reconcile) return run_reconcile(*api, a);
  if (!a.by.empty()) {
    std::string q = query(a);
    q += fmt::format("{}by={}", q.empty() ? '?' : '&', a.by);
    auto rows = api->json("GET", "/api/v1/stats/breakdown" + q);
    if (!rows) return 1;
    if (a.remote.json) {
      fmt::print("{}\n", rows->dump(2));
      return 0;
    }
    std::vector<std::vector<std::string>> out;
    for (const auto& r : *rows) {
      out.push_back({str(r["key"]), std::to_string(r["channels"].get<std::int64_t>()), std::to_string(r["scans"].get<std::int64_t>()),
                     std::to_string(r["new_follows"].get<std::int64_t>()), std::to_string(r["unfollows"].get<std::int64_t>()),
                     std::to_string(r["quick_unfollows"].get<std::int64_t>()), std::to_string(r["net"].get<std::int64_t>())});
    }
    print_table({a.by, "channels", "scans", "new", "unfollows", "within 5 min", "net"}, out);
    return 0;
  }
  std::string q = query(a);
  q += fmt::format("{}granularity={}", q.empty() ? '?' : '&', a.granularity);
  auto s = api->json("GET", "/api/v1/stats" + q);
  if (!s) return 1;
  if (a.remote.json) {
    fmt::print("{}\n", s->dump(2));
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : (*s)["series"]) {
    rows.push_back({str(p["label"]), std::to_string(p["scans"].get<std::int64_t>()),
                    std::to_string(p["new_follows"].get<std::int64_t>()), std::to_string(p["existing_scans"].get<std::int64_t>()),
                    std::to_string(p["unfollows"].get<std::int64_t>()), std::to_string(p["net"].get<std::int64_t>())});
  }
  const Json& t = (*s)["totals"];
  rows.push_back({"total", std::to_string(t["scans"].get<std::int64_t>()), std::to_string(t["new_follows"].get<std::int64_t>()),
                  std::to_string(t["existing_scans"].get<std::int64_t>()), std::to_string(t["unfollows"].get<std::int64_t>()),
                  std::to_string(t["net"].get<std::int64_t>())});
  print_table({a.granularity, "scans", "new", "follower scans", "unfollows", "net"}, rows);
  const Json& r = (*s)["retention"];
  fmt::print("\nunique scanners {}  retention 1d {} 7d {} 30d {}  unfollowed within 24 h {}  within 5 min {}\n",
             (*s)["unique_scanners"].get<std::int64_t>(), percent(r["d1"]), percent(r["d7"]), percent(r["d30"]),
             percent((*s)["early_unfollow_rate"]), (*s)["fraud"]["quick_unfollows"].get<std::int64_t>());
  for (const auto& b : (*s)["fraud"]["bursts"]) {
    fmt::print("burst: {} had {} new follows (the days before: {:.1f} a day; a burst from {})\n", str(b["label"]),
               b["new_follows"].get<std::int64_t>(), b["baseline"].get<double>(), b["threshold"].get<std::int64_t>());
  }
  return 0;
}

}  // namespace

void configure_stats_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<StatsArgs>();
  add_remote_options(command, a->remote);
  add_stats_filters(command, *a);
  command.add_option("--granularity", a->granularity, "hour, day, week or month")
      ->check(CLI::IsMember({"hour", "day", "week", "month"}));
  command.add_option("--by", a->by, "rank by channel, group or owner instead")
      ->check(CLI::IsMember({"channel", "group", "owner"}));
  command.add_flag("--reconcile", a->reconcile,
                   "set our QR follows beside WeChat's datacube (at most 7 days, up to yesterday; default: the last 7)")
      ->excludes("--by");
  run = [a] { return run_stats(*a); };
}

}  // namespace qrscene::app
