// `qrscene serve --config qrscene.toml`: runs the service (app::ServiceRuntime) until SIGINT or
// SIGTERM, then stops gracefully (requests in flight finish, every accepted event is committed).
// `qrscene check-config --config qrscene.toml`: reads and checks the configuration, lists every
// problem (exit 2) or summarises what would run (exit 0). docs/configuration.md has the keys.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

void configure_serve_command(CLI::App& command, std::function<int()>& run);
void configure_check_config_command(CLI::App& command, std::function<int()>& run);
// qrscene migrate: applies the schema migrations the configured store lacks (or --check).
void configure_migrate_command(CLI::App& command, std::function<int()>& run);

// Blocks SIGINT and SIGTERM in this thread (and the threads it starts later); wait_for_stop()
// then returns the first of them to arrive.
void block_stop_signals();
int wait_for_stop();

}  // namespace qrscene::app
