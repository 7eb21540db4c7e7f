#include "wechat/push_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace qrscene::wechat {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr std::string_view kOldKey = "mNnY5GekpChwqhy2c4NBH90g3hND6GeI4gii2YCvKLY";
constexpr std::string_view kToken = "pushtoken";
constexpr std::string_view kAppId = "wx2c2769f8efd9abc2";

std::string scan_xml(std::string_view to = "gh_account") {
  return "<xml><ToUserName><![CDATA[" + std::string(to) +
         "]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1700000000</CreateTime>"
         "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[42]]></EventKey>"
         "<Ticket><![CDATA[T]]></Ticket></xml>";
}

std::string between(const std::string& s, std::string_view from, std::string_view to) {
  const auto a = s.find(from) + from.size();
  return s.substr(a, s.find(to, a) - a);
}

class PushCodecTest : public ::testing::Test {
 protected:
  FakeClock clock_{kNow};

  PushCodec codec(PushMode mode, std::string previous = "", std::int64_t previous_until = 0) {
    PushAccount a{std::string(kAppId), "gh_account", std::string(kToken), mode,
                  mode == PushMode::kPlain ? "" : std::string(kKey), std::move(previous), previous_until};
    auto made = PushCodec::create(std::move(a), {}, clock_);
    EXPECT_TRUE(made) << made.error().to_string();
    return std::move(*made);
  }
  PushQuery plain_query() const {
    return PushQuery{compute_signature(kToken, "1700000000", "n1"), "1700000000", "n1", "", ""};
  }
  // An encrypted push as WeChat sends it, sealed with `key`.
  std::pair<PushQuery, std::string> encrypted(std::string_view key, const std::string& xml) const {
    auto crypt = MsgCrypt::create(std::string(kToken), key, std::string(kAppId));
    const std::string sealed = crypt->seal(xml, kNow, "n1");
    PushQuery q = plain_query();
    q.msg_signature = between(sealed, "<MsgSignature><![CDATA[", "]]>");
    q.encrypt_type = "aes";
    return {q, "<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[" +
                   between(sealed, "<Encrypt><![CDATA[", "]]>") + "]]></Encrypt></xml>"};
  }
};

TEST_F(PushCodecTest, APlainPushOpensAndItsReplyStaysPlain) {
  const auto c = codec(PushMode::kPlain);
  auto opened = c.open(plain_query(), scan_xml());
  ASSERT_TRUE(std::holds_alternative<OpenedPush>(opened)) << std::get<PushRefusal>(opened).error.to_string();
  const auto& push = std::get<OpenedPush>(opened);
  EXPECT_EQ(header_of(push.message).from_user, "o1");
  EXPECT_EQ(push.sealer, nullptr);
  EXPECT_EQ(c.seal(push, "<xml>r</xml>", kNow), "<xml>r</xml>");
}

TEST_F(PushCodecTest, RefusalsSayWhetherTheSignatureFailed) {
  const auto c = codec(PushMode::kPlain);
  PushQuery forged = plain_query();
  forged.signature[0] = forged.signature[0] == 'a' ? 'b' : 'a';
  auto bad = c.open(forged, scan_xml());
  ASSERT_TRUE(std::holds_alternative<PushRefusal>(bad));
  EXPECT_TRUE(std::get<PushRefusal>(bad).signature);

  auto other = c.open(plain_query(), scan_xml("gh_other"));
  ASSERT_TRUE(std::holds_alternative<PushRefusal>(other));
  EXPECT_FALSE(std::get<PushRefusal>(other).signature);
  EXPECT_NE(std::get<PushRefusal>(other).error.message.find("another account"), std::string::npos);

  auto [query, body] = encrypted(kKey, scan_xml());
  auto wrong_mode = c.open(query, body);  // an encrypted push to a plain-mode account: never decrypted
  ASSERT_TRUE(std::holds_alternative<PushRefusal>(wrong_mode));
  EXPECT_NE(std::get<PushRefusal>(wrong_mode).error.message.find("plain mode"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<PushRefusal>(codec(PushMode::kSafe).open(plain_query(), scan_xml())));
}

TEST_F(PushCodecTest, ASafePushOpensAndTheReplyIsSealedWithItsKey) {
  const auto c = codec(PushMode::kSafe);
  auto [query, body] = encrypted(kKey, scan_xml());
  auto opened = c.open(query, body);
  ASSERT_TRUE(std::holds_alternative<OpenedPush>(opened)) << std::get<PushRefusal>(opened).error.to_string();
  const auto& push = std::get<OpenedPush>(opened);
  ASSERT_NE(push.sealer, nullptr);
  const std::string reply = c.seal(push, "<xml>r</xml>", kNow);
  auto crypt = MsgCrypt::create(std::string(kToken), kKey, std::string(kAppId));
  EXPECT_EQ(*crypt->decrypt(between(reply, "<Encrypt><![CDATA[", "]]>")), "<xml>r</xml>");

  PushQuery tampered = query;
  tampered.msg_signature[0] = tampered.msg_signature[0] == 'a' ? 'b' : 'a';
  auto refused = c.open(tampered, body);
  ASSERT_TRUE(std::holds_alternative<PushRefusal>(refused));
  EXPECT_TRUE(std::get<PushRefusal>(refused).signature);
}

TEST_F(PushCodecTest, ThePreviousKeyOpensUntilItsDeadlineAndSealsItsReply) {
  const auto c = codec(PushMode::kSafe, std::string(kOldKey), kNow + 60);
  auto [query, body] = encrypted(kOldKey, scan_xml());
  auto opened = c.open(query, body);
  ASSERT_TRUE(std::holds_alternative<OpenedPush>(opened)) << std::get<PushRefusal>(opened).error.to_string();
  const std::string reply = c.seal(std::get<OpenedPush>(opened), "<xml>r</xml>", kNow);
  auto old = MsgCrypt::create(std::string(kToken), kOldKey, std::string(kAppId));
  EXPECT_EQ(*old->decrypt(between(reply, "<Encrypt><![CDATA[", "]]>")), "<xml>r</xml>");

  const auto expired = codec(PushMode::kSafe, std::string(kOldKey), kNow);  // the deadline has passed
  auto refused = expired.open(query, body);
  ASSERT_TRUE(std::holds_alternative<PushRefusal>(refused));
  EXPECT_NE(std::get<PushRefusal>(refused).error.message.find("previous_encoding_aes_key"), std::string::npos);
}

}  // namespace
}  // namespace qrscene::wechat
