// QR codes: text → module matrix → grey raster → JPEG / PNG, and back (image → decoded texts).
// Colour images (RgbImage: a poster's background and the poster itself) are read and written by
// the same code with three components a pixel.
//
// encode() uses Nayuki's qrcodegen (the library WeChat-independent tools use); rasterize() draws
// whole pixels per module with a quiet zone, centred in a square of the requested size, as
// WeChat's showqrcode does (430×430). encode_jpeg()/encode_png() use libjpeg-turbo and libpng,
// decode_image() reads either back, and scan() finds every QR code in a raster with ZBar — the
// simulator uses it so that a virtual user can "scan" an image file, proving the code scans.
//
// Images from outside (a logo, a scan uploaded to the simulator) are checked before anything is
// allocated for them: kMaxImagePixels and kMaxImageSide, read from the header (a 235-byte PNG
// once made the server allocate 1.6 GB). Image work is bounded too: at most ImageWork's slots run at
// once, and a call that cannot get one within its wait is refused (kResourceExhausted).
//
// Errors: kInvalidArgument for text that does not fit a QR code (over 2,953 bytes at ECC low),
// bad sizes, or bytes that are not a JPEG or PNG image or one over the limits; kResourceExhausted
// when the image slots stay taken; kNotFound when scan() finds no code.
// Thread safety: all functions are reentrant.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace qrscene::qr {

enum class Ecc { kLow, kMedium, kQuartile, kHigh };

class Matrix {
 public:
  Matrix(int size, std::vector<std::uint8_t> modules) : size_(size), modules_(std::move(modules)) {}
  [[nodiscard]] int size() const noexcept { return size_; }
  [[nodiscard]] bool dark(int x, int y) const noexcept {
    return modules_[static_cast<std::size_t>(y) * static_cast<std::size_t>(size_) + static_cast<std::size_t>(x)] != 0;
  }

 private:
  int size_;
  std::vector<std::uint8_t> modules_;  // row-major, 1 = dark
};

// An 8-bit grey image, row-major, 0 = black.
struct Gray {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

// An 8-bit sRGB image, row-major, 3 bytes a pixel (r, g, b).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};

[[nodiscard]] Result<Matrix> encode(std::string_view text, Ecc ecc = Ecc::kMedium);

// Draws `matrix` with `margin` light modules around it, each module a whole number of pixels,
// centred in a `size`×`size` image. kInvalidArgument when the code does not fit at 1 px/module.
[[nodiscard]] Result<Gray> rasterize(const Matrix& matrix, int size, int margin = 4);

[[nodiscard]] Result<std::string> encode_jpeg(const Gray& image, int quality = 90);
[[nodiscard]] Result<std::string> encode_png(const Gray& image);
[[nodiscard]] Result<std::string> encode_jpeg(const RgbImage& image, int quality = 90);
[[nodiscard]] Result<std::string> encode_png(const RgbImage& image);

inline constexpr std::int64_t kMaxImagePixels = 24'000'000;  // a 24 MP photo of a poster; 24 MB in grey
inline constexpr std::int64_t kMaxImageSide = 12'000;

// A slot for image work (decoding, drawing a styled code), held for the scope. A thread that holds
// one already is not made to wait for a second.
class ImageWork {
 public:
  ImageWork();
  ~ImageWork();
  ImageWork(const ImageWork&) = delete;
  ImageWork& operator=(const ImageWork&) = delete;
  // Whether a slot was had (within the wait); when not, error() says why.
  [[nodiscard]] bool held() const noexcept { return held_ || nested_; }
  [[nodiscard]] Error error() const;

  // How many slots (default: the machine's cores, at least 2) and how long a call waits (2 s).
  // For start-up and tests; not while image work runs.
  static void configure(int slots, std::chrono::milliseconds wait);

 private:
  bool held_ = false;
  bool nested_ = false;
};

// Reads a JPEG or PNG (told apart by their signatures) into grey, within the limits above.
[[nodiscard]] Result<Gray> decode_image(std::string_view bytes);
// The same in colour. A PNG's transparent pixels are composed onto `matte`; `max_side` may lower
// kMaxImageSide (checked from the header, before the pixels are allocated).
[[nodiscard]] Result<RgbImage> decode_image_rgb(std::string_view bytes, Rgb matte = Rgb{255, 255, 255},
                                                std::int64_t max_side = kMaxImageSide);

// The texts of every QR code ZBar finds in the image, in its order.
[[nodiscard]] Result<std::vector<std::string>> scan(const Gray& image);

}  // namespace qrscene::qr
