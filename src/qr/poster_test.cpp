#include "qr/poster.h"

#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "qr/qr_code.h"
#include "qr/qr_render.h"

namespace qrscene::qr {
namespace {

constexpr std::string_view kUrl = "http://weixin.qq.com/q/02fissionAbCdEf00000000";

// A background that is not one colour, so that "still the background" means this pixel's own.
RgbImage gradient(int width, int height) {
  RgbImage img{width, height, {}};
  img.pixels.reserve(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      img.pixels.push_back(static_cast<std::uint8_t>(200 + x * 50 / width));
      img.pixels.push_back(static_cast<std::uint8_t>(120 + y * 80 / height));
      img.pixels.push_back(static_cast<std::uint8_t>(60 + (x + y) * 60 / (width + height)));
    }
  }
  return img;
}

Rgb at(const RgbImage& img, int x, int y) {
  const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) + static_cast<std::size_t>(x)) * 3;
  return Rgb{img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]};
}

// What a scanner sees of the rectangle: its luminance.
Gray crop(const RgbImage& img, int x0, int y0, int w, int h) {
  Gray g{w, h, {}};
  for (int y = y0; y < y0 + h; ++y) {
    for (int x = x0; x < x0 + w; ++x) {
      const Rgb c = at(img, x, y);
      g.pixels.push_back(static_cast<std::uint8_t>((299 * c.r + 587 * c.g + 114 * c.b) / 1000));
    }
  }
  return g;
}

int distance(const Rgb& a, const Rgb& b) {
  return std::max({std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b)});
}

// The most any pixel of the rectangle differs between two images of the same size.
int max_difference(const RgbImage& a, const RgbImage& b, int x0, int y0, int x1, int y1) {
  int worst = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) worst = std::max(worst, distance(at(a, x, y), at(b, x, y)));
  }
  return worst;
}

bool names_field(const Error& e, std::string_view field, std::string_view code = "") {
  return std::any_of(e.fields.begin(), e.fields.end(),
                     [&](const FieldError& f) { return f.field == field && (code.empty() || f.code == code); });
}

std::string fields_of(const Error& e) {
  std::string out = e.to_string() + " [";
  for (const auto& f : e.fields) out += f.field + ":" + f.code + " ";
  return out + "]";
}

// A 1080×1920 poster: the code low in the middle, two lines above it.
PosterSpec a_poster(std::string background) {
  PosterSpec s;
  s.background = std::move(background);
  s.qr.content = std::string(kUrl);
  s.qr.x = 390;
  s.qr.y = 1300;
  s.qr.size = 300;
  s.texts.push_back(PosterText{"扫码关注，助我领取奖品", 540, 1200, 56, "#c00000", true, TextAlign::kCenter, 1000});
  s.texts.push_back(PosterText{"有效期至 2026-12-31", 540, 1680, 36, "#333333", false, TextAlign::kCenter, 0});
  return s;
}

