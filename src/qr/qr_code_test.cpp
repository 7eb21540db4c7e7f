#include "qr/qr_code.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

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


// The PNG's IHDR (or the JPEG's SOF0) rewritten to claim width × height, its CRC made good again.
std::string claim_size(std::string image, std::uint32_t width, std::uint32_t height) {
  auto put32 = [&image](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) image[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  };
  if (image.starts_with("\x89PNG")) {
    put32(16, width);  // signature 8, length 4, "IHDR" 4
    put32(20, height);
    std::uint32_t crc = 0xffffffffu;  // over "IHDR" and its 13 bytes
    for (std::size_t i = 12; i < 12 + 4 + 13; ++i) {
      crc ^= static_cast<unsigned char>(image[i]);
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    put32(29, crc ^ 0xffffffffu);
    return image;
  }
  const auto sof = image.find("\xff\xc0");
  image[sof + 5] = static_cast<char>(height >> 8);
  image[sof + 6] = static_cast<char>(height & 0xff);
  image[sof + 7] = static_cast<char>(width >> 8);
  image[sof + 8] = static_cast<char>(width & 0xff);
  return image;
}

// 235 bytes of PNG made the server allocate 1.6 GB before reading a pixel.
TEST(Image, OneClaimingMorePixelsThanTheLimitIsRefusedBeforeAnythingIsAllocated) {
  const Gray small = *rasterize(*encode("x"), 64);
  const std::string png = claim_size(*encode_png(small), 40'000, 40'000);
  ASSERT_LT(png.size(), 400u);
  auto bomb = decode_image(png);
  ASSERT_FALSE(bomb);
  EXPECT_EQ(bomb.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bomb.error().message.find("40000×40000"), std::string::npos) << bomb.error().message;
  auto wide = decode_image(claim_size(*encode_png(small), 20'000, 10));
  ASSERT_FALSE(wide);
  EXPECT_NE(wide.error().message.find("per side"), std::string::npos) << wide.error().message;
  auto many = decode_image(claim_size(*encode_png(small), 6'000, 5'000));  // each side allowed, 30 MP in all
  ASSERT_FALSE(many);
  EXPECT_NE(many.error().message.find("million in all"), std::string::npos) << many.error().message;
  auto jpeg = decode_image(claim_size(*encode_jpeg(small), 60'000, 60'000));
  ASSERT_FALSE(jpeg);
  EXPECT_NE(jpeg.error().message.find("60000×60000"), std::string::npos) << jpeg.error().message;
  EXPECT_TRUE(decode_image(*encode_png(small)));
}

TEST(Image, WorkBeyondTheSlotsIsRefusedNotQueuedForever) {
  ImageWork::configure(1, std::chrono::milliseconds(50));
  const std::string png = *encode_png(*rasterize(*encode("x"), 64));
  std::promise<void> holding;
  std::promise<void> release;
  std::thread other([&] {
    const ImageWork work;
    EXPECT_TRUE(work.held());
    holding.set_value();
    release.get_future().wait();
  });
  holding.get_future().wait();
  auto busy = decode_image(png);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, ErrorCode::kResourceExhausted);
  release.set_value();
  other.join();
  EXPECT_TRUE(decode_image(png));
  {
    const ImageWork outer;  // a thread that holds a slot is not made to wait for a second
    EXPECT_TRUE(outer.held());
    EXPECT_TRUE(decode_image(png));
  }
  ImageWork::configure(2, std::chrono::milliseconds(2000));
}

}  // namespace
}  // namespace qrscene::qr
