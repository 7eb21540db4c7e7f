// `qrscene followers` on the admin API: follows one by one (channel, owner, when followed and left,
// openid or pseudonym, unionid, tags, conversions and their value), a page at a time, filtered by
// channel, group, owner, day, status or openid; with --out every row to a CSV or XLSX file.
// Where and who, --json and the exit codes: app/admin_client.h.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Adds the options of `qrscene followers` to `command`; `run` is set to what runs it once parsed.
void configure_followers_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
