#include "qr/qr_render.h"

#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "base/encoding.h"
#include "qr/qr_code.h"

namespace qrscene::qr {
namespace {

double luminance(const Rgb& c) { return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b; }

std::uint8_t mix(std::uint8_t dark, std::uint8_t light, std::uint8_t grey) {
  return static_cast<std::uint8_t>((dark * (255 - grey) + light * grey + 127) / 255);
}

// The logo's square in the centre: a fifth of the code's side, well inside what ECC High repairs.
struct LogoBox {
  int x = 0, y = 0, side = 0;
};

LogoBox logo_box(int image_side) {
  const int side = std::max(8, image_side / 5);
  return LogoBox{(image_side - side) / 2, (image_side - side) / 2, side};
}

// Draws the logo (nearest neighbour) on a light pad into a grey raster.
void draw_logo(Gray& image, const Gray& logo) {
  const LogoBox box = logo_box(image.width);
  const int pad = std::max(2, box.side / 16);
  for (int y = box.y - pad; y < box.y + box.side + pad; ++y) {
    for (int x = box.x - pad; x < box.x + box.side + pad; ++x) {
      std::uint8_t v = 255;
      if (x >= box.x && x < box.x + box.side && y >= box.y && y < box.y + box.side) {
        const int lx = (x - box.x) * logo.width / box.side;
        const int ly = (y - box.y) * logo.height / box.side;
        v = logo.pixels[static_cast<std::size_t>(ly) * static_cast<std::size_t>(logo.width) +
                        static_cast<std::size_t>(lx)];
      }
      image.pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(image.width) + static_cast<std::size_t>(x)] = v;
    }
  }
}

Result<std::string> png_rgb(const Gray& grey, const QrStyle& style) {
  std::vector<std::uint8_t> rgb(grey.pixels.size() * 3);
  for (std::size_t i = 0; i < grey.pixels.size(); ++i) {
    rgb[i * 3] = mix(style.dark.r, style.light.r, grey.pixels[i]);
    rgb[i * 3 + 1] = mix(style.dark.g, style.light.g, grey.pixels[i]);
    rgb[i * 3 + 2] = mix(style.dark.b, style.light.b, grey.pixels[i]);
  }
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(grey.width);
  png.height = static_cast<png_uint_32>(grey.height);
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, rgb.data(), 0, nullptr)) {
    return unexpected(ErrorCode::kInternal, std::string("PNG encoding failed: ") + png.message);
  }
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, rgb.data(), 0, nullptr)) {
    return unexpected(ErrorCode::kInternal, std::string("PNG encoding failed: ") + png.message);
  }
  bytes.resize(size);
  return bytes;
}

// Without a logo every pixel is dark or light: a 1-bit palette PNG, deflated fast, drawn straight
// from the module matrix. libpng reports errors by longjmp, so nothing here owns memory
// across png_write_* calls but the write struct (freed on both paths).
void append_bytes(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), length);
}

Result<std::string> png_two_colour(const Matrix& m, const QrStyle& style) {
  // The geometry of rasterize(): whole pixels per module, centred. Every pixel row of a module row
  // is the same, so each module row is packed once and its pointer repeated.
  const int modules = m.size() + 2 * style.margin;
  if (style.size < modules) {
    return field_error("size", fmt::format("this code needs at least {} pixels", modules), "too_small",
                       {{"min", std::to_string(modules)}});
  }
  const int scale = style.size / modules;
  const int offset = (style.size - scale * modules) / 2 + style.margin * scale;
  const std::size_t stride = (static_cast<std::size_t>(style.size) + 7) / 8;
  std::vector<png_byte> packed((static_cast<std::size_t>(m.size()) + 1) * stride, 0xFF);  // row 0: all light
  for (int y = 0; y < m.size(); ++y) {
    png_byte* row = packed.data() + (static_cast<std::size_t>(y) + 1) * stride;
    for (int x = 0; x < m.size(); ++x) {
      if (!m.dark(x, y)) continue;
      for (int px = offset + x * scale; px < offset + (x + 1) * scale; ++px) {
        row[px / 8] = static_cast<png_byte>(row[px / 8] & ~(0x80U >> (px % 8)));  // 0 = dark
      }
    }
  }
  std::vector<png_bytep> rows(static_cast<std::size_t>(style.size));
  for (int py = 0; py < style.size; ++py) {
    const int y = py - offset;
    const bool in_code = y >= 0 && y < m.size() * scale;
    rows[static_cast<std::size_t>(py)] =
        packed.data() + (in_code ? (static_cast<std::size_t>(y / scale) + 1) * stride : 0);
  }
  std::string out;
  out.reserve(packed.size() / 4 + 256);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return unexpected(ErrorCode::kInternal, "PNG encoding failed: out of memory");
  png_infop info = png_create_info_struct(png);
  png_color palette[2] = {{style.dark.r, style.dark.g, style.dark.b}, {style.light.r, style.light.g, style.light.b}};
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return unexpected(ErrorCode::kInternal, "PNG encoding failed");
  }
  png_set_write_fn(png, &out, append_bytes, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(style.size), static_cast<png_uint_32>(style.size), 1,
               PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_PLTE(png, info, palette, 2);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_set_compression_level(png, 1);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::string hex(const Rgb& c) { return fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b); }

