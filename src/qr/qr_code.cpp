#include "qr/qr_code.h"

#include <jpeglib.h>
#include <png.h>
#include <qrcodegen/qrcodegen.hpp>
#include <zbar.h>

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>

namespace qrscene::qr {
namespace {

qrcodegen::QrCode::Ecc to_qrcodegen(Ecc ecc) {
  switch (ecc) {
    case Ecc::kLow: return qrcodegen::QrCode::Ecc::LOW;
    case Ecc::kMedium: return qrcodegen::QrCode::Ecc::MEDIUM;
    case Ecc::kQuartile: return qrcodegen::QrCode::Ecc::QUARTILE;
    case Ecc::kHigh: return qrcodegen::QrCode::Ecc::HIGH;
  }
  return qrcodegen::QrCode::Ecc::MEDIUM;
}

// libjpeg reports errors through error_exit, which must not return: jump back to the caller.
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Gray and RgbImage alike: `components` bytes a pixel, row-major.
template <class Image>
constexpr int components_of() {
  return std::is_same_v<Image, RgbImage> ? 3 : 1;
}

template <class Image>
Result<std::string> jpeg_compress(const Image& image, int quality) {
  jpeg_compress_struct cinfo{};
  JpegError err{};
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  err.mgr.output_message = [](j_common_ptr) {};  // warnings are not printed; errors are returned
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(out);
    return unexpected(ErrorCode::kInternal, std::string("JPEG encoding failed: ") + err.message);
  }
  constexpr int components = components_of<Image>();
  const std::size_t stride = static_cast<std::size_t>(image.width) * components;
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &out, &out_size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = components;
  cinfo.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(image.pixels.data() + static_cast<std::size_t>(cinfo.next_scanline) * stride);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string bytes(reinterpret_cast<const char*>(out), out_size);
  std::free(out);
  return bytes;
}

// The header's dimensions against the limits, before a byte is allocated for the pixels.
Status check_dimensions(std::uint64_t width, std::uint64_t height, std::int64_t max_side = kMaxImageSide) {
  const auto side = static_cast<std::uint64_t>(std::clamp<std::int64_t>(max_side, 1, kMaxImageSide));
  if (width == 0 || height == 0 || width > side || height > side) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the image is {}×{} pixels: at most {} per side", width, height, side));
  }
  if (width * height > static_cast<std::uint64_t>(kMaxImagePixels)) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the image is {}×{} pixels: at most {} million in all", width, height,
                                  kMaxImagePixels / 1'000'000));
  }
  return {};
}

template <class Image>
Result<Image> jpeg_decompress(std::string_view bytes, std::int64_t max_side) {
  jpeg_decompress_struct cinfo{};
  JpegError err{};
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  err.mgr.output_message = [](j_common_ptr) {};  // warnings are not printed; errors are returned
  Image image;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return unexpected(ErrorCode::kInvalidArgument, std::string("not a readable JPEG: ") + err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (auto too_big = check_dimensions(cinfo.image_width, cinfo.image_height, max_side); !too_big) {
    jpeg_destroy_decompress(&cinfo);
    return too_big.error();
  }
  cinfo.mem->max_memory_to_use = 256L * 1024 * 1024;  // progressive files buffer coefficients; bound them
  constexpr int components = components_of<Image>();
  cinfo.out_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_start_decompress(&cinfo);
  image.width = static_cast<int>(cinfo.output_width);
  image.height = static_cast<int>(cinfo.output_height);
  const std::size_t stride = static_cast<std::size_t>(image.width) * components;
  image.pixels.resize(stride * static_cast<std::size_t>(image.height));
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = image.pixels.data() + static_cast<std::size_t>(cinfo.output_scanline) * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return image;
}

template <class Image>
Result<Image> png_decompress(std::string_view bytes, Rgb matte, std::int64_t max_side) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    return unexpected(ErrorCode::kInvalidArgument, std::string("not a readable PNG: ") + png.message);
  }
  if (auto too_big = check_dimensions(png.width, png.height, max_side); !too_big) {
    png_image_free(&png);
    return too_big.error();
  }
  constexpr bool rgb = components_of<Image>() == 3;
  png.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  png_color background{matte.r, matte.g, matte.b};
  Image image;
  image.width = static_cast<int>(png.width);
  image.height = static_cast<int>(png.height);
  image.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, rgb ? &background : nullptr, image.pixels.data(), 0, nullptr)) {
    std::string message = png.message;
    png_image_free(&png);
    return unexpected(ErrorCode::kInvalidArgument, "not a readable PNG: " + message);
  }
  return image;
}

