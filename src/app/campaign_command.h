// `qrscene campaign create|list|show|stats|end|export` on the admin API: a fission campaign (任务宝)
// made from a JSON file (docs/campaigns.md; --background adds the poster's image), the account's
// campaigns, one campaign's settings and figures, its leaderboard and rewards, and their export.
// Where and who, --json and the exit codes: app/admin_client.h.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Adds `qrscene campaign` and its subcommands to `command`; `run` is set to what runs the chosen one.
void configure_campaign_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
