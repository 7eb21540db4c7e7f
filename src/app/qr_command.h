// `qrscene qr render`: draws a QR code as PNG or SVG, offline from --url, or a channel's code with
// its url from the admin API (--channel; where and who: app/admin_client.h). Exit codes: 0 done,
// 1 the service refused, the code could not be drawn or the file not written, 2 bad usage.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Adds `qrscene qr render` to `command`; `run` is set to what runs it once parsed.
void configure_qr_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