template <class Image>
Result<std::string> png_compress(const Image& image) {
  if (image.width <= 0 || image.height <= 0) return unexpected(ErrorCode::kInvalidArgument, "empty image");
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = components_of<Image>() == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), 0, nullptr)) {
    return unexpected(ErrorCode::kInternal, std::string("PNG encoding failed: ") + png.message);
  }
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr)) {
    return unexpected(ErrorCode::kInternal, std::string("PNG encoding failed: ") + png.message);
  }
  bytes.resize(size);
  return bytes;
}

template <class Image>
Result<Image> decode_any(std::string_view bytes, Rgb matte, std::int64_t max_side) {
  const ImageWork work;
  if (!work.held()) return work.error();
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8 &&
      static_cast<unsigned char>(bytes[2]) == 0xFF) {
    return jpeg_decompress<Image>(bytes, max_side);
  }
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) {
    return png_decompress<Image>(bytes, matte, max_side);
  }
  return unexpected(ErrorCode::kInvalidArgument, "not a JPEG or PNG image (unknown signature)");
}

}  // namespace

// ZBar's FourCC for 8-bit grey ("Y800"); its zbar_fourcc macro uses C casts.
constexpr unsigned long kY800 = 'Y' | ('8' << 8) | ('0' << 16) | (static_cast<unsigned long>('0') << 24);

