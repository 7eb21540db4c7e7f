// `qrscene admin-token`: makes an admin token (24 random bytes, URL-safe base64) and prints it
// with the [admin] token_sha256 line for the configuration, which holds only the hash. Offline.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Sets `run` to what makes and prints the token; `qrscene admin-token` takes no options.
void configure_admin_token_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
