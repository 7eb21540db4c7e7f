// `qrscene channel create|list|show|pause|resume|retire|import` on the admin API: a channel and
// its QR code made, listed with its totals, shown, paused, resumed or retired by id, or many
// created from a CSV file sent in parts. Where and who, --json and the exit codes: app/admin_client.h.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Adds `qrscene channel` and its subcommands to `command`; `run` is set to what runs the chosen one.
void configure_channel_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
