// The qrscene command line: one binary, one subcommand per job (DESIGN.md section 1, item 6).
//
// run() parses argv, runs the chosen subcommand and returns the process exit code:
//   0 success, 1 the job failed, 2 bad usage or configuration (the message says what to fix).
// Subcommands that are planned but not built yet are listed in --help and, when called, say so
// and exit 2, so scripts never mistake them for working.
#pragma once

namespace qrscene::app {

[[nodiscard]] int run(int argc, char** argv);

}  // namespace qrscene::app
