// `qrscene conversions record|import|report` on the admin API: one conversion recorded (and
// where it is attributed), many recorded from a CSV file sent in parts, or the figures per
// channel, group or owner by first or last touch. Where and who, --json and the exit codes:
// app/admin_client.h.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Adds `qrscene conversions` and its subcommands to `command`; `run` is set to what runs the chosen one.
void configure_conversions_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
