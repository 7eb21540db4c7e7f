#include "sim/token_authority.h"

#include <gtest/gtest.h>

namespace qrscene::sim {
namespace {

using namespace std::chrono_literals;

// 2024-04-25 10:00:00 Beijing (02:00 UTC).
constexpr std::int64_t kStart = 1714010400;

SimAccount account(std::string appid, std::string secret, bool test, std::vector<std::string> whitelist) {
  SimAccount a;
  a.appid = std::move(appid);
  a.secret = std::move(secret);
  a.test_account = test;
  a.ip_whitelist = std::move(whitelist);
  return a;
}

class TokenAuthorityTest : public ::testing::Test {
 protected:
  explicit TokenAuthorityTest(TokenAuthorityOptions o = {}) : auth_(clock_, rng_, o) {
    auth_.add_account(account("wx1", "secret1", false, {}));
    auth_.add_account(account("wxtest", "s", true, {}));
    auth_.add_account(account("wxwl", "s", false, {"10.0.0.1"}));
  }
  TokenGrant classic(std::string_view appid = "wx1", std::string_view secret = "secret1") {
    auto g = auth_.classic("client_credential", appid, secret, "127.0.0.1");
    EXPECT_TRUE(g) << g.error().to_string();
    return g ? *g : TokenGrant{};
  }
  TokenGrant stable(bool force = false) {
    auto g = auth_.stable("client_credential", "wx1", "secret1", force, "127.0.0.1");
    EXPECT_TRUE(g) << g.error().to_string();
    return g ? *g : TokenGrant{};
  }
  std::int64_t check_code(const std::string& token) {
    auto r = auth_.check(token);
    return r ? 0 : r.error().detail;
  }
  void advance(std::chrono::seconds s) { clock_.advance(s); }

