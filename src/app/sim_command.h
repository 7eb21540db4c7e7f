// `qrscene sim`: runs the offline WeChat platform (src/sim) on a loopback HTTP port until SIGINT
// or SIGTERM, then saves its state when --state is given. Options: docs/simulator.md.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace qrscene::app {

// Adds the options of `qrscene sim` to `command`; `run` is set to what runs it once parsed.
void configure_sim_command(CLI::App& command, std::function<int()>& run);

}  // namespace qrscene::app