// The code is where the spec puts it and scans to exactly its content; away from it and from the
// text the background is untouched.
void expect_code_in_place(const RgbImage& poster, const RgbImage& background, const PosterSpec& s, int tolerance) {
  const PosterQr& q = s.qr;
  auto texts = scan(crop(poster, q.x, q.y, q.size, q.size));
  ASSERT_TRUE(texts) << texts.error().to_string();
  EXPECT_EQ(*texts, std::vector<std::string>{std::string(kUrl)});
  // Where the first dark module must be (rasterize's geometry), and the light square's corners.
  const int modules = encode(kUrl)->size() + 2 * q.margin;
  const int scale = q.size / modules;
  const int first = (q.size - scale * modules) / 2 + q.margin * scale;
  const int mid = scale / 2;  // the middle of a module: JPEG blurs their edges
  EXPECT_LE(distance(at(poster, q.x + first + mid, q.y + first + mid), Rgb{0, 0, 0}), tolerance);
  EXPECT_LE(distance(at(poster, q.x + first - scale + mid, q.y + first - scale + mid), Rgb{255, 255, 255}), tolerance);
  EXPECT_LE(distance(at(poster, q.x + 2, q.y + 2), Rgb{255, 255, 255}), tolerance);
  EXPECT_LE(distance(at(poster, q.x + q.size - 3, q.y + q.size - 3), Rgb{255, 255, 255}), tolerance);
  // Outside the square: the background's own pixels (rows 0..1000 hold no text; nor do the
  // bands left and right of the code). A lossless poster is checked to the pixel; a JPEG 16 px
  // away from the code (its blocks are 16 px).
  const int gap = tolerance == 0 ? 0 : 16;
  EXPECT_LE(max_difference(poster, background, 0, 0, poster.width, 1000), tolerance);
  EXPECT_LE(max_difference(poster, background, 0, q.y, q.x - gap, q.y + q.size), tolerance);
  EXPECT_LE(max_difference(poster, background, q.x + q.size + gap, q.y, poster.width, q.y + q.size), tolerance);
  if (tolerance == 0) {  // the exact square, and the first dark pixel where rasterize() puts it
    for (const int y : {q.y, q.y + q.size / 2, q.y + q.size - 1}) {
      EXPECT_EQ(at(poster, q.x, y), (Rgb{255, 255, 255})) << y;
      EXPECT_EQ(at(poster, q.x + q.size - 1, y), (Rgb{255, 255, 255})) << y;
    }
    for (const int x : {q.x, q.x + q.size / 2, q.x + q.size - 1}) {
      EXPECT_EQ(at(poster, x, q.y), (Rgb{255, 255, 255})) << x;
      EXPECT_EQ(at(poster, x, q.y - 1), at(background, x, q.y - 1)) << x;
      EXPECT_EQ(at(poster, x, q.y + q.size - 1), (Rgb{255, 255, 255})) << x;
      EXPECT_EQ(at(poster, x, q.y + q.size), at(background, x, q.y + q.size)) << x;
    }
    EXPECT_EQ(at(poster, q.x + first, q.y + first), (Rgb{0, 0, 0}));
    EXPECT_EQ(at(poster, q.x + first - 1, q.y + first), (Rgb{255, 255, 255}));
    EXPECT_EQ(at(poster, q.x + first, q.y + first - 1), (Rgb{255, 255, 255}));
  }
  // And no code elsewhere: the same square's worth at the top left holds none.
  EXPECT_FALSE(scan(crop(poster, 0, 0, q.size, q.size)));
}

TEST(Poster, OnAJpegBackgroundTheCodeScansWhereItWasPut) {
  const std::string jpeg = *encode_jpeg(gradient(1080, 1920), 92);
  const RgbImage background = *decode_image_rgb(jpeg);  // what libjpeg makes of it, pixel for pixel
  PosterSpec s = a_poster(jpeg);
  auto png = compose_poster(s);
  ASSERT_TRUE(png) << png.error().to_string();
  ASSERT_TRUE(png->starts_with("\x89PNG"));
  auto poster = decode_image_rgb(*png);
  ASSERT_TRUE(poster) << poster.error().to_string();
  ASSERT_EQ(poster->width, 1080);
  ASSERT_EQ(poster->height, 1920);
  expect_code_in_place(*poster, background, s, 0);  // PNG out: lossless
}

TEST(Poster, OnAPngBackgroundTheCodeScansWhereItWasPut) {
  const RgbImage background = gradient(1080, 1920);
  PosterSpec s = a_poster(*encode_png(background));
  s.qr.x = 60;  // elsewhere than in the JPEG test
  s.qr.y = 1500;
  s.qr.size = 360;
  s.qr.margin = 2;
  s.texts.clear();
  s.format = PosterFormat::kJpeg;
  s.jpeg_quality = 92;
  auto jpeg = compose_poster(s);
  ASSERT_TRUE(jpeg) << jpeg.error().to_string();
  ASSERT_EQ(static_cast<unsigned char>((*jpeg)[0]), 0xFF);
  auto poster = decode_image_rgb(*jpeg);
  ASSERT_TRUE(poster) << poster.error().to_string();
  expect_code_in_place(*poster, background, s, 12);  // JPEG out: near the background's colour
}

