#include "wechat/signature.h"

#include <gtest/gtest.h>

namespace qrscene::wechat {
namespace {

// V8: the official plain-mode examples (token AAAAA).
TEST(Signature, OfficialGetVerificationVector) {
  EXPECT_EQ(compute_signature("AAAAA", "1714036504", "1514711492"), "f464b24fc39322e44b38aa78f5edd27bd1441696");
}

TEST(Signature, OfficialPostVector) {
  EXPECT_EQ(compute_signature("AAAAA", "1714037059", "486452656"), "899cf89e464efb63f54ddac96b0a0a235f53aa78");
}

TEST(Signature, SortsPartsByBytesNotByRole) {
  // Any order of the same three strings gives the same signature.
  EXPECT_EQ(compute_signature("486452656", "AAAAA", "1714037059"), compute_signature("AAAAA", "1714037059", "486452656"));
}

// V5: a real compatible-mode push carries both signatures.
TEST(Signature, CapturedCompatiblePushBothSignatures) {
  EXPECT_EQ(compute_signature("weixin", "1414387151", "917222494"), "e3203b6433eb554dd2fcba78fa48cb948fcb4801");
  const std::string encrypt =
      "2gUBUpAeuPFKBS+gkcvrR1cBq1VjTOQluB7+FQF00VnybRpYR3xko4S4wh0qD+64cWmJfF93ZNLm+HLZBexjHLAdJBs5RBG2rP1AJnU0/1vQU/"
      "Ac9Q1Nq7vfC4l3ciF8YwhQW0o/GE4MYWWakgdwnp0hQ7aVVwqMLd67A5bsURQHJiFY/cH0fVlsKe6J3aazGhRXFCxceOq2VTJ2Eulc8aBDVSM5/"
      "lAIUA/JPq5Z2RzomM0+aoa5XIfGyAtAdlBXD0ADTemxgfYAKI5EMfKtH5za3dKV2UWbGAlJQZ0fwrwPx6Rs8MsoEtyxeQ52gO94gafA+/"
      "kIVjamKTVLSgudLLz5rAdGneKkBVhXyfyfousm1DoDRjQdAdqMWpwbeG5hanoJyJiH+humW/1q8PAAiaEfA+BOuvBk/a5xL0Q2l2k=";
  EXPECT_EQ(compute_msg_signature("weixin", "1414387151", "917222494", encrypt),
            "ae70d4e343d946fc0477a5c760b95be0947fddbb");
}

// V3 and V9 (derived values in wechat-protocol.md section 5).
TEST(Signature, MsgSignatureVectors) {
  EXPECT_EQ(compute_msg_signature("pamtest", "1409304348", "xxxxxx",
                                  "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="),
            "82c962d39941aa48552f90ef55aa323dc620cc10");
  EXPECT_EQ(compute_msg_signature("pamtest", "1409304348", "xxxxxx",
                                  "jn1L23DB+6ELqJ+6bruv24kfnRA9CJ8qXRQfcTjuspbcu/BSVDHix6RSI3nK3z+fMd03dqZ5HIPCrQNNDa2xYd47apRHAo9FEf57/"
                                  "GQVWffqnF3WzheksoIGmk00BgBc"),
            "2b07674cc11d69d1eb5a852d4d239f5190949b19");
}

TEST(ConstantTimeEqual, ComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("xbc", "abc"));
}

TEST(ParseTimestamp, DigitsOnly) {
  EXPECT_EQ(*parse_timestamp("1714037059"), 1714037059);
  EXPECT_FALSE(parse_timestamp(""));
  EXPECT_FALSE(parse_timestamp("-1"));
  EXPECT_FALSE(parse_timestamp("+1"));
  EXPECT_FALSE(parse_timestamp("17e8"));
  EXPECT_FALSE(parse_timestamp(" 1"));
  EXPECT_FALSE(parse_timestamp("12345678901234567890"));  // 20 digits
  EXPECT_EQ(parse_timestamp("1.5").error().code, ErrorCode::kInvalidArgument);
}

class VerifierTest : public ::testing::Test {
 protected:
  FakeClock clock_{1714037059};
  SignatureVerifier verifier_{"AAAAA", {}, clock_};
  const std::string good_ = "899cf89e464efb63f54ddac96b0a0a235f53aa78";
};

TEST_F(VerifierTest, AcceptsTheOfficialPush) {
  EXPECT_TRUE(verifier_.verify(good_, "1714037059", "486452656"));
}

TEST_F(VerifierTest, RejectsForgedOrMissingSignature) {
  auto forged = good_;
  forged[0] = '0';
  const auto e = verifier_.verify(forged, "1714037059", "486452656");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(verifier_.verify("", "1714037059", "486452656"));
  EXPECT_FALSE(verifier_.verify(good_, "1714037059", "486452657"));  // another nonce
  EXPECT_FALSE(verifier_.verify("899CF89E464EFB63F54DDAC96B0A0A235F53AA78", "1714037059", "486452656"));
  // A signature over (token, timestamp) alone, sent without a nonce: found by the bad-input suite.
  const auto no_nonce = verifier_.verify(compute_signature("AAAAA", "1714037059", ""), "1714037059", "");
  ASSERT_FALSE(no_nonce);
  EXPECT_EQ(no_nonce.error().message, "nonce is missing");
}

TEST_F(VerifierTest, TimestampWindowIsInclusiveAndConfigurable) {
  // 300 s old: still accepted; 301 s: refused.
  clock_.set_unix_seconds(1714037059 + 300);
  EXPECT_TRUE(verifier_.verify(good_, "1714037059", "486452656"));
  clock_.set_unix_seconds(1714037059 + 301);
  const auto old = verifier_.verify(good_, "1714037059", "486452656");
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(old.error().message.find("301 s old"), std::string::npos) << old.error().message;

  clock_.set_unix_seconds(1714037059 - 300);
  EXPECT_TRUE(verifier_.verify(good_, "1714037059", "486452656"));
  clock_.set_unix_seconds(1714037059 - 301);
  EXPECT_FALSE(verifier_.verify(good_, "1714037059", "486452656"));

  const SignatureVerifier wide("AAAAA", {std::chrono::hours(24), std::chrono::seconds(0)}, clock_);
  clock_.set_unix_seconds(1714037059 + 86400);
  EXPECT_TRUE(wide.verify(good_, "1714037059", "486452656"));
  clock_.set_unix_seconds(1714037059 - 1);
  EXPECT_FALSE(wide.verify(good_, "1714037059", "486452656"));
}

TEST_F(VerifierTest, ForgedRequestLearnsNothingAboutTheWindow) {
  clock_.set_unix_seconds(1);
  const auto e = verifier_.verify("0000000000000000000000000000000000000000", "1714037059", "486452656");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("signature"), std::string::npos);
  EXPECT_EQ(e.error().message.find("timestamp"), std::string::npos);
}

TEST_F(VerifierTest, MsgSignature) {
  const std::string encrypt = "QUJD";
  const auto sig = compute_msg_signature("AAAAA", "1714037059", "486452656", encrypt);
  EXPECT_TRUE(verifier_.verify_msg(sig, "1714037059", "486452656", encrypt));
  EXPECT_FALSE(verifier_.verify_msg(sig, "1714037059", "486452656", "QUJE"));
  EXPECT_FALSE(verifier_.verify_msg("", "1714037059", "486452656", encrypt));
}

}  // namespace
}  // namespace qrscene::wechat
