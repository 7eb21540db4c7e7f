// QR images for people: PNG or SVG of a url with a size, a quiet-zone margin, colours and an
// optional logo in the middle. With a logo the error-correction level is raised to High (30% of
// the code may be hidden), and every styled image (a logo or colours other than black on white)
// is decoded again with ZBar before it is returned: what we hand out scans, or the caller hears
// why not.
//
// Errors: kInvalidArgument naming the option (a size or margin out of range, a colour not
// #RRGGBB, too little contrast, a logo that is not a PNG or JPEG); kFailedPrecondition when the
// styled result does not decode.
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "qr/qr_code.h"

namespace qrscene::qr {

// "#1a2b3c" or "1a2b3c".
[[nodiscard]] Result<Rgb> parse_color(std::string_view text);

// Whether scanners tell `dark` from `light`: their luminances at least 100 apart (what render()
// requires of a styled code, and the poster of its code).
[[nodiscard]] bool scannable_contrast(const Rgb& dark, const Rgb& light) noexcept;

enum class ImageFormat : std::uint8_t { kPng, kSvg };

struct QrStyle {
  int size = 430;  // pixels (the SVG's width and height)
  int margin = 4;  // light modules around the code (4 is the standard's quiet zone)
  Rgb dark{0, 0, 0};
  Rgb light{255, 255, 255};
  std::string logo;  // PNG or JPEG bytes, drawn in the centre ("" = none)
  static constexpr int kMinSize = 64, kMaxSize = 4096, kMaxMargin = 16;
};

[[nodiscard]] Result<std::string> render(std::string_view text, const QrStyle& style, ImageFormat format);

}  // namespace qrscene::qr
