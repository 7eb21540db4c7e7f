// Fuzz target: the bodies the admin, follower and login APIs read — JSON for a channel, an edit, a
// QR image, a conversion, a login session and a code exchange; CSV for the two imports — sent with
// the admin token to the route the first byte picks, through the whole service
// (fuzz/service_harness.h). Every answer is a whole HTTP response; a refusal is a 4xx whose JSON
// names the problem; nothing makes a handler throw.
#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "service_harness.h"

namespace {

struct Route {
  const char* method;
  const char* path;
  const char* type;
};

constexpr std::array<Route, 8> kRoutes = {{
    {"POST", "/api/v1/channels", "application/json"},
    {"PATCH", "/api/v1/channels/1", "application/json"},
    {"POST", "/api/v1/qr", "application/json"},
    {"POST", "/api/v1/conversions", "application/json"},
    {"POST", "/api/v1/login-sessions", "application/json"},
    {"POST", "/api/v1/login-sessions/exchange", "application/json"},
    {"POST", "/api/v1/channels/import?appid=wxfuzzplain000001", "text/csv"},
    {"POST", "/api/v1/conversions/import?appid=wxfuzzplain000001", "text/csv"},
}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace qrscene::fuzz;
  if (size == 0) return 0;
  const Route& route = kRoutes[data[0] % kRoutes.size()];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string request =
      fmt::format("{} {} HTTP/1.1\r\nHost: fuzz\r\nAuthorization: Bearer {}\r\nContent-Type: {}\r\n"
                  "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                  route.method, route.path, kAdminToken, route.type, body.size(), body);
  const std::string out = Service::get().answer(request);
  const auto statuses = check_answers(out);
  if (statuses.size() != 1) fail(fmt::format("{} answers to one request", statuses.size()), out);
  const unsigned status = statuses.front();
  // (A 404 can be the handler's — an unknown login code — but the router's is not JSON, below.)
  if (status == 401 || status == 405) fail("the route or the token was refused", out);
  if (status >= 400 && status < 500) {
    // A refusal says what is wrong: {"error": {"code": ..., "message": "..."}}.
    const std::size_t at = out.find("\r\n\r\n");
    const auto j = nlohmann::json::parse(out.substr(at + 4), nullptr, false);
    if (j.is_discarded() || !j.contains("error") || !j["error"].is_object() || !j["error"].contains("message") ||
        !j["error"]["message"].is_string() || j["error"]["message"].get<std::string>().empty()) {
      fail("a refusal that does not say what is wrong", out);
    }
  }
  return 0;
}
