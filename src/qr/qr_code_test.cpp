#include "qr/qr_code.h"

#include <gtest/gtest.h>

namespace qrscene::qr {
namespace {

TEST(QrCode, EncodesToASquareMatrixWithFinderPatterns) {
  auto m = encode("http://weixin.qq.com/q/02abcdefghijklmnopqrst");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ((m->size() - 17) % 4, 0);  // version v has 4v + 17 modules
  // The top-left finder pattern: a dark 7×7 ring around a light ring around a dark 3×3 core.
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(m->dark(i, 0));
    EXPECT_TRUE(m->dark(0, i));
  }
  EXPECT_FALSE(m->dark(1, 1));
  EXPECT_TRUE(m->dark(3, 3));
}

TEST(QrCode, RefusesTextThatDoesNotFit) {
  auto m = encode(std::string(3000, 'x'), Ecc::kLow);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument);
}

TEST(QrCode, RasterizeCentresWholePixelModules) {
  auto m = encode("hello");
  ASSERT_TRUE(m.has_value());
  auto g = rasterize(*m, 430, 4);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->width, 430);
  EXPECT_EQ(g->height, 430);
  EXPECT_EQ(g->pixels.front(), 255);  // quiet zone is light
  auto too_small = rasterize(*m, m->size(), 4);
  EXPECT_FALSE(too_small.has_value());
}

TEST(QrCode, JpegRoundTripScansToTheSameText) {
  const std::string url = "http://weixin.qq.com/q/02Ab3dEfGh1jKlMn0pQrSt";
  auto g = rasterize(*encode(url), 430);
  ASSERT_TRUE(g.has_value());
  auto jpeg = encode_jpeg(*g);
  ASSERT_TRUE(jpeg.has_value());
  EXPECT_EQ(static_cast<unsigned char>((*jpeg)[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>((*jpeg)[1]), 0xD8);
  auto back = decode_image(*jpeg);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->width, 430);
  auto texts = scan(*back);
  ASSERT_TRUE(texts.has_value()) << texts.error().message;
  ASSERT_EQ(texts->size(), 1u);
  EXPECT_EQ(texts->front(), url);
}

TEST(QrCode, PngRoundTripKeepsUtf8) {
  const std::string text = "渠道-春季活动-上海";
  auto png = encode_png(*rasterize(*encode(text), 300, 2));
  ASSERT_TRUE(png.has_value());
  auto back = decode_image(*png);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  auto texts = scan(*back);
  ASSERT_TRUE(texts.has_value());
  EXPECT_EQ(texts->front(), text);
}

TEST(QrCode, ScanOfABlankImageIsNotFound) {
  Gray blank;
  blank.width = blank.height = 100;
  blank.pixels.assign(100 * 100, 255);
  auto texts = scan(blank);
  ASSERT_FALSE(texts.has_value());
  EXPECT_EQ(texts.error().code, ErrorCode::kNotFound);
}

TEST(QrCode, DecodeRejectsWhatIsNotAnImage) {
  EXPECT_EQ(decode_image("GIF89a....").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(decode_image("").error().code, ErrorCode::kInvalidArgument);
  // A JPEG signature followed by garbage: libjpeg's error must come back, not exit the process.
  auto bad = decode_image(std::string("\xFF\xD8\xFF\xE0garbage-garbage", 19));
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("JPEG"), std::string::npos);
  auto bad_png = decode_image(std::string("\x89PNG\r\n\x1a\nxxxx", 12));
  EXPECT_FALSE(bad_png.has_value());
}

}  // namespace
}  // namespace qrscene::qr
