// `qrscene stats` on the admin API: growth and churn over time (a row per --granularity, then the
// totals, retention and unfollow rates, and bursts of new follows), or with --by a ranking of
// channels, groups or owners. Where and who, --json and the exit codes: app/admin_client.h.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Adds the options of `qrscene stats` to `command`; `run` is set to what runs it once parsed.
void configure_stats_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
