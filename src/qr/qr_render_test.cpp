#include "qr/qr_render.h"

#include <gtest/gtest.h>

#include "qr/qr_code.h"

namespace qrscene::qr {
namespace {

constexpr std::string_view kUrl = "http://weixin.qq.com/q/02abcDEFghiJKL00000000";

std::vector<std::string> scan_png(const std::string& png) {
  auto grey = decode_image(png);
  EXPECT_TRUE(grey) << grey.error().to_string();
  auto texts = scan(*grey);
  return texts ? *texts : std::vector<std::string>{};
}

std::string a_logo() {
  Gray g;
  g.width = g.height = 40;
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 40; ++x) g.pixels.push_back(static_cast<std::uint8_t>(((x / 5 + y / 5) % 2) ? 40 : 200));
  }
  return *encode_png(g);
}

TEST(QrRender, APlainPngScansBackToTheUrl) {
  auto png = render(kUrl, QrStyle{}, ImageFormat::kPng);
  ASSERT_TRUE(png) << png.error().to_string();
  EXPECT_EQ(scan_png(*png), std::vector<std::string>{std::string(kUrl)});
}

TEST(QrRender, ThePngIsPixelForPixelTheRaster) {
  // The PNG is drawn straight from the modules; it must be the same image rasterize() draws.
  for (const auto& [size, margin] : {std::pair{430, 4}, std::pair{301, 0}, std::pair{1000, 16}}) {
    QrStyle s;
    s.size = size;
    s.margin = margin;
    auto png = render(kUrl, s, ImageFormat::kPng);
    ASSERT_TRUE(png) << png.error().to_string();
    auto drawn = decode_image(*png);
    auto expected = rasterize(*encode(kUrl, Ecc::kMedium), size, margin);
    ASSERT_TRUE(drawn && expected);
    EXPECT_EQ(drawn->width, size);
    EXPECT_TRUE(drawn->pixels == expected->pixels) << size << " px, margin " << margin;
  }
  QrStyle tiny;
  tiny.size = 64;
  tiny.margin = 16;
  auto refused = render(kUrl, tiny, ImageFormat::kPng);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("size"), std::string::npos);
}

TEST(QrRender, ColoursAreDrawnAndStillScan) {
  QrStyle s;
  s.size = 300;
  s.margin = 2;
  s.dark = *parse_color("#1a7f37");
  s.light = *parse_color("fffbe6");
  auto png = render(kUrl, s, ImageFormat::kPng);
  ASSERT_TRUE(png) << png.error().to_string();
  EXPECT_EQ(scan_png(*png), std::vector<std::string>{std::string(kUrl)});
  auto svg = render(kUrl, s, ImageFormat::kSvg);
  ASSERT_TRUE(svg);
  EXPECT_NE(svg->find("fill=\"#1a7f37\""), std::string::npos);
  EXPECT_NE(svg->find("fill=\"#fffbe6\""), std::string::npos);
  EXPECT_NE(svg->find("width=\"300\""), std::string::npos);
}

TEST(QrRender, ALogoRaisesTheCorrectionLevelAndTheResultScans) {
  QrStyle s;
  s.logo = a_logo();
  auto png = render(kUrl, s, ImageFormat::kPng);
  ASSERT_TRUE(png) << png.error().to_string();
  EXPECT_EQ(scan_png(*png), std::vector<std::string>{std::string(kUrl)});
  // The same code without a logo is smaller: the logo's one uses ECC High, more modules.
  auto high = encode(kUrl, Ecc::kHigh);
  auto medium = encode(kUrl, Ecc::kMedium);
  ASSERT_TRUE(high && medium);
  EXPECT_GT(high->size(), medium->size());
  auto svg = render(kUrl, s, ImageFormat::kSvg);
  ASSERT_TRUE(svg);
  EXPECT_NE(svg->find("data:image/png;base64,"), std::string::npos);
}

TEST(QrRender, BadOptionsAreRefusedByName) {
  QrStyle s;
  s.size = 10;
  auto small = render(kUrl, s, ImageFormat::kPng);
  ASSERT_FALSE(small);
  EXPECT_NE(small.error().message.find("size"), std::string::npos);
  s = QrStyle{};
  s.margin = 40;
  EXPECT_NE(render(kUrl, s, ImageFormat::kPng).error().message.find("margin"), std::string::npos);
  s = QrStyle{};
  s.dark = *parse_color("#777777");
  s.light = *parse_color("#888888");
  auto grey = render(kUrl, s, ImageFormat::kPng);
  ASSERT_FALSE(grey);
  EXPECT_NE(grey.error().message.find("too close"), std::string::npos);
  s = QrStyle{};
  s.logo = "not an image";
  EXPECT_NE(render(kUrl, s, ImageFormat::kPng).error().message.find("logo"), std::string::npos);
  EXPECT_FALSE(parse_color("#12345"));
  EXPECT_FALSE(parse_color("#12345g"));
  EXPECT_EQ(*parse_color("#FF8000"), (Rgb{255, 128, 0}));
}

}  // namespace
}  // namespace qrscene::qr
