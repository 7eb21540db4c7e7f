// `qrscene export` on the admin API: the figures by channel, group or owner as CSV (to standard
// output or --out) or XLSX (--out only). Where and who and the exit codes: app/admin_client.h.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Adds the options of `qrscene export` to `command`; `run` is set to what runs it once parsed.
void configure_export_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
