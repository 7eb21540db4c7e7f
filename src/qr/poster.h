// Posters for fission campaigns (任务宝): a background image with a participant's own QR code on
// it and lines of text ("扫码关注，助我领取奖品", "有效期至 2026-12-31"), composed in RGB memory and
// returned as one PNG or JPEG.
//
// Geometry is in the poster's pixels, origin top-left, x to the right and y down.
//  - The code fills the square (qr.x, qr.y)–(qr.x + qr.size, qr.y + qr.size) as render() draws
//    it: whole pixels per module, `margin` light modules of quiet zone, centred, the rest of the
//    square light. It must lie inside the poster and give each module at least
//    PosterQr::kMinModulePixels pixels. The composed poster is scanned again around the code
//    (ZBar) before it is returned: what we hand out scans.
//  - A text line is anchored at (x, y): y is its BASELINE; x is its left edge, its centre or its
//    right edge by `align`. A line never wraps: one wider than `max_width` is SHRUNK (drawn at the
//    largest font size that fits, down to PosterText::kMinSize). The line's box — its advance
//    width by the font's ascender above the baseline and descender below — must lie inside the
//    poster and must not overlap the code's square.
//  - Text is drawn with FreeType from a CJK font, anti-aliased, each glyph's coverage blended onto
//    what is under it. In a .ttc collection the Simplified Chinese face is chosen by its family
//    name ("… SC", not a Mono one, the wanted style Regular or Bold), face 0 when none is SC.
//    Kerning comes from the font's 'kern' table when it has one (Noto CJK has none). Characters
//    the font lacks (an emoji in a nickname) are left out rather than drawn as boxes.
//  - Placeholders ({nickname}, {expires}) are the caller's to fill before.
//
// Errors: kInvalidArgument naming the field in Error::fields ("background", "width", "qr.x",
// "qr.size", "texts[1].color", "texts[0].max_width", "font_path", ...): a colour that is not
// #RRGGBB (not_color), too little contrast (low_contrast), no background and no size (required),
// a background that is not a PNG or JPEG (not_image), a canvas over kMaxSide (too_large), a number
// out of range (out_of_range), a code or a line outside the poster (outside_image), a code too
// small to scan (too_small), a line over the code (overlaps_qr), a line that does not fit its
// max_width even at kMinSize (does_not_fit), text that is not UTF-8 or holds control characters
// (not_utf8, control_character), more than kMaxLength characters, kMaxTexts lines or what a QR
// code holds (too_long), a font file that is missing or unreadable (font_missing, not_font).
// kFailedPrecondition when no font is given and the default one (Debian's fonts-noto-cjk) is not
// installed, or when the composed code does not scan; kResourceExhausted when the image slots stay
// taken (ImageWork).
// Thread safety: reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "qr/qr_code.h"

namespace qrscene::qr {

enum class TextAlign : std::uint8_t { kLeft, kCenter, kRight };

struct PosterText {
  std::string text;               // UTF-8, one line (no control characters); "" draws nothing
  int x = 0;                      // the left edge, the centre or the right edge, by `align`
  int y = 0;                      // the baseline
  int size = 32;                  // font size (the em) in pixels
  std::string color = "#000000";  // #RRGGBB
  bool bold = false;              // from PosterSpec::bold_font_path
  TextAlign align = TextAlign::kLeft;
  int max_width = 0;              // > 0: a wider line is drawn at a smaller size to fit (never wrapped)
  static constexpr int kMinSize = 8, kMaxSize = 512;
  static constexpr std::size_t kMaxLength = 200;  // code points
};

struct PosterQr {
  std::string content;  // what the code holds (the participant's URL)
  int x = 0;            // the square's top-left corner
  int y = 0;
  int size = 0;         // the square's side in pixels, quiet zone included
  int margin = 4;       // light modules around the code, 0..QrStyle::kMaxMargin
  std::string dark = "#000000";
  std::string light = "#ffffff";
  // render() needs only a whole pixel a module; a poster is shared, recompressed and scanned from
  // another screen, so it asks for three.
  static constexpr int kMinModulePixels = 3;
};

enum class PosterFormat : std::uint8_t { kPng, kJpeg };

struct PosterSpec {
  std::string background;                    // PNG or JPEG bytes; "" = a plain canvas
  int width = 0;                             // the plain canvas; with a background 0 (or its own size)
  int height = 0;
  std::string background_color = "#ffffff";  // the plain canvas, and under a transparent PNG
  PosterQr qr;
  std::vector<PosterText> texts;
  std::string font_path;       // "" = default_poster_font(false), found at run time
  std::string bold_font_path;  // "" = default_poster_font(true); needed only by bold lines
  PosterFormat format = PosterFormat::kPng;
  int jpeg_quality = 90;       // 1..100
  static constexpr int kMaxSide = 4096;  // the poster's width and height at most
  static constexpr std::size_t kMaxTexts = 32;
};

// The poster as PNG or JPEG bytes (spec.format).
[[nodiscard]] Result<std::string> compose_poster(const PosterSpec& spec);

// The same before encoding: the composed pixels (spec.format and jpeg_quality are not used).
[[nodiscard]] Result<RgbImage> compose_poster_image(const PosterSpec& spec);

// The font a spec that names none uses: Debian's fonts-noto-cjk (NotoSansCJK-Regular.ttc or
// -Bold.ttc) where it is installed; "" when it is not.
[[nodiscard]] std::string default_poster_font(bool bold);

// The face drawn from the font file at `path` ("" = the default) for regular or bold lines, as
// "<family> <style>" ("Noto Sans CJK SC Bold"): for logs, the CLI and tests. Errors as above.
[[nodiscard]] Result<std::string> poster_font_face(const std::string& path, bool bold);

}  // namespace qrscene::qr
