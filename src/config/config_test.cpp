#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace qrscene::config {
namespace {

using ::testing::HasSubstr;

Environment env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr const char* kFull = R"(
[wechat]
api_base = "http://127.0.0.1:9100/"
mp_base = "http://127.0.0.1:9100"
token_mode = "classic"
timeout_ms = 3000

[[accounts]]
appid = "wx0a1b2c3d4e5f6789"
name = "Demo"
secret = "env:DEMO_SECRET"
token = "qrscenedemo"
encoding_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
mode = "safe"
original_id = "gh_demo"

[[accounts]]
appid = "wx1111111111111111"
secret = "literal-secret"
)";

TEST(Config, ReadsEveryKey) {
  auto c = parse_config(kFull, "qrscene.toml", env_of({{"DEMO_SECRET", "from-env"}}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->wechat.api_base, "http://127.0.0.1:9100");  // trailing slash dropped
  EXPECT_EQ(c->wechat.token_mode, TokenMode::kClassic);
  EXPECT_EQ(c->wechat.timeout_ms, 3000);
  ASSERT_EQ(c->accounts.size(), 2u);
  EXPECT_EQ(c->accounts[0].secret.reveal(), "from-env");
  EXPECT_EQ(c->accounts[0].mode, "safe");
  EXPECT_EQ(c->accounts[0].original_id, "gh_demo");
  EXPECT_EQ(c->accounts[1].secret.reveal(), "literal-secret");
  EXPECT_EQ(c->accounts[1].mode, "plain");
  EXPECT_EQ((*c->account("wx1111111111111111"))->secret.reveal(), "literal-secret");
  EXPECT_THAT(c->account("").error().message, HasSubstr("say which with --appid"));
  EXPECT_EQ(c->account("wxnope").error().code, ErrorCode::kNotFound);
}

TEST(Config, DefaultsAreWeChatsHosts) {
  auto c = load_config("", env_of({}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->wechat.api_base, "https://api.weixin.qq.com");
  EXPECT_EQ(c->wechat.mp_base, "https://mp.weixin.qq.com");
  EXPECT_EQ(c->wechat.token_mode, TokenMode::kStable);
  EXPECT_TRUE(c->accounts.empty());
  EXPECT_THAT(c->account("").error().message, HasSubstr("QRSCENE_APPID"));
}

TEST(Config, TheEnvironmentOverridesTheFileAndCanGiveTheAccount) {
  auto c = parse_config("[wechat]\napi_base = \"https://a\"\n", "t.toml",
                        env_of({{"QRSCENE_WECHAT_API_BASE", "http://127.0.0.1:1"},
                                {"QRSCENE_APPID", "wxenv"},
                                {"QRSCENE_SECRET", "env:OTHER"},
                                {"OTHER", "indirect"}}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->wechat.api_base, "http://127.0.0.1:1");
  ASSERT_EQ(c->accounts.size(), 1u);
  EXPECT_EQ(c->accounts[0].appid, "wxenv");
  EXPECT_EQ(c->accounts[0].secret.reveal(), "indirect");
  EXPECT_EQ((*c->account(""))->appid, "wxenv");
}

TEST(Config, ListsEveryProblemWithItsKey) {
  const char* bad = R"(
colour = "blue"
[wechat]
api_base = "ftp://x"
token_mode = "fast"
timeout_ms = "soon"
[[accounts]]
appid = "wx-bad!"
token = "a"
mode = "secure"
encoding_aes_key = "short"
original_id = "abc"
secret = "env:MISSING"
extra = 1
[[accounts]]
mode = "safe"
)";
  auto c = parse_config(bad, "bad.toml", env_of({}));
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  for (const char* want :
       {"colour: unknown key", "wechat.api_base: must start with https://", "wechat.token_mode: must be stable or classic",
        "wechat.timeout_ms: must be an integer", "accounts[1].appid: 'wx-bad!' is not an AppID",
        "accounts[1].token: must be 3 to 32", "accounts[1].mode: must be plain, compatible or safe",
        "accounts[1].encoding_aes_key: must be the 43 characters", "accounts[1].original_id: must start with gh_",
        "accounts[1].secret: environment variable MISSING is not set", "accounts[1].extra: unknown key",
        "accounts[2].appid: missing", "accounts[2].encoding_aes_key: needed in safe mode"}) {
    EXPECT_THAT(m, HasSubstr(want));
  }
  EXPECT_THAT(m, HasSubstr("bad.toml: 13 problems"));
}

TEST(Config, SyntaxErrorsNameTheLine) {
  auto c = parse_config("[wechat]\napi_base = \n", "broken.toml", env_of({}));
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("broken.toml:2:"));
  auto dup = parse_config("[[accounts]]\nappid=\"wxa\"\n[[accounts]]\nappid=\"wxa\"\n", "d.toml", env_of({}));
  ASSERT_FALSE(dup);
  EXPECT_THAT(dup.error().message, HasSubstr("configured twice"));
}

TEST(Config, SecretsFromFiles) {
  const auto path = std::filesystem::temp_directory_path() / "qrscene_config_test_secret";
  std::ofstream(path) << "from-file\r\nsecond line\n";
  auto s = resolve_secret("file:" + path.string(), "secret", env_of({}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->reveal(), "from-file");
  std::filesystem::remove(path);
  EXPECT_THAT(resolve_secret("file:" + path.string(), "accounts[1].secret", env_of({})).error().message,
              HasSubstr("accounts[1].secret: cannot read"));
  EXPECT_EQ(load_config("/nonexistent/qrscene.toml", env_of({})).error().code, ErrorCode::kNotFound);
}

TEST(Config, ServiceSectionsReadWithDefaultsAndEnvironment) {
  auto c = parse_config(R"(
[server]
port = 9000
[store]
path = "/var/lib/qrscene/qrscene.db"
durable = false
[privacy]
on_unfollow = "delete"
[replies]
organic_subscribe = "感谢关注"
[jobs]
webhook_url = "https://backend.example.com/qrscene"
webhook_secret = "env:HOOK"
[[accounts]]
appid = "wx0a1b2c3d4e5f6789"
token = "qrscenedemo"
encoding_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
previous_encoding_aes_key = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
previous_key_until = 2026-12-01T08:00:00+08:00
mode = "compatible"
)",
                        "t.toml", env_of({{"HOOK", "s3cret"}, {"QRSCENE_SERVER_PORT", "9100"},
                                          {"QRSCENE_STORE_DURABLE", "true"}}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.port, 9100);  // the environment wins over the file
  EXPECT_EQ(c->server.address, "127.0.0.1");
  EXPECT_EQ(c->store.path, "/var/lib/qrscene/qrscene.db");
  EXPECT_TRUE(c->store.durable);
  EXPECT_EQ(c->privacy.on_unfollow, OnUnfollow::kDelete);
  EXPECT_EQ(c->replies.organic_subscribe, "感谢关注");
  EXPECT_EQ(c->jobs.webhook_secret.reveal(), "s3cret");
  EXPECT_EQ(c->accounts[0].previous_key_until, 1'796'083'200);  // 2026-12-01T00:00:00Z
  EXPECT_EQ(c->accounts[0].previous_encoding_aes_key.reveal().size(), 43U);
}

TEST(Config, ServiceSectionProblemsAreAllNamed) {
  auto c = parse_config(R"(
[server]
port = 70000
prot = 1
[store]
durable = "yes"
[privacy]
on_unfollow = "forget"
[jobs]
webhook_url = "https://backend.example.com/hook"
[login]
session_seconds = 5
cookie_secure = "sometimes"
[conversions]
currency = "rmb"
[admin]
failures_per_minute = 0
[[accounts]]
appid = "wx0a1b2c3d4e5f6789"
previous_encoding_aes_key = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
previous_key_until = 2026-12-01
)",
                        "bad.toml", env_of({{"QRSCENE_SERVER_THREADS", "many"}}));
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_THAT(m, HasSubstr("server.port: must be 0..65535"));
  EXPECT_THAT(m, HasSubstr("server.prot: unknown key"));
  EXPECT_THAT(m, HasSubstr("store.durable: must be true or false"));
  EXPECT_THAT(m, HasSubstr("privacy.on_unfollow: must be pseudonymize or delete"));
  EXPECT_THAT(m, HasSubstr("jobs.webhook_secret: needed"));
  EXPECT_THAT(m, HasSubstr("previous_key_until: must be a date-time with its offset"));
  EXPECT_THAT(m, HasSubstr("QRSCENE_SERVER_THREADS: must be an integer"));
  EXPECT_THAT(m, HasSubstr("login.session_seconds: must be 30..1800"));
  EXPECT_THAT(m, HasSubstr("login.cookie_secure: auto, always or never"));
  EXPECT_THAT(m, HasSubstr("conversions.currency: 'rmb' is not an ISO 4217 code"));
  EXPECT_THAT(m, HasSubstr("admin.failures_per_minute: must be 1..1000000, got 0"));
}

// The old sample in docs/configuration.md was the SHA-256 of "test": such a hash opens the admin
// API to anyone, so it is refused, and a hash of a real token is not.
TEST(Config, TheHashOfAGuessableAdminTokenIsRefused) {
  const std::string account = "[[accounts]]\nappid = \"wx0a1b2c3d4e5f6789\"\nsecret = \"s\"\n";
  auto guessable = parse_config(
      "[admin]\ntoken_sha256 = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n" + account,
      "guess.toml", env_of({}));
  ASSERT_FALSE(guessable);
  EXPECT_THAT(guessable.error().message, HasSubstr("admin.token_sha256: '9f86d081884c…' is the SHA-256 of 'test'"));
  EXPECT_THAT(guessable.error().message, HasSubstr("qrscene admin-token"));
  auto empty = parse_config(
      "[admin]\ntoken_sha256 = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"\n" + account,
      "empty.toml", env_of({}));
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("an empty token"));
  auto real = parse_config(
      "[admin]\ntoken_sha256 = \"3f1d4c0b9e8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e\"\n" + account,
      "real.toml", env_of({}));
  EXPECT_TRUE(real) << real.error().to_string();
}

TEST(Config, ConversionsAndProfilesAreRead) {
  auto c = parse_config("[conversions]\ncurrency = \"USD\"\n[jobs]\nprofile_followers = false\n", "c.toml", env_of({}));
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->conversions.currency, "USD");
  EXPECT_FALSE(c->jobs.profile_followers);
  auto d = parse_config("", "d.toml", env_of({{"QRSCENE_CONVERSIONS_CURRENCY", "EUR"}}));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->conversions.currency, "EUR");
  EXPECT_TRUE(d->jobs.profile_followers);
}