  FakeClock clock_{kStart};
  Rng rng_{42};
  TokenAuthority auth_;
};

TEST_F(TokenAuthorityTest, ClassicIssuesATokenThatChecksOut) {
  const auto g = classic();
  EXPECT_EQ(g.expires_in, 7200);
  EXPECT_EQ(g.access_token.size(), 136u);
  EXPECT_EQ(*auth_.check(g.access_token), "wx1");
}

TEST_F(TokenAuthorityTest, ClassicRotationKeepsThePreviousTokenFiveMinutes) {
  const auto t1 = classic();
  advance(100s);
  const auto t2 = classic();
  EXPECT_NE(t1.access_token, t2.access_token);
  EXPECT_EQ(check_code(t1.access_token), 0);  // still within the grace
  advance(299s);
  EXPECT_EQ(check_code(t1.access_token), 0);
  advance(1s);
  EXPECT_EQ(check_code(t1.access_token), 40001);  // superseded
  EXPECT_EQ(check_code(t2.access_token), 0);
  // A later refresh gives the then-current token the same grace.
  const auto t3 = classic();
  advance(10s);
  EXPECT_EQ(check_code(t2.access_token), 0);
  EXPECT_EQ(check_code(t3.access_token), 0);
}

TEST_F(TokenAuthorityTest, ExpiredAndGarbageTokens) {
  const auto t = classic();
  advance(7199s);
  EXPECT_EQ(check_code(t.access_token), 0);
  advance(1s);
  EXPECT_EQ(check_code(t.access_token), 42001);
  EXPECT_EQ(check_code("not-a-token"), 40014);
  EXPECT_EQ(check_code(""), 41001);
}

TEST_F(TokenAuthorityTest, AccountErrors) {
  auto code = [&](std::string_view gt, std::string_view appid, std::string_view secret, std::string_view ip = "127.0.0.1") {
    auto r = auth_.classic(gt, appid, secret, ip);
    return r ? 0 : r.error().detail;
  };
  EXPECT_EQ(code("client_credential", "wxnone", "s"), 40013);
  EXPECT_EQ(code("client_credential", "wx1", "wrong"), 40125);
  EXPECT_EQ(code("password", "wx1", "secret1"), 40002);
  EXPECT_EQ(code("client_credential", "", "secret1"), 41002);
  EXPECT_EQ(code("client_credential", "wx1", ""), 41004);
  EXPECT_EQ(code("client_credential", "wxwl", "s", "10.0.0.2"), 40164);
  EXPECT_EQ(code("client_credential", "wxwl", "s", "10.0.0.1"), 0);
  auto wl = auth_.stable("client_credential", "wxwl", "s", false, "10.0.0.9");
  ASSERT_FALSE(wl);
  EXPECT_EQ(wl.error().message, "invalid ip 10.0.0.9 ipv6 ::ffff:10.0.0.9, not in whitelist");
  EXPECT_EQ(wl.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(TokenAuthorityTest, ClassicDailyQuotaResetsAtBeijingMidnight) {
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(auth_.classic("client_credential", "wxtest", "s", "127.0.0.1"));
  const auto over = auth_.classic("client_credential", "wxtest", "s", "127.0.0.1");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().detail, 45009);
  // 10:00 Beijing + 13:59:59 is still the same Beijing day...
  advance(std::chrono::seconds(14 * 3600 - 1));
  EXPECT_FALSE(auth_.classic("client_credential", "wxtest", "s", "127.0.0.1"));
  // ...one second later it is a new day.
  advance(1s);
  EXPECT_TRUE(auth_.classic("client_credential", "wxtest", "s", "127.0.0.1"));
}

TEST_F(TokenAuthorityTest, StableNormalModeReturnsTheSameTokenUntilItsLastFiveMinutes) {
  const auto s1 = stable();
  advance(1000s);
  const auto s2 = stable();
  EXPECT_EQ(s1.access_token, s2.access_token);
  EXPECT_EQ(s2.expires_in, 6200);
  advance(std::chrono::seconds(6200 - 301));
  EXPECT_EQ(stable().access_token, s1.access_token);  // 301 s left: still the same
  advance(1s);
  const auto s3 = stable();  // 300 s left: rolled
  EXPECT_NE(s3.access_token, s1.access_token);
  EXPECT_EQ(s3.expires_in, 7200);
  EXPECT_EQ(check_code(s1.access_token), 0);  // old and new coexist until the old expires
  advance(300s);
  EXPECT_EQ(check_code(s1.access_token), 42001);
  EXPECT_EQ(check_code(s3.access_token), 0);
}

TEST_F(TokenAuthorityTest, StableIsIsolatedFromClassic) {
  const auto s = stable();
  classic();
  advance(400s);
  classic();  // two classic refreshes do not touch the stable token
  EXPECT_EQ(check_code(s.access_token), 0);
  EXPECT_EQ(stable().access_token, s.access_token);
}

TEST_F(TokenAuthorityTest, ForcedRefreshInvalidatesTheOldTokenAndIsRateLimited) {
  const auto s1 = stable();
  const auto s2 = stable(true);
  EXPECT_NE(s1.access_token, s2.access_token);
  EXPECT_EQ(check_code(s1.access_token), 40001);
  // Within 30 s of the last forced call nothing is refreshed.
  advance(29s);
  EXPECT_EQ(stable(true).access_token, s2.access_token);
  advance(1s);
  const auto s3 = stable(true);
  EXPECT_NE(s3.access_token, s2.access_token);
  // 20 forced refreshes a day (2 used).
  for (int i = 0; i < 18; ++i) {
    advance(30s);
    ASSERT_TRUE(auth_.stable("client_credential", "wx1", "secret1", true, "127.0.0.1")) << i;
  }
  advance(30s);
  const auto over = auth_.stable("client_credential", "wx1", "secret1", true, "127.0.0.1");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().detail, 45009);
  EXPECT_TRUE(auth_.stable("client_credential", "wx1", "secret1", false, "127.0.0.1"));  // normal mode still works
}

class TokenAuthorityOptionsTest : public TokenAuthorityTest {
 protected:
  static TokenAuthorityOptions options() {
    TokenAuthorityOptions o;
    o.forced_refresh_grace = true;
    o.wrong_secret_errcode = 40001;
    o.whitelist_errcode = 61004;
    return o;
  }
  TokenAuthorityOptionsTest() : TokenAuthorityTest(options()) {}
};

TEST_F(TokenAuthorityOptionsTest, UncertainBehavioursAreConfigurable) {
  const auto s1 = stable();
  stable(true);
  EXPECT_EQ(check_code(s1.access_token), 0);  // grace after a forced refresh
  advance(300s);
  EXPECT_EQ(check_code(s1.access_token), 40001);
  EXPECT_EQ(auth_.classic("client_credential", "wx1", "bad", "1.2.3.4").error().detail, 40001);
  EXPECT_EQ(auth_.classic("client_credential", "wxwl", "s", "1.2.3.4").error().detail, 61004);
}

TEST_F(TokenAuthorityTest, CountsIssuedTokens) {
  classic();
  classic();
  stable();
  stable();  // same token: not a new issue
  EXPECT_EQ(auth_.issued("wx1"), 3);
  EXPECT_EQ(auth_.issued("nobody"), 0);
}

}  // namespace
}  // namespace qrscene::sim