TEST(Poster, AlsoScansWithColoursAndOnAPlainCanvas) {
  PosterSpec s;
  s.width = 600;
  s.height = 800;
  s.background_color = "#fdf2e0";
  s.qr = PosterQr{std::string(kUrl), 150, 400, 300, 4, "#1a3f7f", "#fffbe6"};
  auto poster = compose_poster_image(s);
  ASSERT_TRUE(poster) << poster.error().to_string();
  EXPECT_EQ(at(*poster, 10, 10), (Rgb{0xfd, 0xf2, 0xe0}));
  EXPECT_EQ(at(*poster, 152, 402), (Rgb{0xff, 0xfb, 0xe6}));
  auto texts = scan(crop(*poster, 150, 400, 300, 300));
  ASSERT_TRUE(texts) << texts.error().to_string();
  EXPECT_EQ(texts->front(), kUrl);
}

TEST(Poster, ATransparentPngBackgroundLiesOnTheBackgroundColour) {
  // 300×300 RGBA: the left half fully transparent, the right half opaque green.
  std::vector<std::uint8_t> rgba;
  for (int y = 0; y < 300; ++y) {
    for (int x = 0; x < 300; ++x) {
      const bool left = x < 150;
      rgba.insert(rgba.end(), {0, 200, 0, static_cast<std::uint8_t>(left ? 0 : 255)});
    }
  }
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = png.height = 300;
  png.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  ASSERT_TRUE(png_image_write_to_memory(&png, nullptr, &size, 0, rgba.data(), 0, nullptr));
  std::string bytes(size, '\0');
  ASSERT_TRUE(png_image_write_to_memory(&png, bytes.data(), &size, 0, rgba.data(), 0, nullptr));
  bytes.resize(size);
  PosterSpec s;
  s.background = bytes;
  s.background_color = "#336699";
  s.qr = PosterQr{"x", 170, 170, 120, 4};
  auto poster = compose_poster_image(s);
  ASSERT_TRUE(poster) << poster.error().to_string();
  EXPECT_EQ(at(*poster, 20, 20), (Rgb{0x33, 0x66, 0x99}));
  EXPECT_EQ(at(*poster, 280, 20), (Rgb{0, 200, 0}));
}

// Pixels of the rectangle unlike `background`, and of those the ones drawn only partly (neither
// the background nor within `near` of the ink): anti-aliased edges.
struct Ink {
  int changed = 0;
  int partial = 0;
  int left = 1 << 30, right = -1, top = 1 << 30, bottom = -1;
};
Ink ink(const RgbImage& img, const Rgb& background, const Rgb& colour, int x0, int y0, int x1, int y1) {
  Ink r;
  for (int y = std::max(0, y0); y < std::min(img.height, y1); ++y) {
    for (int x = std::max(0, x0); x < std::min(img.width, x1); ++x) {
      const Rgb c = at(img, x, y);
      if (c == background) continue;
      ++r.changed;
      if (distance(c, colour) > 16) ++r.partial;
      r.left = std::min(r.left, x);
      r.right = std::max(r.right, x);
      r.top = std::min(r.top, y);
      r.bottom = std::max(r.bottom, y);
    }
  }
  return r;
}

PosterSpec plain_with(std::vector<PosterText> texts) {
  PosterSpec s;
  s.width = 1080;
  s.height = 1920;
  s.qr = PosterQr{std::string(kUrl), 390, 1500, 300, 4};
  s.texts = std::move(texts);
  return s;
}