Result<Matrix> encode(std::string_view text, Ecc ecc) {
  try {
    std::vector<std::uint8_t> data(text.begin(), text.end());
    auto code = qrcodegen::QrCode::encodeSegments({qrcodegen::QrSegment::makeBytes(data)}, to_qrcodegen(ecc));
    const int n = code.getSize();
    std::vector<std::uint8_t> modules(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
    for (int y = 0; y < n; ++y) {
      for (int x = 0; x < n; ++x) {
        modules[static_cast<std::size_t>(y) * static_cast<std::size_t>(n) + static_cast<std::size_t>(x)] =
            code.getModule(x, y) ? 1 : 0;
      }
    }
    return Matrix(n, std::move(modules));
  } catch (const qrcodegen::data_too_long& e) {
    return unexpected(ErrorCode::kInvalidArgument,
                      "text too long for a QR code (" + std::to_string(text.size()) + " bytes)");
  }
}

Result<Gray> rasterize(const Matrix& matrix, int size, int margin) {
  if (margin < 0 || margin > 64) return unexpected(ErrorCode::kInvalidArgument, "margin must be 0..64 modules");
  const int modules = matrix.size() + 2 * margin;
  if (size < modules || size > 8192) {
    return unexpected(ErrorCode::kInvalidArgument,
                      "image size must be " + std::to_string(modules) + "..8192 px for this code");
  }
  const int scale = size / modules;
  const int offset = (size - scale * modules) / 2 + margin * scale;
  Gray image;
  image.width = size;
  image.height = size;
  image.pixels.assign(static_cast<std::size_t>(size) * static_cast<std::size_t>(size), 255);
  for (int y = 0; y < matrix.size(); ++y) {
    for (int x = 0; x < matrix.size(); ++x) {
      if (!matrix.dark(x, y)) continue;
      for (int dy = 0; dy < scale; ++dy) {
        auto* row = image.pixels.data() + static_cast<std::size_t>(offset + y * scale + dy) * static_cast<std::size_t>(size);
        std::memset(row + offset + x * scale, 0, static_cast<std::size_t>(scale));
      }
    }
  }
  return image;
}

Result<std::string> encode_jpeg(const Gray& image, int quality) {
  if (image.width <= 0 || image.height <= 0) return unexpected(ErrorCode::kInvalidArgument, "empty image");
  if (quality < 1 || quality > 100) return unexpected(ErrorCode::kInvalidArgument, "JPEG quality must be 1..100");
  return jpeg_compress(image, quality);
}

Result<std::string> encode_jpeg(const RgbImage& image, int quality) {
  if (image.width <= 0 || image.height <= 0) return unexpected(ErrorCode::kInvalidArgument, "empty image");
  if (quality < 1 || quality > 100) return unexpected(ErrorCode::kInvalidArgument, "JPEG quality must be 1..100");
  return jpeg_compress(image, quality);
}

Result<std::string> encode_png(const Gray& image) { return png_compress(image); }

Result<std::string> encode_png(const RgbImage& image) { return png_compress(image); }

namespace {

struct ImageSlots {
  std::mutex mu;
  std::condition_variable freed;
  int slots = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  int taken = 0;
  std::chrono::milliseconds wait{2'000};
};
ImageSlots& image_slots() {
  static ImageSlots s;
  return s;
}
thread_local int held_here = 0;

}  // namespace

ImageWork::ImageWork() {
  if (held_here > 0) {
    nested_ = true;
    return;
  }
  ImageSlots& s = image_slots();
  std::unique_lock lock(s.mu);
  held_ = s.freed.wait_for(lock, s.wait, [&s] { return s.taken < s.slots; });
  if (held_) {
    ++s.taken;
    ++held_here;
  }
}

ImageWork::~ImageWork() {
  if (!held_) return;
  --held_here;
  ImageSlots& s = image_slots();
  {
    std::lock_guard lock(s.mu);
    --s.taken;
  }
  s.freed.notify_one();
}

Error ImageWork::error() const {
  ImageSlots& s = image_slots();
  std::lock_guard lock(s.mu);
  return Error{ErrorCode::kResourceExhausted,
               fmt::format("{} images are being processed already: retry in a moment", s.slots)};
}

void ImageWork::configure(int slots, std::chrono::milliseconds wait) {
  ImageSlots& s = image_slots();
  std::lock_guard lock(s.mu);
  s.slots = std::max(1, slots);
  s.wait = wait;
}

Result<Gray> decode_image(std::string_view bytes) { return decode_any<Gray>(bytes, Rgb{}, kMaxImageSide); }

Result<RgbImage> decode_image_rgb(std::string_view bytes, Rgb matte, std::int64_t max_side) {
  return decode_any<RgbImage>(bytes, matte, max_side);
}

Result<std::vector<std::string>> scan(const Gray& image) {
  const ImageWork work;
  if (!work.held()) return work.error();
  if (image.width <= 0 || image.height <= 0) return unexpected(ErrorCode::kInvalidArgument, "empty image");
  std::unique_ptr<zbar::zbar_image_scanner_t, decltype(&zbar::zbar_image_scanner_destroy)> scanner(
      zbar::zbar_image_scanner_create(), &zbar::zbar_image_scanner_destroy);
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_ENABLE, 1);
  // ZBar's binary mode keeps the bytes as they are (no guessing of a text encoding).
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_BINARY, 1);
  std::unique_ptr<zbar::zbar_image_t, decltype(&zbar::zbar_image_destroy)> zimage(zbar::zbar_image_create(),
                                                                                  &zbar::zbar_image_destroy);
  zbar::zbar_image_set_format(zimage.get(), kY800);
  zbar::zbar_image_set_size(zimage.get(), static_cast<unsigned>(image.width), static_cast<unsigned>(image.height));
  zbar::zbar_image_set_data(zimage.get(), image.pixels.data(), image.pixels.size(), nullptr);
  if (zbar::zbar_scan_image(scanner.get(), zimage.get()) <= 0) {
    return unexpected(ErrorCode::kNotFound, "no QR code found in the image");
  }
  std::vector<std::string> texts;
  for (auto* sym = zbar::zbar_image_first_symbol(zimage.get()); sym != nullptr; sym = zbar::zbar_symbol_next(sym)) {
    texts.emplace_back(zbar::zbar_symbol_get_data(sym), zbar::zbar_symbol_get_data_length(sym));
  }
  return texts;
}

}  // namespace qrscene::qr
