#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <array>
#include <string_view>

namespace qrscene::app {
namespace {

constexpr std::string_view kVersion = "0.1.0";

struct PlannedCommand {
  std::string_view name;
  std::string_view summary;
  int issue;  // where the work is tracked
};

// Every subcommand of DESIGN.md; each moves out of this list when it is built.
constexpr std::array<PlannedCommand, 9> kPlanned{{
    {"demo", "run the whole product offline against the simulator, with sample channels", 5},
    {"serve", "run the callback endpoint, admin API, dashboard and jobs", 5},
    {"sim", "run the offline WeChat platform simulator (API, image host, virtual users)", 3},
    {"channel", "create, list, show, pause and retire channels", 5},
    {"stats", "per-channel growth, churn and retention", 6},
    {"export", "export events, followers and statistics as CSV/XLSX", 6},
    {"qr", "render a channel's QR code as PNG or SVG", 6},
    {"wx", "call the WeChat API directly (token, qrcode, user, tag, menu, message)", 4},
    {"migrate", "create or upgrade the database schema", 8},
}};

}  // namespace

int run(int argc, char** argv) {
  CLI::App cli{"qrscene — WeChat Official Account parametric QR codes: channels, attribution, analytics"};
  cli.set_version_flag("--version", std::string(kVersion));
  cli.require_subcommand(0, 1);
  cli.footer("Run 'qrscene <command> --help' for a command's options.");

  std::string_view chosen;
  int chosen_issue = 0;
  for (const auto& c : kPlanned) {
    auto* sub = cli.add_subcommand(std::string(c.name), fmt::format("{} (not built yet)", c.summary));
    sub->allow_extras();
    sub->callback([&chosen, &chosen_issue, c] {
      chosen = c.name;
      chosen_issue = c.issue;
    });
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  if (chosen.empty()) {
    fmt::print("{}", cli.help());
    return 0;
  }
  fmt::print(stderr, "qrscene {}: not built yet (tracked in issue {}). 'qrscene --help' lists what exists.\n",
             chosen, chosen_issue);
  return 2;
}

}  // namespace qrscene::app