TEST(Poster, ChineseTextDrawsAntiAliasedPixelsAndSpacesDrawNone) {
  const Rgb white{255, 255, 255};
  const Rgb red{0xc0, 0, 0};
  auto poster = compose_poster_image(plain_with({
      PosterText{"扫码关注，助我领取奖品", 100, 300, 48, "#c00000"},
      PosterText{"          ", 100, 600, 48, "#c00000"},
      PosterText{"有效期至 2026-12-31", 100, 900, 36, "#c00000"},
  }));
  ASSERT_TRUE(poster) << poster.error().to_string();
  const Ink chinese = ink(*poster, white, red, 80, 230, 1080, 330);
  EXPECT_GT(chinese.changed, 2000) << "the Chinese line drew almost nothing";
  EXPECT_GT(chinese.partial, 200) << "no anti-aliased edge pixels";
  EXPECT_LT(chinese.partial, chinese.changed);
  // Eleven em-wide glyphs of 48 px from x = 100, above the baseline at y = 300.
  EXPECT_GE(chinese.left, 100);
  EXPECT_LT(chinese.left, 110);
  EXPECT_GT(chinese.right, 100 + 10 * 48);
  EXPECT_LE(chinese.right, 100 + 11 * 48);
  EXPECT_GT(chinese.top, 300 - 48);
  EXPECT_LE(chinese.bottom, 300 + 12);
  EXPECT_EQ(ink(*poster, white, red, 0, 530, 1080, 630).changed, 0) << "a line of spaces drew pixels";
  EXPECT_GT(ink(*poster, white, red, 80, 850, 1080, 930).changed, 1000);
}

TEST(Poster, TheSimplifiedChineseFaceIsChosenAndBoldIsBolder) {
  auto regular = poster_font_face("", false);
  ASSERT_TRUE(regular) << regular.error().to_string();
  EXPECT_EQ(*regular, "Noto Sans CJK SC Regular");
  auto bold = poster_font_face("", true);
  ASSERT_TRUE(bold) << bold.error().to_string();
  EXPECT_EQ(*bold, "Noto Sans CJK SC Bold");

  auto poster = compose_poster_image(plain_with({
      PosterText{"助我领取奖品", 100, 300, 48, "#000000", false},
      PosterText{"助我领取奖品", 100, 600, 48, "#000000", true},
  }));
  ASSERT_TRUE(poster) << poster.error().to_string();
  auto darkness = [&](int y0, int y1) {
    std::int64_t sum = 0;
    for (int y = y0; y < y1; ++y) {
      for (int x = 0; x < 1080; ++x) sum += 255 - at(*poster, x, y).g;
    }
    return sum;
  };
  EXPECT_GT(darkness(530, 630), darkness(230, 330) * 5 / 4);
}

TEST(Poster, AlignmentAndMaxWidthPlaceTheLine) {
  const Rgb white{255, 255, 255};
  const Rgb black{0, 0, 0};
  const std::string text = "扫码关注，助我领取奖品";  // 11 em: 528 px at 48
  auto poster = compose_poster_image(plain_with({
      PosterText{text, 540, 200, 48, "#000000", false, TextAlign::kCenter},
      PosterText{text, 1000, 400, 48, "#000000", false, TextAlign::kRight},
      PosterText{text, 100, 600, 48, "#000000", false, TextAlign::kLeft, 264},  // shrunk to half
  }));
  ASSERT_TRUE(poster) << poster.error().to_string();
  const Ink centred = ink(*poster, white, black, 0, 130, 1080, 230);
  EXPECT_NEAR((centred.left + centred.right) / 2, 540, 8);
  const Ink right = ink(*poster, white, black, 0, 330, 1080, 430);
  EXPECT_LE(right.right, 1000);
  EXPECT_GT(right.right, 1000 - 12);
  const Ink shrunk = ink(*poster, white, black, 0, 530, 1080, 630);
  EXPECT_GT(shrunk.changed, 300);
  EXPECT_GE(shrunk.left, 100);
  EXPECT_LE(shrunk.right, 100 + 264);
  EXPECT_GT(shrunk.right, 100 + 200);
  EXPECT_LT(shrunk.bottom - shrunk.top, 40) << "drawn smaller, not wrapped";

  PosterSpec impossible = plain_with({PosterText{text, 100, 600, 48, "#000000", false, TextAlign::kLeft, 40}});
  auto refused = compose_poster(impossible);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(names_field(refused.error(), "texts[0].max_width", "does_not_fit")) << fields_of(refused.error());
}

