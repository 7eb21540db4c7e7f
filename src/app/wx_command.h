// `qrscene wx`: a low-level console for operators — the WeChat API called directly, one call per
// command (token, qrcode, user, tags, menu, message, datacube). JSON on stdout; errors on stderr
// with exit code 2 for bad arguments or configuration and 1 for a failed call. Credentials come
// from --appid/--secret, QRSCENE_* variables or --config; --api-base/--mp-base point it at
// `qrscene sim`. docs/wechat-client.md shows it in use.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Adds `qrscene wx` and its subcommands to `command`; `run` is set to what runs the chosen one.
void configure_wx_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
