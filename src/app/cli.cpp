#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <array>
#include <functional>
#include <string_view>

#include "app/admin_token_command.h"
#include "app/campaign_command.h"
#include "app/channel_command.h"
#include "app/conversions_command.h"
#include "app/demo_command.h"
#include "app/export_command.h"
#include "app/followers_command.h"
#include "app/qr_command.h"
#include "app/serve_command.h"
#include "app/sim_command.h"
#include "app/stats_command.h"
#include "app/wx_command.h"

namespace qrscene::app {
namespace {

constexpr std::string_view kVersion = "0.1.0";

struct Command {
  std::string_view name;
  std::string_view summary;
  void (*configure)(CLI::App&, std::function<int()>&);
};

// Every subcommand of DESIGN.md, in the order --help lists them.
constexpr std::array<Command, 14> kCommands{{
    {"demo", "run the whole product offline against the simulator, with sample channels", configure_demo_command},
    {"serve", "run the callback endpoint, admin API, dashboard and jobs", configure_serve_command},
    {"check-config", "read and check a configuration file, listing every problem",
     configure_check_config_command},
    {"sim", "run the offline WeChat platform simulator (API, image host, virtual users)", configure_sim_command},
    {"channel", "create, list, show, pause, resume, retire and import channels (admin API)",
     configure_channel_command},
    {"stats", "growth, churn and retention by channel, group or owner (admin API)", configure_stats_command},
    {"export", "export the figures by channel, group or owner as CSV or XLSX (admin API)", configure_export_command},
    {"followers", "followers one by one per channel or owner; export as CSV or XLSX (admin API)",
     configure_followers_command},
    {"conversions", "record or import conversions; figures per channel or owner (admin API)",
     configure_conversions_command},
    {"campaign", "fission campaigns (任务宝): create, list, show, stats, end, export (admin API)",
     configure_campaign_command},
    {"qr", "render a QR code as PNG or SVG, offline or a channel's; or many channels' codes as a ZIP",
     configure_qr_command},
    {"admin-token", "make an admin token and the hash for [admin] token_sha256", configure_admin_token_command},
    {"wx", "call the WeChat API directly (token, qrcode, user, tags, menu, message, datacube)",
     configure_wx_command},
    {"migrate", "create or upgrade the database schema (SQLite or PostgreSQL)", configure_migrate_command},
}};

}  // namespace

int run(int argc, char** argv) {
  CLI::App cli{"qrscene — WeChat Official Account parametric QR codes: channels, attribution, analytics"};
  cli.set_version_flag("--version", std::string(kVersion));
  cli.require_subcommand(0, 1);
  cli.footer("Run 'qrscene <command> --help' for a command's options.");

  std::function<int()>* job = nullptr;
  std::array<std::function<int()>, kCommands.size()> jobs;  // one per command: each sets its own
  for (std::size_t i = 0; i < kCommands.size(); ++i) {
    const Command& c = kCommands[i];
    auto* sub = cli.add_subcommand(std::string(c.name), std::string(c.summary));
    c.configure(*sub, jobs[i]);
    sub->callback([&job, &jobs, i] { job = &jobs[i]; });
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  if (job == nullptr) {
    fmt::print("{}", cli.help());
    return 0;
  }
  return (*job)();
}

}  // namespace qrscene::app