TEST(Poster, PlacementsOutsideThePosterAndBadValuesAreRefusedByField) {
  auto refused = [](PosterSpec s, std::string_view field, std::string_view code) {
    auto r = compose_poster(s);
    ASSERT_FALSE(r) << field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << r.error().to_string();
    EXPECT_TRUE(names_field(r.error(), field, code)) << field << " " << code << ": " << fields_of(r.error());
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
  };
  const PosterSpec good = plain_with({PosterText{"扫码关注", 100, 300, 48, "#000000"}});
  ASSERT_TRUE(compose_poster(good));

  PosterSpec s = good;
  s.qr.x = 900;  // 900 + 300 > 1080
  refused(s, "qr.x", "outside_image");
  s = good;
  s.qr.y = -1;
  refused(s, "qr.y", "outside_image");
  s = good;
  s.qr.size = 100;  // 33 + 8 modules need 123 px at 3 px each
  refused(s, "qr.size", "too_small");
  s = good;
  s.qr.margin = 40;
  refused(s, "qr.margin", "out_of_range");
  s = good;
  s.qr.content.clear();
  refused(s, "qr.content", "required");
  s = good;
  s.qr.dark = "#777777";
  s.qr.light = "#888888";
  refused(s, "qr.light", "low_contrast");
  s = good;
  s.texts[0].x = 900;  // four 48 px glyphs from 900 pass 1080
  refused(s, "texts[0].x", "outside_image");
  s = good;
  s.texts[0].align = TextAlign::kRight;
  s.texts[0].x = 50;
  refused(s, "texts[0].x", "outside_image");
  s = good;
  s.texts[0].align = TextAlign::kCenter;
  s.texts[0].x = std::numeric_limits<int>::min();  // no overflow on the way to saying so
  refused(s, "texts[0].x", "outside_image");
  s = good;
  s.qr.x = std::numeric_limits<int>::max();
  refused(s, "qr.x", "outside_image");
  s = good;
  s.texts[0].y = 20;  // the ascender of 48 px type rises above the top
  refused(s, "texts[0].y", "outside_image");
  s = good;
  s.texts[0].y = 1915;
  refused(s, "texts[0].y", "outside_image");
  s = good;
  s.texts[0].y = 1600;
  s.texts[0].x = 400;  // on the code
  refused(s, "texts[0]", "overlaps_qr");
  s = good;
  s.texts.push_back(PosterText{"有效期至 2026-12-31", 100, 500, 36, "#12345g"});
  refused(s, "texts[1].color", "not_color");
  s = good;
  s.texts[0].color = "red";
  refused(s, "texts[0].color", "not_color");
  s = good;
  s.background_color = "#fff";
  refused(s, "background_color", "not_color");
  s = good;
  s.texts[0].size = 2;
  refused(s, "texts[0].size", "out_of_range");
  s = good;
  s.texts[0].text = "扫码\xE5\x85";  // a character cut short
  refused(s, "texts[0].text", "not_utf8");
  s = good;
  s.texts[0].text = "第一行\n第二行";
  refused(s, "texts[0].text", "control_character");
  s = good;
  s.width = s.height = 0;
  refused(s, "background", "required");
  s = good;
  s.width = 5000;
  refused(s, "width", "out_of_range");
  s = good;
  s.background = "GIF89a not a poster";
  refused(s, "background", "not_image");
  s = good;
  s.background = *encode_png(gradient(4100, 40));
  s.width = s.height = 0;
  refused(s, "background", "too_large");
  s = good;
  s.format = PosterFormat::kJpeg;
  s.jpeg_quality = 0;
  refused(s, "jpeg_quality", "out_of_range");

  // Several problems of a phase come together.
  s = good;
  s.texts[0].color = "nope";
  s.qr.dark = "black";
  auto both = compose_poster(s);
  ASSERT_FALSE(both);
  EXPECT_TRUE(names_field(both.error(), "texts[0].color"));
  EXPECT_TRUE(names_field(both.error(), "qr.dark"));
}

