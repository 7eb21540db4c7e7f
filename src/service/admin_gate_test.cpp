#include "service/admin_gate.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace qrscene::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr std::string_view kToken = "correct horse battery staple";

// A gate in front of two routes, driven through the server's own session code (HttpServer::answer),
// with no socket and no store: what the gate does, and nothing else.
class AdminGateTest : public ::testing::Test {
 protected:
  explicit AdminGateTest(std::vector<AdminAccount> accounts = {{"wx1", "Shop", "safe"}})
      : gate_(AdminGateOptions{{token_sha256(kToken)}, 3}, std::move(accounts), blocking_) {
    net::Router router;
    gate_.route(router, "GET", "/ok", [this](net::HttpRequest& r) {
      handler_thread_ = std::this_thread::get_id();
      ++calls_;
      return net::HttpResponse::text(200, "hello " + r.client_ip);
    });
    gate_.route(router, "GET", "/throw", [](net::HttpRequest&) -> net::HttpResponse {
      throw std::runtime_error("boom: a secret detail");
    });
    server_ = std::make_unique<net::HttpServer>(io_, net::HttpServerOptions{}, std::move(router));
  }

  std::string get(std::string_view path, std::string_view authorization, std::string ip = "198.51.100.7") {
    std::string request = fmt::format("GET {} HTTP/1.1\r\nHost: x\r\n", path);
    if (!authorization.empty()) request += fmt::format("Authorization: {}\r\n", authorization);
    request += "Connection: close\r\n\r\n";
    return server_->answer(request, std::move(ip));
  }
  static std::string bearer(std::string_view token) { return fmt::format("Bearer {}", token); }

  asio::thread_pool blocking_{1};
  AdminGate gate_;
  asio::io_context io_;
  std::unique_ptr<net::HttpServer> server_;
  std::atomic<int> calls_{0};
  std::thread::id handler_thread_;
};

TEST_F(AdminGateTest, TheRightTokenPassesAndTheHandlerRunsOnTheBlockingPool) {
  const std::string out = get("/ok", bearer(kToken));
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(out, HasSubstr("hello 198.51.100.7"));
  EXPECT_THAT(out, HasSubstr("Cache-Control: no-store"));
  EXPECT_EQ(calls_.load(), 1);
  EXPECT_NE(handler_thread_, std::this_thread::get_id());  // answer() runs the session on this thread
}

TEST_F(AdminGateTest, NoTokenOrAWrongOneIs401AndTheHandlerNeverRuns) {
  for (const std::string& auth : {std::string(), bearer("wrong"), std::string(kToken), "Basic " + std::string(kToken)}) {
    const std::string out = get("/ok", auth, "198.51.100.1" + std::to_string(auth.size() % 10));
    EXPECT_THAT(out, StartsWith("HTTP/1.1 401")) << auth;
    EXPECT_THAT(out, HasSubstr("WWW-Authenticate: Bearer realm=\"qrscene\"")) << auth;
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(AdminGateTest, AClientThatFailsTooOftenIsRefusedEvenWithTheRightTokenAndOthersAreNot) {
  for (int i = 0; i < 3; ++i) EXPECT_THAT(get("/ok", bearer("guess"), "203.0.113.5"), StartsWith("HTTP/1.1 401"));
  const std::string refused = get("/ok", bearer(kToken), "203.0.113.5");
  EXPECT_THAT(refused, StartsWith("HTTP/1.1 429"));
  EXPECT_THAT(refused, HasSubstr("Retry-After: 60"));
  EXPECT_THAT(get("/ok", bearer(kToken), "203.0.113.6"), StartsWith("HTTP/1.1 200"));
  // An IPv6 client is one /64: another address in it shares the count.
  for (int i = 0; i < 3; ++i) EXPECT_THAT(get("/ok", bearer("guess"), "2001:db8:1:2::10"), StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(get("/ok", bearer(kToken), "2001:db8:1:2::99"), StartsWith("HTTP/1.1 429"));
  EXPECT_THAT(get("/ok", bearer(kToken), "2001:db8:1:3::10"), StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(calls_.load(), 2);
}

TEST_F(AdminGateTest, AHandlerThatThrowsIsA500ThatSaysNothingOfIt) {
  const std::string out = get("/throw", bearer(kToken));
  EXPECT_THAT(out, StartsWith("HTTP/1.1 500"));
  EXPECT_THAT(out, Not(HasSubstr("secret")));
}

TEST_F(AdminGateTest, TheOnlyAccountIsTheDefaultAndAnotherIsNotFound) {
  EXPECT_EQ(gate_.resolve_appid("").value_or(""), "wx1");
  EXPECT_EQ(gate_.resolve_appid("wx1").value_or(""), "wx1");
  auto other = gate_.resolve_appid("wx2");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(other.error().message, HasSubstr("appid: no account wx2"));
}

class AdminGateTwoAccountsTest : public AdminGateTest {
 protected:
  AdminGateTwoAccountsTest() : AdminGateTest({{"wx1", "Shop", "safe"}, {"wx2", "Club", "plain"}}) {}
};

TEST_F(AdminGateTwoAccountsTest, WithSeveralAccountsTheAppidIsRequired) {
  auto none = gate_.resolve_appid("");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(none.error().message, StartsWith("appid: required"));
  EXPECT_EQ(gate_.resolve_appid("wx2").value_or(""), "wx2");
}

TEST(AdminGateOff, WithNoTokenConfiguredEveryRequestIsToldHowToTurnItOn) {
  asio::thread_pool blocking{1};
  AdminGate gate(AdminGateOptions{}, {{"wx1", "Shop", "safe"}}, blocking);
  EXPECT_FALSE(gate.authorized("Bearer "));
  EXPECT_FALSE(gate.authorized("Bearer " + token_sha256("")));
  net::Router router;
  gate.route(router, "GET", "/ok", [](net::HttpRequest&) { return net::HttpResponse::text(200, "in"); });
  asio::io_context io;
  net::HttpServer server(io, {}, std::move(router));
  const std::string out = server.answer("GET /ok HTTP/1.1\r\nAuthorization: Bearer x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(out, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(out, HasSubstr("configure [admin] token_sha256"));
}

TEST(TokenSha256, IsLowercaseHexOfTheToken) {
  EXPECT_EQ(token_sha256("test"), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

}  // namespace
}  // namespace qrscene::service
