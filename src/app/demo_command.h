// `qrscene demo`: the whole product offline. Starts the simulator (standing in for WeChat) and
// the service on loopback, SQLite under ./qrscene-demo/, creates five realistic channels (two
// stores, a poster, a promoter, a temporary ad code), writes their QR codes as PNG files, sends
// virtual users through scans, follows, re-scans and unfollows, and prints a per-channel table
// checked against what the simulator's users did. Options: --users, --seed, --keep-running,
// --dir, --port (docs/quickstart.md).
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

void configure_demo_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
