// Names the calling thread as `top -H`, `perf` and gdb show it ("qrs-writer", "qrs-projector"):
// Linux keeps 15 characters, the rest is cut.
#pragma once

#include <string_view>

namespace qrscene {

void name_this_thread(std::string_view name) noexcept;

}  // namespace qrscene