// One path of unit squares, horizontal runs merged; the logo goes on top as an embedded PNG.
Result<std::string> svg(const Matrix& m, const QrStyle& style, const std::string& logo_png) {
  const int n = m.size() + 2 * style.margin;
  std::string path;
  for (int y = 0; y < m.size(); ++y) {
    for (int x = 0; x < m.size();) {
      if (!m.dark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < m.size() && m.dark(x + run, y)) ++run;
      path += fmt::format("M{} {}h{}v1h-{}z", x + style.margin, y + style.margin, run, run);
      x += run;
    }
  }
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{0}\" viewBox=\"0 0 {1} {1}\" "
      "shape-rendering=\"crispEdges\"><rect width=\"{1}\" height=\"{1}\" fill=\"{2}\"/><path fill=\"{3}\" d=\"{4}\"/>",
      style.size, n, hex(style.light), hex(style.dark), path);
  if (!logo_png.empty()) {
    const double side = n / 5.0;
    const double pad = std::max(2.0 * n / style.size, side / 16);
    const double at = (n - side) / 2;
    out += fmt::format("<rect x=\"{:.3f}\" y=\"{:.3f}\" width=\"{:.3f}\" height=\"{:.3f}\" fill=\"{}\"/>", at - pad,
                       at - pad, side + 2 * pad, side + 2 * pad, hex(style.light));
    out += fmt::format("<image x=\"{:.3f}\" y=\"{:.3f}\" width=\"{:.3f}\" height=\"{:.3f}\" "
                       "preserveAspectRatio=\"none\" href=\"data:image/png;base64,{}\"/>",
                       at, at, side, side, encode_base64(logo_png));
  }
  out += "</svg>";
  return out;
}

}  // namespace

Result<Rgb> parse_color(std::string_view text) {
  if (!text.empty() && text.front() == '#') text.remove_prefix(1);
  if (text.size() != 6 || text.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' is not a colour: write it as #RRGGBB, e.g. #1a7f37", text));
  }
  auto byte = [&](std::size_t at) { return static_cast<std::uint8_t>(std::stoi(std::string(text.substr(at, 2)), nullptr, 16)); };
  return Rgb{byte(0), byte(2), byte(4)};
}

bool scannable_contrast(const Rgb& dark, const Rgb& light) noexcept {
  return luminance(light) - luminance(dark) >= 100;
}

Result<std::string> render(std::string_view text, const QrStyle& style, ImageFormat format) {
  if (style.size < QrStyle::kMinSize || style.size > QrStyle::kMaxSize) {
    return worded_field_error(
        {"size"}, fmt::format("size must be {}..{} pixels, got {}", QrStyle::kMinSize, QrStyle::kMaxSize, style.size),
        "out_of_range", {{"min", std::to_string(QrStyle::kMinSize)}, {"max", std::to_string(QrStyle::kMaxSize)}});
  }
  if (style.margin < 0 || style.margin > QrStyle::kMaxMargin) {
    return worded_field_error({"margin"},
                              fmt::format("margin must be 0..{} modules, got {}", QrStyle::kMaxMargin, style.margin),
                              "out_of_range", {{"min", "0"}, {"max", std::to_string(QrStyle::kMaxMargin)}});
  }
  if (!scannable_contrast(style.dark, style.light)) {
    return worded_field_error({"dark", "light"},
                              fmt::format("colours {} on {} are too close for scanners: use a dark colour on a light one",
                                          hex(style.dark), hex(style.light)),
                              "low_contrast");
  }
  std::optional<Gray> logo;
  const bool plain = style.logo.empty() && style.dark == Rgb{0, 0, 0} && style.light == Rgb{255, 255, 255};
  std::optional<ImageWork> work;  // a styled code is image work: a slot for the whole drawing
  if (!plain) {
    work.emplace();
    if (!work->held()) return work->error();
  }
  if (!style.logo.empty()) {
    auto decoded = decode_image(style.logo);
    if (!decoded) {
      Error e = field_error("logo", decoded.error().message + " (give a PNG or JPEG)", "not_image");
      e.code = decoded.error().code;  // an image too large to decode stays kResourceExhausted
      return e;
    }
    logo = std::move(*decoded);
  }
  QRSCENE_ASSIGN_OR_RETURN(auto matrix, encode(text, logo ? Ecc::kHigh : Ecc::kMedium));
  const bool styled = logo || style.dark != Rgb{0, 0, 0} || style.light != Rgb{255, 255, 255};
  if (!styled && format == ImageFormat::kPng) return png_two_colour(matrix, style);  // the common case
  QRSCENE_ASSIGN_OR_RETURN(auto grey, rasterize(matrix, style.size, style.margin));
  if (logo) draw_logo(grey, *logo);

  if (styled) {
    // What a scanner sees: the image's luminance.
    Gray seen = grey;
    for (auto& v : seen.pixels) {
      const Rgb c{mix(style.dark.r, style.light.r, v), mix(style.dark.g, style.light.g, v),
                  mix(style.dark.b, style.light.b, v)};
      v = static_cast<std::uint8_t>(luminance(c));
    }
    auto texts = scan(seen);
    if (!texts || std::find(texts->begin(), texts->end(), text) == texts->end()) {
      return unexpected(ErrorCode::kFailedPrecondition,
                        "the styled code does not scan: use a smaller or simpler logo, or more distinct colours");
    }
  }
  if (format == ImageFormat::kPng) return logo ? png_rgb(grey, style) : png_two_colour(matrix, style);
  std::string logo_png;
  if (logo) {
    QRSCENE_ASSIGN_OR_RETURN(logo_png, encode_png(*logo));
  }
  return svg(matrix, style, logo_png);
}

}  // namespace qrscene::qr