TEST(Config, ForwardKindsAreAListOfEventNamesForTheWebhook) {
  auto c = parse_config(
      "[jobs]\nwebhook_url = \"https://b.example.com/h\"\nwebhook_secret = \"s\"\n"
      "forward_kinds = \" CLICK, TEMPLATESENDJOBFINISH ,\"\n",
      "c.toml", env_of({}));
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->jobs.forwarded_kinds(), (std::vector<std::string>{"CLICK", "TEMPLATESENDJOBFINISH"}));
  auto bad = parse_config("[jobs]\nforward_kinds = \"CLICK, <script>\"\n", "b.toml", env_of({}));
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("jobs.forward_kinds: '<script>' is not a WeChat Event or MsgType name"));
  EXPECT_THAT(bad.error().message, HasSubstr("jobs.forward_kinds: needs webhook_url"));
}

TEST(Config, LoginTextsAndRateLimitsAreRead) {
  auto c = parse_config(R"(
[login]
public = false
reply_logged_in = "欢迎回来"
sessions_per_minute_per_ip = 3
[admin]
failures_per_minute = 50
)",
                        "login.toml", env_of({{"QRSCENE_LOGIN_SESSION_SECONDS", "120"}}));
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_FALSE(c->login.public_sessions);
  EXPECT_EQ(c->login.reply_logged_in, "欢迎回来");
  EXPECT_EQ(c->login.sessions_per_minute_per_ip, 3);
  EXPECT_EQ(c->admin.failures_per_minute, 50);
  EXPECT_EQ(c->login.session_seconds, 120);
  EXPECT_EQ(c->login.reply_bound, "绑定成功");  // defaults stay
}

}  // namespace
}  // namespace qrscene::config