TEST(Poster, AMissingFontIsAClearErrorNamingThePathAndThePackage) {
  PosterSpec s = plain_with({PosterText{"扫码关注", 100, 300, 48, "#000000"}});
  s.font_path = "/nonexistent/fonts/NotoSansCJK-Regular.ttc";
  auto missing = compose_poster(s);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(names_field(missing.error(), "font_path", "font_missing")) << fields_of(missing.error());
  EXPECT_NE(missing.error().message.find("/nonexistent/fonts/NotoSansCJK-Regular.ttc"), std::string::npos);
  EXPECT_NE(missing.error().message.find("fonts-noto-cjk"), std::string::npos) << missing.error().message;

  // A bold line needs the bold font, a regular one does not.
  s = plain_with({PosterText{"扫码关注", 100, 300, 48, "#000000", true}});
  s.bold_font_path = "/nonexistent/bold.ttc";
  auto bold = compose_poster(s);
  ASSERT_FALSE(bold);
  EXPECT_TRUE(names_field(bold.error(), "bold_font_path", "font_missing")) << fields_of(bold.error());
  s.texts[0].bold = false;
  EXPECT_TRUE(compose_poster(s));

  // A file that is not a font.
  const auto path = std::filesystem::temp_directory_path() / "qrscene_poster_not_a_font.ttc";
  std::ofstream(path) << "not a font at all";
  s.font_path = path.string();
  auto not_font = compose_poster(s);
  std::filesystem::remove(path);
  ASSERT_FALSE(not_font);
  EXPECT_TRUE(names_field(not_font.error(), "font_path", "not_font")) << fields_of(not_font.error());

  // Without text no font is opened.
  s.texts.clear();
  s.font_path = "/nonexistent/fonts/NotoSansCJK-Regular.ttc";
  EXPECT_TRUE(compose_poster(s));
}

TEST(Poster, PngAndJpegOutputsBothDecode) {
  PosterSpec s = a_poster(*encode_jpeg(gradient(1080, 1920), 90));
  for (const auto format : {PosterFormat::kPng, PosterFormat::kJpeg}) {
    s.format = format;
    auto bytes = compose_poster(s);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    EXPECT_EQ(static_cast<unsigned char>((*bytes)[0]), format == PosterFormat::kPng ? 0x89 : 0xFF);
    auto back = decode_image_rgb(*bytes);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->width, 1080);
    EXPECT_EQ(back->height, 1920);
    auto grey = decode_image(*bytes);
    ASSERT_TRUE(grey);
    auto texts = scan(*grey);  // the whole poster, as a phone would
    ASSERT_TRUE(texts) << texts.error().to_string();
    EXPECT_EQ(texts->front(), kUrl);
  }
}

// Not a benchmark (bench/ is for those, and this build is a sanitized debug one): a rough figure
// for the log.
TEST(Poster, TimingOfA1080x1920PosterForTheLog) {
  const std::string jpeg = *encode_jpeg(gradient(1080, 1920), 90);
  PosterSpec s = a_poster(jpeg);
  (void)compose_poster_image(s);  // the font's face looked up once
  const auto t0 = std::chrono::steady_clock::now();
  auto image = compose_poster_image(s);
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(image) << image.error().to_string();
  auto png = encode_png(*image);
  const auto t2 = std::chrono::steady_clock::now();
  auto out = encode_jpeg(*image, 90);
  const auto t3 = std::chrono::steady_clock::now();
  ASSERT_TRUE(png && out);
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("[ timing   ] 1080x1920 poster: compose %.1f ms, + PNG %.1f ms (%zu bytes), + JPEG %.1f ms (%zu bytes)\n",
              ms(t1 - t0), ms(t2 - t1), png->size(), ms(t3 - t2), out->size());
}

}  // namespace
}  // namespace qrscene::qr
