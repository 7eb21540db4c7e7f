// Fuzzes configuration loading: any bytes as qrscene.toml either parse into a configuration or
// give an error that says what is wrong (a non-empty message, never a crash or a hang). The
// environment is empty, so `env:` secrets are errors, and `file:` secrets are refused below.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // `file:PATH` would read the machine's files: not what is being fuzzed.
  if (text.find("file:") != std::string_view::npos) return 0;
  const qrscene::config::Environment none = [](std::string_view) { return std::optional<std::string>(); };
  auto c = qrscene::config::parse_config(text, "fuzz.toml", none);
  if (!c && c.error().message.empty()) std::abort();
  return 0;
}
