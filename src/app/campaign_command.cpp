#include "app/campaign_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "app/admin_client.h"
#include "app/terminal.h"
#include "base/encoding.h"

namespace qrscene::app {
namespace {

struct CampaignArgs {
  Remote remote;
  std::string action, file, background, table = "participants", format = "csv", out;
  std::int64_t id = 0;
  std::size_t top = 10;
};

std::string num(const Json& j) { return j.is_number() ? j.dump() : "–"; }

void print_campaign(const Json& c) {
  fmt::print("campaign {} {} ({})\n", num(c["id"]), str(c["name"]), str(c["status"]));
  fmt::print("  window   {} – {} (Beijing)\n", when(c["starts_at"]), when(c["ends_at"]));
  std::vector<std::string> triggers;
  for (const auto& k : c["triggers"]["keywords"]) triggers.push_back("keyword " + str(k));
  for (const auto& k : c["triggers"]["click_keys"]) triggers.push_back("menu " + str(k));
  for (const auto& k : c["triggers"]["channel_ids"]) triggers.push_back("channel " + num(k));
  fmt::print("  triggers {}\n", fmt::join(triggers, ", "));
  for (const auto& t : c["tiers"]) {
    fmt::print("  tier     {} invites → {} ({})\n", num(t["invites"]), str(t["reward_text"]), str(t["reward_code"]));
  }
}

void print_stats(const Json& s) {
  std::vector<std::vector<std::string>> rows{
      {"participants", num(s["participants"])},
      {"  left since", num(s["participants_left"])},
      {"posters sent", num(s["posters_sent"])},
      {"invites counted", num(s["invites_counted"])},
      {"invites taken back", num(s["invites_taken_back"])},
      {"fission rate (invites per participant)", s["fission_rate"].is_number() ? fmt::format("{:.2f}", s["fission_rate"].get<double>()) : "–"},
      {"joined through a friend's code", num(s["invitees_who_joined"])},
  };
  for (const auto& [outcome, n] : s["invites_not_counted"].items()) rows.push_back({"not counted: " + outcome, num(n)});
  for (const auto& g : s["generations"]) rows.push_back({fmt::format("generation {}", num(g["generation"])), num(g["participants"])});
  for (const auto& t : s["rewards"]) {
    rows.push_back({fmt::format("reward at {}", num(t["invites"])),
                    fmt::format("{} granted, {} delivered, {} failed", num(t["granted"]), num(t["delivered"]), num(t["failed"]))});
  }
  const auto& r = s["retention_7d"];
  rows.push_back({"invitees kept 7 days", r["rate"].is_number()
                                              ? fmt::format("{} of {} ({:.0f}%)", num(r["retained"]), num(r["invitees"]),
                                                            r["rate"].get<double>() * 100)
                                              : "– (none followed 7 days ago yet)"});
  rows.push_back({"fraud: left within 10 minutes", num(s["fraud"]["quick_unfollows"])});
  rows.push_back({"fraud: inviters over the hourly cap", num(s["fraud"]["capped_inviters"])});
  rows.push_back({"fraud: chains one generation deep", num(s["fraud"]["one_deep_inviters"])});
  print_table({"figure", "value"}, rows);
}

int run_campaign(CampaignArgs& a) {
  auto api = Api::connect(a.remote);
  if (!api) return 2;
  const std::string path = fmt::format("/api/v1/campaigns/{}", a.id);
  if (a.action == "create") {
    auto text = read_all(a.file);
    if (!text) {
      fmt::print(stderr, "error: {}\n", text.error().message);
      return 2;
    }
    Json body = Json::parse(*text, nullptr, false);
    if (!body.is_object()) {
      fmt::print(stderr, "error: {} is not a JSON object (docs/campaigns.md shows one)\n", a.file);
      return 2;
    }
    if (!a.background.empty()) {
      auto image = read_all(a.background);
      if (!image) {
        fmt::print(stderr, "error: {}\n", image.error().message);
        return 2;
      }
      body["poster"]["background"] = encode_base64(*image);
    }
    if (!a.remote.appid.empty() && !body.contains("appid")) body["appid"] = a.remote.appid;
    auto made = api->json("POST", "/api/v1/campaigns", body.dump());
    if (!made) return 1;
    if (a.remote.json) {
      fmt::print("{}\n", made->dump(2));
      return 0;
    }
    print_campaign(*made);
    return 0;
  }
  if (a.action == "list") {
    auto all = api->json("GET", "/api/v1/campaigns");
    if (!all) return 1;
    if (a.remote.json) {
      fmt::print("{}\n", all->dump(2));
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : *all) {
      const auto& s = c["stats"];
      rows.push_back({num(c["id"]), str(c["name"]), str(c["status"]), when(c["starts_at"]), when(c["ends_at"]),
                      num(s["participants"]), num(s["invites_counted"]), num(s["invites_taken_back"])});
    }
    print_table({"id", "name", "status", "starts", "ends", "participants", "invites", "taken back"}, rows);
    return 0;
  }
  if (a.action == "end") {
    auto ended = api->json("POST", path + "/end");
    if (!ended) return 1;
    fmt::print("campaign {} ended\n", a.id);
    return 0;
  }
  if (a.action == "export") {
    return save(*api, fmt::format("{}/export?table={}&format={}", path, a.table, a.format), a.out, a.format);
  }
  auto c = api->json("GET", path);
  if (!c) return 1;
  if (a.action == "show") {
    if (a.remote.json) {
      fmt::print("{}\n", c->dump(2));
      return 0;
    }
    print_campaign(*c);
    fmt::print("\n");
    print_stats((*c)["stats"]);
    return 0;
  }
  // stats: the figures and the leaderboard's top.
  auto top = api->json("GET", fmt::format("{}/participants?limit={}", path, a.top));
  if (!top) return 1;
  if (a.remote.json) {
    fmt::print("{}\n", Json{{"stats", (*c)["stats"]}, {"leaderboard", *top}}.dump(2));
    return 0;
  }
  print_stats((*c)["stats"]);
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : *top) {
    rows.push_back({num(p["rank"]), num(p["id"]), p["openid"].is_null() ? "(left)" : str(p["openid"]),
                    num(p["generation"]), num(p["counted"]), num(p["taken_back"]), num(p["rewarded_invites"])});
  }
  fmt::print("\n");
  print_table({"rank", "participant", "openid", "generation", "invites", "taken back", "rewarded at"}, rows);
  return 0;
}

}  // namespace

