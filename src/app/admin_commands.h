// The operators' CLI on the admin API: `qrscene channel create|list|show|pause|resume|retire|import`,
// `qrscene stats`, `qrscene export` and `qrscene qr render` (offline from a url, or a channel's
// code from the service), and `qrscene admin-token` to make a token for [admin] token_sha256.
//
// Where and who: --server (or QRSCENE_SERVER; default http://127.0.0.1:8080) and the token from
// QRSCENE_ADMIN_TOKEN or --token-file. Tables for people, --json for scripts. Exit codes: 0 done,
// 1 the service refused or some rows failed, 2 bad usage.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

void configure_channel_command(CLI::App& command, std::function<int()>& run);
void configure_stats_command(CLI::App& command, std::function<int()>& run);
void configure_export_command(CLI::App& command, std::function<int()>& run);
void configure_followers_command(CLI::App& command, std::function<int()>& run);
void configure_conversions_command(CLI::App& command, std::function<int()>& run);
void configure_qr_command(CLI::App& command, std::function<int()>& run);
void configure_admin_token_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
