// QR codes: text → module matrix → grey raster → JPEG / PNG, and back (image → decoded texts).
//
// encode() uses Nayuki's qrcodegen (the library WeChat-independent tools use); rasterize() draws
// whole pixels per module with a quiet zone, centred in a square of the requested size, as
// WeChat's showqrcode does (430×430). encode_jpeg()/encode_png() use libjpeg-turbo and libpng,
// decode_image() reads either back, and scan() finds every QR code in a raster with ZBar — the
// simulator uses it so that a virtual user can "scan" an image file, proving the code scans.
//
// Errors: kInvalidArgument for text that does not fit a QR code (over 2,953 bytes at ECC low),
// bad sizes, or bytes that are not a JPEG or PNG image; kNotFound when scan() finds no code.
// Thread safety: all functions are reentrant.
#pragma once

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

[[nodiscard]] Result<Matrix> encode(std::string_view text, Ecc ecc = Ecc::kMedium);

// Draws `matrix` with `margin` light modules around it, each module a whole number of pixels,
// centred in a `size`×`size` image. kInvalidArgument when the code does not fit at 1 px/module.
[[nodiscard]] Result<Gray> rasterize(const Matrix& matrix, int size, int margin = 4);

[[nodiscard]] Result<std::string> encode_jpeg(const Gray& image, int quality = 90);
[[nodiscard]] Result<std::string> encode_png(const Gray& image);

// Reads a JPEG or PNG (told apart by their signatures) into grey.
[[nodiscard]] Result<Gray> decode_image(std::string_view bytes);

// The texts of every QR code ZBar finds in the image, in its order.
[[nodiscard]] Result<std::vector<std::string>> scan(const Gray& image);

}  // namespace qrscene::qr
