#include "app/export_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <string>

#include "app/admin_client.h"

namespace qrscene::app {
namespace {

struct ExportArgs {
  StatsArgs stats;
  std::string format = "csv";
  std::string out;
};

int run_export(ExportArgs& a) {
  auto api = Api::connect(a.stats.remote);
  if (!api) return 2;
  std::string q = query(a.stats);
  if (!a.stats.by.empty()) q += fmt::format("{}by={}", q.empty() ? '?' : '&', a.stats.by);
  q += fmt::format("{}format={}", q.empty() ? '?' : '&', a.format);
  return save(*api, "/api/v1/export" + q, a.out, a.format);
}

}  // namespace

void configure_export_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<ExportArgs>();
  add_remote_options(command, a->stats.remote);
  add_stats_filters(command, a->stats);
  command.add_option("--by", a->stats.by, "a row per channel (default), group or owner")
      ->check(CLI::IsMember({"channel", "group", "owner"}));
  command.add_option("--format", a->format, "csv (default) or xlsx")->check(CLI::IsMember({"csv", "xlsx"}));
  command.add_option("--out", a->out, "the file to write (default: standard output)");
  run = [a] { return run_export(*a); };
}

}  // namespace qrscene::app
