// Helpers for tests that read files from the source tree (tests/data, ../shared/seeds).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace qrscene::testing {

// The repository root: $QRSCENE_SOURCE_DIR if set, else the directory CMake configured from.
[[nodiscard]] std::filesystem::path source_dir();

// The whole content of `path` (relative to the repository root). Throws std::runtime_error
// naming the path when it cannot be read, so a missing fixture fails the test loudly.
[[nodiscard]] std::string read_file(const std::filesystem::path& relative);

}  // namespace qrscene::testing
