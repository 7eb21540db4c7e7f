#include "app/channel_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/admin_client.h"
#include "app/terminal.h"

namespace qrscene::app {
namespace {

std::vector<std::string> channel_row(const Json& c) {
  const Json t = c.value("totals", Json{{"scans", 0}, {"new_follows", 0}, {"unfollows", 0}, {"net", 0}});
  return {std::to_string(c["id"].get<std::int64_t>()), str(c["name"]), str(c["group"]), str(c["owner"]),
          str(c["kind"]), str(c["scene"]), str(c["status"]), std::to_string(t["new_follows"].get<std::int64_t>()),
          std::to_string(t["unfollows"].get<std::int64_t>()), std::to_string(t["net"].get<std::int64_t>())};
}

const std::vector<std::string> kChannelHead = {"id", "name", "group", "owner", "kind", "scene",
                                               "status", "new", "unfollows", "net"};

struct ChannelArgs {
  Remote remote;
  std::string action;
  std::int64_t id = 0;
  std::string name, group, owner, kind = "temporary", scene, reply, reply_scan, tag, file;
  bool evergreen = false;
  double spend = -1;
  std::size_t chunk = 50;
  std::int64_t external = -1;  // quota: permanent codes made outside qrscene
};

// The permanent quota as WeChat counts it; with --external, the codes made elsewhere first.
int run_quota(Api& api, const ChannelArgs& a) {
  std::optional<Json> q;
  if (a.external >= 0) {
    q = api.json("PUT", "/api/v1/quota", Json{{"external", a.external}}.dump());
  } else {
    q = api.json("GET", "/api/v1/quota");
  }
  if (!q) return 1;
  if (a.remote.json) {
    fmt::print("{}\n", q->dump(2));
    return 0;
  }
  fmt::print("permanent codes: {} used of {} ({} by qrscene, {} made elsewhere), {} left\n",
             (*q)["used"].get<std::int64_t>(), (*q)["limit"].get<std::int64_t>(), (*q)["made"].get<std::int64_t>(),
             (*q)["external"].get<std::int64_t>(), (*q)["left"].get<std::int64_t>());
  if (!(*q)["wechat_refused_at"].is_null()) {
    fmt::print("WeChat refused a new permanent code as over quota (45029) at {}: reuse a retired permanent "
               "scene, or make temporary channels\n",
               (*q)["wechat_refused_at"].get<std::int64_t>());
  }
  return 0;
}

// What a marketer must act on: a code that will die, a renewal that fails.
void print_attention(const Json& c) {
  if (c.value("expiry_warning", false)) {
    fmt::print("warning: the code dies in {} h and will not be renewed: print a new one or make it evergreen\n",
               c["expires_in_seconds"].get<std::int64_t>() / 3600);
  }
  if (c.contains("renewal_failure") && c["renewal_failure"].is_object()) {
    fmt::print("renewal failing since {}: {}\n", c["renewal_failure"]["at"].get<std::int64_t>(),
               str(c["renewal_failure"]["error"]));
  }
}

int run_channel(ChannelArgs& a) {
  auto api = Api::connect(a.remote);
  if (!api) return 2;
  if (a.action == "list") {
    auto list = api->json("GET", "/api/v1/channels");
    if (!list) return 1;
    if (a.remote.json) {
      fmt::print("{}\n", list->dump(2));
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : *list) rows.push_back(channel_row(c));
    print_table(kChannelHead, rows);
    return 0;
  }
  if (a.action == "create") {
    Json body{{"name", a.name}, {"group", a.group}, {"owner", a.owner}, {"kind", a.kind}};
    if (!a.scene.empty()) {
      const bool digits = a.scene.find_first_not_of("0123456789") == std::string::npos && a.scene.size() < 11;
      body["scene"] = digits ? Json(std::stoll(a.scene)) : Json(a.scene);
    }
    if (!a.reply.empty()) body["on_subscribe"] = a.reply;
    if (!a.reply_scan.empty()) body["on_scan"] = a.reply_scan;
    if (!a.tag.empty()) body["tag"] = a.tag;
    if (a.evergreen) body["evergreen"] = true;
    if (a.spend >= 0) body["spend_cents"] = std::llround(a.spend * 100);
    auto made = api->json("POST", "/api/v1/channels", body.dump());
    if (!made) return 1;
    if (a.remote.json) {
      fmt::print("{}\n", made->dump(2));
    } else {
      print_table(kChannelHead, {channel_row(*made)});
      fmt::print("url: {}\n", str((*made)["url"]));
    }
    return 0;
  }
  if (a.action == "quota") return run_quota(*api, a);
  if (a.action == "import") {
    std::size_t created = 0;
    std::vector<std::string> errors;
    const int status = upload_csv(*api, a.file, "/api/v1/channels/import", a.chunk, errors,
                                  [&created](const Json& j) { created += j["created"].size(); });
    if (status == 2) return 2;
    fmt::print("{} created, {} failed\n", created, errors.size());
    for (const auto& e : errors) fmt::print("  {}\n", e);
    return status;
  }
  // show, pause, resume, retire
  std::optional<Json> c;
  if (a.action == "show") {
    c = api->json("GET", fmt::format("/api/v1/channels/{}", a.id));
  } else {
    c = api->json("POST", fmt::format("/api/v1/channels/{}/{}", a.id, a.action));
  }
  if (!c) return 1;
  if (a.remote.json) {
    fmt::print("{}\n", c->dump(2));
    return 0;
  }
  print_table(kChannelHead, {channel_row(*c)});
  fmt::print("url: {}\nreply on follow: {}\nreply on scan: {}\n", str((*c)["url"]), (*c)["on_subscribe"].dump(),
             (*c)["on_scan"].dump());
  print_attention(*c);
  return 0;
}

}  // namespace

void configure_channel_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<ChannelArgs>();
  command.require_subcommand(1);
  auto* create = command.add_subcommand("create", "create a channel and its QR code");
  add_remote_options(*create, a->remote);
  create->add_option("--name", a->name, "what the channel is (shown in reports)")->required();
  create->add_option("--group", a->group, "a group, e.g. 线下");
  create->add_option("--owner", a->owner, "the promoter it belongs to");
  create->add_option("--kind", a->kind, "temporary (30 days at most) or permanent (100,000 per account)")
      ->check(CLI::IsMember({"temporary", "permanent"}));
  create->add_option("--scene", a->scene, "the scene (default: the next free int scene)");
  create->add_option("--reply", a->reply, "the text a new follower gets ({channel} {scene} {owner})");
  create->add_option("--reply-scan", a->reply_scan, "the text a follower who scans gets");
  create->add_option("--tag", a->tag, "tag followers with this WeChat tag");
  create->add_flag("--evergreen", a->evergreen, "renew the temporary code before it expires");
  create->add_option("--spend", a->spend, "what the channel cost, in yuan");
  auto* list = command.add_subcommand("list", "list the channels with their totals");
  add_remote_options(*list, a->remote);
  for (const char* verb : {"show", "pause", "resume", "retire"}) {
    auto* sub = command.add_subcommand(verb, fmt::format("{} a channel", verb));
    add_remote_options(*sub, a->remote);
    sub->add_option("id", a->id, "the channel's id")->required();
  }
  auto* import = command.add_subcommand("import", "create channels from a CSV file (a header row first)");
  add_remote_options(*import, a->remote);
  import->add_option("file", a->file, "the CSV: name,group,owner,kind,scene,expire_seconds,evergreen,"
                                      "reply_subscribe,reply_scan,tag,spend_cents")
      ->required();
  import->add_option("--chunk", a->chunk, "rows per request")->check(CLI::Range(1, 1000));
  auto* quota = command.add_subcommand("quota", "the permanent-code quota as WeChat counts it");
  add_remote_options(*quota, a->remote);
  quota->add_option("--external", a->external, "set the permanent codes made outside qrscene (WeChat counts them)")
      ->check(CLI::Range(0, 100'000));
  for (auto* sub : command.get_subcommands({})) {
    sub->callback([a, sub] { a->action = sub->get_name(); });
  }
  run = [a] { return run_channel(*a); };
}

}  // namespace qrscene::app
