#include "app/followers_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/admin_client.h"
#include "app/terminal.h"
#include "base/encoding.h"

namespace qrscene::app {
namespace {

struct FollowersArgs {
  StatsArgs filter;
  std::string status, sort, order, openid, out, format = "csv";
  std::int64_t page = 1, per_page = 50;
};

int run_followers(FollowersArgs& a) {
  auto api = Api::connect(a.filter.remote);
  if (!api) return 2;
  std::string q = query(a.filter);
  auto add = [&q](std::string_view k, const std::string& v) {
    if (!v.empty()) q += fmt::format("{}{}={}", q.empty() ? '?' : '&', k, percent_encode(v));
  };
  add("status", a.status);
  add("sort", a.sort);
  add("order", a.order);
  add("openid", a.openid);
  if (!a.out.empty()) {
    add("format", a.format);
    return save(*api, "/api/v1/followers/export" + q, a.out, a.format);
  }
  add("page", std::to_string(a.page));
  add("per_page", std::to_string(a.per_page));
  auto page = api->json("GET", "/api/v1/followers" + q);
  if (!page) return 1;
  if (a.filter.remote.json) {
    fmt::print("{}\n", page->dump(2));
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : (*page)["rows"]) {
    std::string tags;
    for (const auto& t : f["tags"]) tags += (tags.empty() ? "" : ";") + t.get<std::string>();
    rows.push_back({str(f["channel"]), str(f["owner"]), when(f["followed_at"]),
                    f["following"].get<bool>() ? "yes" : "no", when(f["left_at"]),
                    f["openid"].is_null() ? str(f["pseudonym"]).substr(0, 12) + "…" : str(f["openid"]),
                    str(f["unionid"]), tags, std::to_string(f["conversions"].get<std::int64_t>()),
                    fmt::format("{:.2f}", static_cast<double>(f["value_cents"].get<std::int64_t>()) / 100)});
  }
  print_table({"channel", "owner", "followed", "following", "left", "openid / pseudonym", "unionid", "tags",
               "conversions", fmt::format("value {}", str((*page)["currency"]))},
              rows);
  const auto total = (*page)["total"].get<std::int64_t>();
  fmt::print("\npage {} of {} ({} follows)\n", a.page, std::max<std::int64_t>(1, (total + a.per_page - 1) / a.per_page),
             total);
  return 0;
}

}  // namespace

void configure_followers_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<FollowersArgs>();
  add_remote_options(command, a->filter.remote);
  command.add_option("--channel", a->filter.channel, "channel ids, comma-separated");
  command.add_option("--group", a->filter.group, "only this group's channels");
  command.add_option("--owner", a->filter.owner, "a promoter's followers");
  command.add_option("--from", a->filter.from, "followed on or after this day, YYYY-MM-DD");
  command.add_option("--to", a->filter.to, "followed on or before this day, YYYY-MM-DD");
  command.add_option("--status", a->status, "following, left or all")->check(CLI::IsMember({"following", "left", "all"}));
  command.add_option("--sort", a->sort, "followed_at, left_at, channel or value")
      ->check(CLI::IsMember({"followed_at", "left_at", "channel", "value"}));
  command.add_option("--order", a->order, "desc (default) or asc")->check(CLI::IsMember({"asc", "desc"}));
  command.add_option("--openid", a->openid, "one person's follows");
  command.add_option("--page", a->page, "which page")->check(CLI::PositiveNumber);
  command.add_option("--per-page", a->per_page, "rows per page (at most 500)")->check(CLI::Range(1, 500));
  command.add_option("--out", a->out, "export every row to this file instead of printing a page");
  command.add_option("--format", a->format, "with --out: csv (default) or xlsx")->check(CLI::IsMember({"csv", "xlsx"}));
  run = [a] { return run_followers(*a); };
}

}  // namespace qrscene::app
