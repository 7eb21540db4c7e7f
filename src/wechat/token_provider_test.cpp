#include "wechat/token_provider.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "support/scripted_transport.h"

namespace qrscene::wechat {
namespace {

using namespace std::chrono_literals;

using testing::ScriptedTransport;

HttpReply json(std::string body) { return testing::json_reply(std::move(body)); }

class TokenProviderTest : public ::testing::Test {
 protected:
  TokenProviderTest() {
    transport_.script([this](const HttpCall&) {
      const int n = ++issued_;
      return Result<HttpReply>(json(R"({"access_token":"T)" + std::to_string(n) + R"(","expires_in":7200})"));
    });
  }
  TokenProviderOptions options(TokenMode mode = TokenMode::kStable) {
    TokenProviderOptions o;
    o.api_base = "http://sim";
    o.appid = "wx1";
    o.secret = Secret("s3cret");
    o.mode = mode;
    o.sleep = [this](std::chrono::milliseconds d) { slept_.push_back(d); };
    return o;
  }

  ScriptedTransport transport_;
  std::vector<std::chrono::milliseconds> slept_;
  std::atomic<int> issued_{0};
  MemoryTokenStore store_;
  FakeClock clock_{1'700'000'000};
};

TEST_F(TokenProviderTest, SixtyFourConcurrentCallersCauseOneRequest) {
  transport_.script([this](const HttpCall&) {
    std::this_thread::sleep_for(50ms);  // long enough for every caller to arrive while it is in flight
    ++issued_;
    return Result<HttpReply>(json(R"({"access_token":"ONE","expires_in":7200})"));
  });
  TokenProvider provider(transport_, store_, clock_, options());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&] {
      auto t = provider.token();
      if (t && *t == "ONE") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 64);
  EXPECT_EQ(transport_.count(), 1);
  EXPECT_EQ(provider.requests(), 1);
}

TEST_F(TokenProviderTest, StableModeIsTheDefaultAndSendsJson) {
  TokenProvider provider(transport_, store_, clock_, options());
  ASSERT_TRUE(provider.token());
  EXPECT_EQ(transport_.calls().back().method, "POST");
  EXPECT_EQ(transport_.calls().back().url, "http://sim/cgi-bin/stable_token");
  EXPECT_NE(transport_.calls().back().body.find(R"("force_refresh":false)"), std::string::npos);
  EXPECT_NE(transport_.calls().back().body.find(R"("appid":"wx1")"), std::string::npos);
}

TEST_F(TokenProviderTest, ClassicModeUsesTheTokenEndpoint) {
  TokenProvider provider(transport_, store_, clock_, options(TokenMode::kClassic));
  ASSERT_TRUE(provider.token());
  EXPECT_EQ(transport_.calls().back().method, "GET");
  EXPECT_EQ(transport_.calls().back().url, "http://sim/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s3cret");
}

TEST_F(TokenProviderTest, RefreshesAheadOfExpiry) {
  TokenProvider provider(transport_, store_, clock_, options());
  EXPECT_EQ(*provider.token(), "T1");
  clock_.advance(6899s);  // 301 s left: still good
  EXPECT_EQ(*provider.token(), "T1");
  clock_.advance(2s);     // 299 s left: inside refresh_ahead
  EXPECT_EQ(*provider.token(), "T2");
  EXPECT_EQ(transport_.count(), 2);
}

TEST_F(TokenProviderTest, AfterAFailureANewerTokenIsNotOverwritten) {
  // Two instances share a store (as with Redis). B refreshes first; A then reports T1 as failed
  // and must get B's newer token without asking WeChat again (WxJava #1222).
  TokenProvider a(transport_, store_, clock_, options());
  TokenProvider b(transport_, store_, clock_, options());
  EXPECT_EQ(*a.token(), "T1");
  EXPECT_EQ(*b.refresh_after_failure("T1"), "T2");
  EXPECT_EQ(*a.refresh_after_failure("T1"), "T2");
  EXPECT_EQ(transport_.count(), 2);
  EXPECT_NE(transport_.calls().back().body.find(R"("force_refresh":true)"), std::string::npos);  // stable: forced
}

TEST_F(TokenProviderTest, ConcurrentFailuresOfTheSameTokenRefreshOnce) {
  TokenProvider provider(transport_, store_, clock_, options());
  EXPECT_EQ(*provider.token(), "T1");
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] { EXPECT_EQ(*provider.refresh_after_failure("T1"), "T2"); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(transport_.count(), 2);
}

TEST_F(TokenProviderTest, ErrorsSayWhatToDoAndAreNotCached) {
  int answer = 0;
  transport_.script([&answer](const HttpCall&) -> Result<HttpReply> {
    switch (answer) {
      case 0:
        return json(R"({"errcode":40164,"errmsg":"invalid ip 47.94.148.108 ipv6 ::ffff:47.94.148.108, not in whitelist rid: 1-2-3"})");
      case 1: return json(R"({"errcode":40125,"errmsg":"invalid appsecret rid: 1-2-3"})");
      case 2: return json(R"({"errcode":45009,"errmsg":"reach max api daily quota limit rid: 1-2-3"})");
      case 3: return json(R"(<html>busy</html>)");
      case 4: return unexpected(ErrorCode::kDeadlineExceeded, "timed out");
      default: return json(R"({"access_token":"OK","expires_in":7200})");
    }
  });
  TokenProvider provider(transport_, store_, clock_, options());
  auto e = provider.token();
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().detail, 40164);
  EXPECT_EQ(e.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(e.error().message.find("47.94.148.108"), std::string::npos);
  EXPECT_NE(e.error().message.find("whitelist"), std::string::npos);
  answer = 1;
  e = provider.token();
  EXPECT_EQ(e.error().detail, 40125);
  EXPECT_NE(e.error().message.find("check the account's appid and secret"), std::string::npos);
  answer = 2;
  e = provider.token();
  EXPECT_EQ(e.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(e.error().message.find("quota"), std::string::npos);
  answer = 3;
  EXPECT_EQ(provider.token().error().code, ErrorCode::kUnavailable);
  answer = 4;
  EXPECT_EQ(provider.token().error().code, ErrorCode::kDeadlineExceeded);  // after 3 tries
  answer = 5;
  EXPECT_EQ(*provider.token(), "OK");  // a failure is not remembered: the next call asks again
  EXPECT_EQ(transport_.count(), 8);
}

TEST_F(TokenProviderTest, SystemBusyAndNetworkErrorsAreRetriedWithBackoff) {
  int n = 0;
  transport_.script([&n](const HttpCall&) -> Result<HttpReply> {
    ++n;
    if (n == 1) return json(R"({"errcode":-1,"errmsg":"system error rid: 1"})");
    if (n == 2) return unexpected(ErrorCode::kUnavailable, "connection reset");
    return json(R"({"access_token":"LATE","expires_in":7200})");
  });
  TokenProvider provider(transport_, store_, clock_, options());
  EXPECT_EQ(*provider.token(), "LATE");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(slept_, (std::vector<std::chrono::milliseconds>{200ms, 400ms}));
  EXPECT_EQ(provider.requests(), 1);  // one refresh, however many tries it took
}

TEST(WechatError, OnlyNonZeroErrcodesAreErrors) {
  EXPECT_FALSE(wechat_error(R"({"errcode":0,"errmsg":"ok"})"));
  EXPECT_FALSE(wechat_error(R"({"ticket":"x"})"));
  EXPECT_FALSE(wechat_error("not json"));
  auto e = wechat_error(R"({"errcode":-1,"errmsg":"system error"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, ErrorCode::kUnavailable);
  EXPECT_EQ(e->detail, -1);
}

}  // namespace
}  // namespace qrscene::wechat
