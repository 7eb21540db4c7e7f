#include "base/encoding.h"

#include <gtest/gtest.h>

#include <array>

namespace qrscene {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::array<std::pair<std::string_view, std::string_view>, 7> vectors{{
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  }};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(encode_base64(plain), encoded);
    auto back = decode_base64(encoded);
    ASSERT_TRUE(back) << encoded;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    auto back = decode_base64(encode_base64(std::string_view(all).substr(0, n)));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, all.substr(0, n));
  }
}

TEST(Base64, LenientAboutUnusedTrailingBits) {
  // "Zh==" carries the same byte as "Zg==" with non-zero unused bits: EncodingAESKeys look like that.
  EXPECT_EQ(*decode_base64("Zh=="), "f");
  EXPECT_EQ(*decode_base64("Zm9="), "fo");
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_FALSE(decode_base64("Zg="));    // truncated
  EXPECT_FALSE(decode_base64("Zg"));     // no padding
  EXPECT_FALSE(decode_base64("Z==="));   // too much padding
  EXPECT_FALSE(decode_base64("===="));
  EXPECT_FALSE(decode_base64("Zg==Zg==")); // padding in the middle
  EXPECT_FALSE(decode_base64("Zm9v\nYmFy"));
  EXPECT_FALSE(decode_base64("Zm-_"));   // URL-safe alphabet is not WeChat's
  const auto e = decode_base64("Zm9*");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(e.error().message.find("offset 3"), std::string::npos) << e.error().message;
  const auto last = decode_base64("Zm9vY*==");  // in the padded last group
  ASSERT_FALSE(last);
  EXPECT_NE(last.error().message.find("offset 5"), std::string::npos) << last.error().message;
}

TEST(Hex, LowerCase) {
  EXPECT_EQ(to_hex(std::string_view("\x00\x9f\xff", 3)), "009fff");
}

TEST(Percent, EncodesEverythingButUnreserved) {
  // A real ticket (wechat-protocol.md 2.1): '+', '/' and '=' must not reach the URL raw.
  EXPECT_EQ(percent_encode("gQH47joAAAAAAAAAASxodHRwOi8v+/=="), "gQH47joAAAAAAAAAASxodHRwOi8v%2B%2F%3D%3D");
  EXPECT_EQ(percent_encode("a-b.c_d~e f%"), "a-b.c_d~e%20f%25");
  EXPECT_EQ(percent_encode("\xe4\xb8\xad"), "%E4%B8%AD");
}

TEST(Percent, DecodesQueryComponents) {
  EXPECT_EQ(percent_decode("a%2Bb+c%3d"), "a+b c=");
  EXPECT_EQ(percent_decode("100%"), "100%");     // a lone '%' stays
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");   // so does one without two hex digits
  for (std::string_view s : {"gQH+/==", "x y", "%", "\xe4\xb8\xad"}) {
    EXPECT_EQ(percent_decode(percent_encode(s)), s);
  }
}

TEST(SecureRandom, FillsTheBuffer) {
  std::array<std::uint8_t, 64> a{};
  std::array<std::uint8_t, 64> b{};
  secure_random_bytes(a);
  secure_random_bytes(b);
  EXPECT_NE(a, b);  // 2^-512 chance of a false failure
}

TEST(SecureRandom, RandomHexIsTwoLowerCaseDigitsPerByte) {
  const std::string id = random_hex(16);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  EXPECT_NE(random_hex(16), id);
  EXPECT_EQ(random_hex(100).size(), 128u);  // at most 64 bytes
}

}  // namespace
}  // namespace qrscene
