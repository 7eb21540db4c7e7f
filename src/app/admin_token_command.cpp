#include "app/admin_token_command.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/encoding.h"
#include "service/admin_gate.h"

namespace qrscene::app {

void configure_admin_token_command(CLI::App& command, std::function<int()>& run) {
  run = [] {
    std::array<std::uint8_t, 24> bytes{};
    secure_random_bytes(bytes);
    const std::string token = encode_base64(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    std::string url_safe = token;
    for (char& c : url_safe) c = c == '+' ? '-' : c == '/' ? '_' : c;
    fmt::print("token: {}\n[admin]\ntoken_sha256 = \"{}\"\n", url_safe, service::token_sha256(url_safe));
    fmt::print(stderr, "Keep the token (give it to the dashboard or QRSCENE_ADMIN_TOKEN); the config holds only its hash.\n");
    return 0;
  };
  (void)command;
}

}  // namespace qrscene::app