void configure_campaign_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<CampaignArgs>();
  command.require_subcommand(1);
  auto* create = command.add_subcommand("create", "create a campaign from a JSON file (docs/campaigns.md)");
  create->add_option("file", a->file, "the campaign as JSON")->required();
  create->add_option("--background", a->background, "the poster's background, a PNG or JPEG");
  command.add_subcommand("list", "the account's campaigns with their main figures");
  for (const char* name : {"show", "stats", "end", "export"}) {
    auto* sub = command.add_subcommand(name, name == std::string("show")    ? "a campaign's settings and figures"
                                             : name == std::string("stats") ? "a campaign's figures and leaderboard"
                                             : name == std::string("end")   ? "end a campaign now"
                                                                            : "the leaderboard or rewards as CSV or XLSX");
    sub->add_option("id", a->id, "the campaign's id")->required()->check(CLI::PositiveNumber);
  }
  command.get_subcommand("stats")->add_option("--top", a->top, "leaderboard rows (default 10)")->check(CLI::Range(1, 500));
  auto* exp = command.get_subcommand("export");
  exp->add_option("--table", a->table, "participants (default) or rewards")->check(CLI::IsMember({"participants", "rewards"}));
  exp->add_option("--format", a->format, "csv (default) or xlsx")->check(CLI::IsMember({"csv", "xlsx"}));
  exp->add_option("--out", a->out, "the file (default: standard output, CSV only)");
  for (auto* sub : command.get_subcommands({})) {
    add_remote_options(*sub, a->remote);
    sub->callback([a, sub] { a->action = sub->get_name(); });
  }
  run = [a] { return run_campaign(*a); };
}

}  // namespace qrscene::app
