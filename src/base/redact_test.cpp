#include "base/redact.h"

#include <gtest/gtest.h>

namespace qrscene {
namespace {

TEST(Redact, SaysOnlyTheLength) {
  EXPECT_EQ(redact("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"), "***(43 chars)");
  EXPECT_EQ(redact(""), "***(0 chars)");
}

TEST(Redact, MasksSecretQueryParameters) {
  EXPECT_EQ(redact_url("https://api.weixin.qq.com/cgi-bin/user/info?access_token=ACCESS&openid=o1&lang=zh_CN"),
            "https://api.weixin.qq.com/cgi-bin/user/info?access_token=***&openid=o1&lang=zh_CN");
  EXPECT_EQ(redact_url("/cgi-bin/token?grant_type=client_credential&appid=wx1&SECRET=s3cr3t#frag"),
            "/cgi-bin/token?grant_type=client_credential&appid=wx1&SECRET=***#frag");
  EXPECT_EQ(redact_url("/no/query"), "/no/query");
  EXPECT_EQ(redact_url("/x?token"), "/x?token");  // a name without a value has nothing to hide
}

TEST(Redact, MasksSecretJsonValues) {
  EXPECT_EQ(redact_json(R"({"grant_type":"client_credential","appid":"wx1","secret" : "s3\"cr3t","force_refresh":false})"),
            R"({"grant_type":"client_credential","appid":"wx1","secret" : "***","force_refresh":false})");
  EXPECT_EQ(redact_json(R"({"access_token":"T","expires_in":7200})"), R"({"access_token":"***","expires_in":7200})");
  // Malformed text is still masked and never over-read.
  EXPECT_EQ(redact_json(R"({"secret":"unterminated)"), R"({"secret":"***")");
  EXPECT_EQ(redact_json(R"({"secret)"), R"({"secret)");
  // A secret name used as a value is not a key.
  EXPECT_EQ(redact_json(R"({"name":"secret"})"), R"({"name":"secret"})");
}

TEST(Secret, NeverFormatsItsValue) {
  const Secret s("s3cr3t");
  EXPECT_EQ(fmt::format("secret={}", s), "secret=***");
  EXPECT_EQ(s.reveal(), "s3cr3t");
  EXPECT_EQ(fmt::format("{}", Secret()), "(empty)");
}

}  // namespace
}  // namespace qrscene
