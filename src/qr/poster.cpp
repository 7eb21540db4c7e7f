#include "qr/poster.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "base/strings.h"
#include "qr/qr_render.h"

namespace qrscene::qr {
namespace {

constexpr std::string_view kFontPackage = "fonts-noto-cjk";
constexpr std::string_view kDefaultFontDir = "/usr/share/fonts/opentype/noto/";
constexpr std::array<std::string_view, 2> kDefaultFontFile = {"NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"};

std::string text_field(std::size_t i, std::string_view name) { return fmt::format("texts[{}].{}", i, name); }

// Collects a phase's problems so that a caller hears of all of them at once.
struct Problems {
  std::vector<FieldError> list;
  void add(std::string field, std::string message, std::string code, ProblemParams params = {}) {
    list.push_back(FieldError{std::move(field), std::move(message), std::move(code), std::move(params)});
  }
  [[nodiscard]] Status status() {
    if (list.empty()) return {};
    std::vector<FieldError> found;
    found.swap(list);
    return field_errors(std::move(found));
  }
};

std::optional<Rgb> color(Problems& problems, const std::string& field, std::string_view text) {
  auto c = parse_color(text);
  if (!c) {
    problems.add(field, fmt::format("'{}' is not a colour: write it as #RRGGBB, e.g. #1a7f37", text), "not_color");
    return std::nullopt;
  }
  return *c;
}

void check_range(Problems& problems, const std::string& field, int value, int low, int high) {
  if (value < low || value > high) {
    problems.add(field, fmt::format("must be {}..{}, got {}", low, high, value), "out_of_range",
                 {{"min", std::to_string(low)}, {"max", std::to_string(high)}});
  }
}

// Code points of text that first_invalid_utf8 found well-formed.
std::u32string code_points(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1FU) : n == 3 ? (b & 0x0FU) : (b & 0x07U);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3FU);
    out.push_back(cp);
    i += static_cast<std::size_t>(n);
  }
  return out;
}

// ---- FreeType ------------------------------------------------------------------------------

struct LibraryDone {
  void operator()(FT_Library lib) const { FT_Done_FreeType(lib); }
};
struct FaceDone {
  void operator()(FT_Face face) const { FT_Done_Face(face); }
};
using Library = std::unique_ptr<std::remove_pointer_t<FT_Library>, LibraryDone>;
using Face = std::unique_ptr<std::remove_pointer_t<FT_Face>, FaceDone>;

// Which face of a collection to use, by path and style: looked up once per process (opening the
// ten faces of a Noto .ttc to read their names costs more than drawing a poster's text).
struct FaceIndexCache {
  std::mutex mu;
  std::map<std::pair<std::string, bool>, FT_Long> index;
};
FaceIndexCache& face_index_cache() {
  static FaceIndexCache c;
  return c;
}

// How well a face suits: a Simplified Chinese family first ("Noto Sans CJK SC"), then a
// proportional one over "… Mono …", then the wanted style.
int face_score(FT_Face face, bool bold) {
  const std::string_view family = face->family_name != nullptr ? face->family_name : "";
  const std::string_view style = face->style_name != nullptr ? face->style_name : "";
  int score = 0;
  if (family.ends_with(" SC") || family.find(" SC ") != std::string_view::npos) score += 4;
  if (family.find("Mono") == std::string_view::npos) score += 2;
  if (iequals(style, bold ? "Bold" : "Regular")) score += 1;
  return score;
}

Result<FT_Long> choose_face(FT_Library lib, const std::string& path, bool bold) {
  FaceIndexCache& cache = face_index_cache();
  {
    std::lock_guard lock(cache.mu);
    if (auto it = cache.index.find({path, bold}); it != cache.index.end()) return it->second;
  }
  FT_Face probe = nullptr;
  if (FT_New_Face(lib, path.c_str(), -1, &probe) != 0) {
    return unexpected(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a font FreeType can read", path));
  }
  const FT_Long faces = probe->num_faces;
  FT_Done_Face(probe);
  FT_Long best = 0;
  int best_score = -1;
  bool any_sc = false;
  for (FT_Long i = 0; i < faces; ++i) {
    FT_Face f = nullptr;
    if (FT_New_Face(lib, path.c_str(), i, &f) != 0) continue;
    const Face face(f);
    const int score = face_score(f, bold);
    any_sc = any_sc || score >= 4;
    if (score > best_score) {
      best = i;
      best_score = score;
    }
  }
  if (!any_sc) best = 0;  // not a CJK collection: its first face
  std::lock_guard lock(cache.mu);
  cache.index[{path, bold}] = best;
  return best;
}

// A font for the lines that need it: the path the spec gives, or the default one.
Result<Face> open_font(FT_Library lib, const std::string& given, bool bold) {
  const std::string field = bold ? "bold_font_path" : "font_path";
  std::string path = given;
  if (path.empty()) {
    path = default_poster_font(bold);
    if (path.empty()) {
      return unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("no font for the poster's text: {}{} is missing (install the Debian package {}, "
                                    "or give {} the path of a CJK font)",
                                    kDefaultFontDir, kDefaultFontFile[bold ? 1 : 0], kFontPackage, field));
    }
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return field_error(field,
                       fmt::format("the font file {} does not exist (install the Debian package {}, or give the path "
                                   "of a CJK font)",
                                   path, kFontPackage),
                       "font_missing", {{"path", path}, {"package", std::string(kFontPackage)}});
  }
  auto index = choose_face(lib, path, bold);
  if (!index) return field_error(field, index.error().message, "not_font", {{"path", path}});
  FT_Face face = nullptr;
  if (FT_New_Face(lib, path.c_str(), *index, &face) != 0) {
    return field_error(field, fmt::format("'{}' is not a font FreeType can read", path), "not_font", {{"path", path}});
  }
  return Face(face);
}

// A line laid out at one size: each glyph's index and pen position (26.6 pixels, from the
// anchor's left edge), the advance width and the face's ascender and descender (whole pixels).
struct Layout {
  int size = 0;
  std::vector<std::pair<FT_UInt, FT_Pos>> glyphs;
  int width = 0;
  int ascender = 0;
  int descender = 0;  // below the baseline, positive
};

constexpr FT_Int32 kLoadFlags = FT_LOAD_TARGET_LIGHT | FT_LOAD_NO_BITMAP;

Result<Layout> lay_out(FT_Face face, const std::u32string& text, int size) {
  if (FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(size)) != 0) {
    return unexpected(ErrorCode::kInternal, fmt::format("the font cannot be set to {} px", size));
  }
  Layout layout;
  layout.size = size;
  FT_Pos pen = 0;
  FT_UInt previous = 0;
  const bool kerning = FT_HAS_KERNING(face);
  for (const char32_t cp : text) {
    const FT_UInt glyph = FT_Get_Char_Index(face, cp);
    if (glyph == 0) continue;  // not in the font: left out
    if (kerning && previous != 0) {
      FT_Vector delta{};
      if (FT_Get_Kerning(face, previous, glyph, FT_KERNING_DEFAULT, &delta) == 0) pen += delta.x;
    }
    if (FT_Load_Glyph(face, glyph, kLoadFlags) != 0) continue;
    layout.glyphs.emplace_back(glyph, pen);
    pen += face->glyph->advance.x;
    previous = glyph;
  }
  layout.width = static_cast<int>((pen + 63) >> 6);
  layout.ascender = static_cast<int>((face->size->metrics.ascender + 63) >> 6);
  layout.descender = static_cast<int>((-face->size->metrics.descender + 63) >> 6);
  return layout;
}

// coverage 0..255 of `colour` over the pixel.
inline void blend(std::uint8_t* px, const Rgb& colour, unsigned coverage) {
  const unsigned rest = 255 - coverage;
  px[0] = static_cast<std::uint8_t>((colour.r * coverage + px[0] * rest + 127) / 255);
  px[1] = static_cast<std::uint8_t>((colour.g * coverage + px[1] * rest + 127) / 255);
  px[2] = static_cast<std::uint8_t>((colour.b * coverage + px[2] * rest + 127) / 255);
}

void draw_line(RgbImage& canvas, FT_Face face, const Layout& layout, int left, int baseline, const Rgb& colour) {
  FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(layout.size));
  for (const auto& [glyph, pen] : layout.glyphs) {
    if (FT_Load_Glyph(face, glyph, kLoadFlags | FT_LOAD_RENDER) != 0) continue;
    const FT_GlyphSlot slot = face->glyph;
    const FT_Bitmap& bitmap = slot->bitmap;
    const bool mono = bitmap.pixel_mode == FT_PIXEL_MODE_MONO;
    if (!mono && bitmap.pixel_mode != FT_PIXEL_MODE_GRAY) continue;
    const int x0 = left + static_cast<int>((pen + 32) >> 6) + slot->bitmap_left;
    const int y0 = baseline - slot->bitmap_top;
    for (int row = 0; row < static_cast<int>(bitmap.rows); ++row) {
      const int y = y0 + row;
      if (y < 0 || y >= canvas.height) continue;
      const unsigned char* src = bitmap.buffer + static_cast<std::ptrdiff_t>(row) * bitmap.pitch;
      std::uint8_t* dst = canvas.pixels.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(canvas.width) * 3;
      for (int col = 0; col < static_cast<int>(bitmap.width); ++col) {
        const int x = x0 + col;
        if (x < 0 || x >= canvas.width) continue;
        const unsigned coverage = mono ? (((src[col / 8] >> (7 - col % 8)) & 1U) != 0U ? 255U : 0U) : src[col];
        if (coverage != 0) blend(dst + static_cast<std::size_t>(x) * 3, colour, coverage);
      }
    }
  }
}

// ---- the poster ----------------------------------------------------------------------------

struct Line {
  std::u32string text;
  Rgb colour;
};

Result<RgbImage> compose(const PosterSpec& spec) {
  // 1. What can be checked without the background or a font.
  Problems problems;
  const auto background_colour = color(problems, "background_color", spec.background_color);
  const auto dark = color(problems, "qr.dark", spec.qr.dark);
  const auto light = color(problems, "qr.light", spec.qr.light);
  if (dark && light && !scannable_contrast(*dark, *light)) {
    problems.add("qr.light",
                 fmt::format("{} on {} is too close for scanners: use a dark colour on a light one", spec.qr.dark,
                             spec.qr.light),
                 "low_contrast");
  }
  if (spec.qr.content.empty()) problems.add("qr.content", "required", "required");
  check_range(problems, "qr.margin", spec.qr.margin, 0, QrStyle::kMaxMargin);
  if (spec.texts.size() > PosterSpec::kMaxTexts) {
    problems.add("texts", fmt::format("at most {} lines, got {}", PosterSpec::kMaxTexts, spec.texts.size()),
                 "too_long", {{"max", std::to_string(PosterSpec::kMaxTexts)}});
  }
  std::vector<Line> lines(spec.texts.size());
  for (std::size_t i = 0; i < spec.texts.size(); ++i) {
    const PosterText& t = spec.texts[i];
    if (auto c = color(problems, text_field(i, "color"), t.color)) lines[i].colour = *c;
    check_range(problems, text_field(i, "size"), t.size, PosterText::kMinSize, PosterText::kMaxSize);
    check_range(problems, text_field(i, "max_width"), t.max_width, 0, PosterSpec::kMaxSide);
    if (const auto bad = first_invalid_utf8(t.text); bad != std::string::npos) {
      problems.add(text_field(i, "text"), fmt::format("not UTF-8 (or a NUL) at byte {}", bad), "not_utf8",
                   {{"offset", std::to_string(bad)}});
      continue;
    }
    lines[i].text = code_points(t.text);
    if (std::any_of(lines[i].text.begin(), lines[i].text.end(),
                    [](char32_t c) { return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x2028 || c == 0x2029; })) {
      problems.add(text_field(i, "text"), "one line of text: no line breaks, tabs or other control characters",
                   "control_character");
    }
    if (lines[i].text.size() > PosterText::kMaxLength) {
      problems.add(text_field(i, "text"),
                   fmt::format("at most {} characters, got {}", PosterText::kMaxLength, lines[i].text.size()),
                   "too_long", {{"max", std::to_string(PosterText::kMaxLength)}});
    }
  }
  QRSCENE_TRY(problems.status());

  // 2. The canvas.
  RgbImage canvas;
  if (spec.background.empty()) {
    if (spec.width == 0 && spec.height == 0) {
      return field_error("background", "give a PNG or JPEG background, or width and height for a plain one",
                         "required");
    }
    check_range(problems, "width", spec.width, 1, PosterSpec::kMaxSide);
    check_range(problems, "height", spec.height, 1, PosterSpec::kMaxSide);
    QRSCENE_TRY(problems.status());
    canvas.width = spec.width;
    canvas.height = spec.height;
    canvas.pixels.resize(static_cast<std::size_t>(spec.width) * static_cast<std::size_t>(spec.height) * 3);
    for (std::size_t p = 0; p < canvas.pixels.size(); p += 3) {
      canvas.pixels[p] = background_colour->r;
      canvas.pixels[p + 1] = background_colour->g;
      canvas.pixels[p + 2] = background_colour->b;
    }
  } else {
    auto decoded = decode_image_rgb(spec.background, *background_colour, PosterSpec::kMaxSide);
    if (!decoded) {
      if (decoded.error().code != ErrorCode::kInvalidArgument) return std::move(decoded).error();
      // check_dimensions' words: the background is bigger than a poster may be.
      const bool too_large = decoded.error().message.find("pixels: at most") != std::string::npos;
      return field_error("background",
                         too_large ? fmt::format("{} (a poster is at most {}×{})", decoded.error().message,
                                                 PosterSpec::kMaxSide, PosterSpec::kMaxSide)
                                   : decoded.error().message + " (give a PNG or JPEG)",
                         too_large ? "too_large" : "not_image",
                         too_large ? ProblemParams{{"max", std::to_string(PosterSpec::kMaxSide)}} : ProblemParams{});
    }
    canvas = std::move(*decoded);
    if ((spec.width != 0 && spec.width != canvas.width) || (spec.height != 0 && spec.height != canvas.height)) {
      return worded_field_error({"width", "height"},
                                fmt::format("the background is {}×{}: leave width and height 0, or give its size",
                                            canvas.width, canvas.height),
                                "invalid");
    }
  }

  // 3. The code.
  const PosterQr& q = spec.qr;
  auto matrix = encode(q.content, Ecc::kMedium);
  if (!matrix) return field_error("qr.content", matrix.error().message, "too_long");
  const int modules = matrix->size() + 2 * q.margin;
  const int min_size = modules * PosterQr::kMinModulePixels;
  if (q.size < min_size) {
    return field_error("qr.size",
                       fmt::format("this code needs at least {} pixels ({} modules of {} px) to scan, got {}", min_size,
                                   modules, PosterQr::kMinModulePixels, q.size),
                       "too_small", {{"min", std::to_string(min_size)}});
  }
  auto outside = [&](const char* field, int at, int limit, const char* side) {
    problems.add(field,
                 fmt::format("the code's square ({} {}..{}) must lie within the poster's {} 0..{}", side, at,
                             static_cast<std::int64_t>(at) + q.size, side == std::string_view("x") ? "width" : "height",
                             limit),
                 "outside_image", {{"min", "0"}, {"max", std::to_string(limit - q.size)}});
  };
  if (q.x < 0 || static_cast<std::int64_t>(q.x) + q.size > canvas.width) outside("qr.x", q.x, canvas.width, "x");
  if (q.y < 0 || static_cast<std::int64_t>(q.y) + q.size > canvas.height) outside("qr.y", q.y, canvas.height, "y");
  QRSCENE_TRY(problems.status());
  QRSCENE_ASSIGN_OR_RETURN(const Gray code, rasterize(*matrix, q.size, q.margin));
  for (int y = 0; y < q.size; ++y) {
    const std::uint8_t* src = code.pixels.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(q.size);
    std::uint8_t* dst = canvas.pixels.data() +
                        (static_cast<std::size_t>(q.y + y) * static_cast<std::size_t>(canvas.width) + static_cast<std::size_t>(q.x)) * 3;
    for (int x = 0; x < q.size; ++x, dst += 3) {
      const Rgb& c = src[x] < 128 ? *dark : *light;
      dst[0] = c.r;
      dst[1] = c.g;
      dst[2] = c.b;
    }
  }

  // 4. The text.
  const bool any_text = std::any_of(lines.begin(), lines.end(), [](const Line& l) { return !l.text.empty(); });
  if (any_text) {
    FT_Library raw = nullptr;
    if (FT_Init_FreeType(&raw) != 0) return unexpected(ErrorCode::kInternal, "FreeType could not start");
    const Library library(raw);
    std::array<std::optional<Face>, 2> fonts;  // regular, bold: opened when a line needs them
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].text.empty()) continue;
      const PosterText& t = spec.texts[i];
      std::optional<Face>& font = fonts[t.bold ? 1 : 0];
      if (!font) {
        QRSCENE_ASSIGN_OR_RETURN(auto opened, open_font(library.get(), t.bold ? spec.bold_font_path : spec.font_path, t.bold));
        font = std::move(opened);
      }
      FT_Face face = font->get();
      QRSCENE_ASSIGN_OR_RETURN(Layout layout, lay_out(face, lines[i].text, t.size));
      if (t.max_width > 0 && layout.width > t.max_width) {
        // Shrink: the size that the width says, then down a pixel at a time (hinting is not linear).
        int size = std::max(PosterText::kMinSize, static_cast<int>(static_cast<std::int64_t>(t.size) * t.max_width / layout.width));
        for (;; --size) {
          QRSCENE_ASSIGN_OR_RETURN(layout, lay_out(face, lines[i].text, size));
          if (layout.width <= t.max_width || size == PosterText::kMinSize) break;
        }
        if (layout.width > t.max_width) {
          problems.add(text_field(i, "max_width"),
                       fmt::format("the line is {} px wide even at {} px type: at most {}", layout.width,
                                   PosterText::kMinSize, t.max_width),
                       "does_not_fit", {{"width", std::to_string(layout.width)}});
          continue;
        }
      }
      const std::int64_t anchor = t.x;  // 64 bits: x may be anything a caller sends
      const std::int64_t left = t.align == TextAlign::kLeft     ? anchor
                                : t.align == TextAlign::kCenter ? anchor - layout.width / 2
                                                                : anchor - layout.width;
      const std::int64_t right = left + layout.width;
      const std::int64_t top = static_cast<std::int64_t>(t.y) - layout.ascender;
      const std::int64_t bottom = static_cast<std::int64_t>(t.y) + layout.descender;
      bool placed = true;
      if (left < 0 || right > canvas.width) {
        problems.add(text_field(i, "x"),
                     fmt::format("the line spans x {}..{}: it must lie within the poster's width 0..{}", left, right,
                                 canvas.width),
                     "outside_image", {{"min", "0"}, {"max", std::to_string(canvas.width)}});
        placed = false;
      }
      if (top < 0 || bottom > canvas.height) {
        problems.add(text_field(i, "y"),
                     fmt::format("the line spans y {}..{} (baseline {}, ascender {}, descender {}): it must lie within "
                                 "the poster's height 0..{}",
                                 top, bottom, t.y, layout.ascender, layout.descender, canvas.height),
                     "outside_image", {{"min", "0"}, {"max", std::to_string(canvas.height)}});
        placed = false;
      }
      if (!placed) continue;
      if (left < q.x + q.size && right > q.x && top < q.y + q.size && bottom > q.y) {
        problems.add(fmt::format("texts[{}]", i),
                     fmt::format("the line's box ({},{})–({},{}) overlaps the code's square ({},{})–({},{})", left, top,
                                 right, bottom, q.x, q.y, q.x + q.size, q.y + q.size),
                     "overlaps_qr");
        continue;
      }
      draw_line(canvas, face, layout, static_cast<int>(left), t.y, lines[i].colour);
    }
    QRSCENE_TRY(problems.status());
  }

  // 5. It scans where it stands: the square and a little around it, as a scanner sees it.
  const int pad = std::max(8, q.size / 10);
  const int cx0 = std::max(0, q.x - pad);
  const int cy0 = std::max(0, q.y - pad);
  const int cx1 = std::min(canvas.width, q.x + q.size + pad);
  const int cy1 = std::min(canvas.height, q.y + q.size + pad);
  Gray seen;
  seen.width = cx1 - cx0;
  seen.height = cy1 - cy0;
  seen.pixels.reserve(static_cast<std::size_t>(seen.width) * static_cast<std::size_t>(seen.height));
  for (int y = cy0; y < cy1; ++y) {
    const std::uint8_t* px = canvas.pixels.data() + (static_cast<std::size_t>(y) * static_cast<std::size_t>(canvas.width) + static_cast<std::size_t>(cx0)) * 3;
    for (int x = cx0; x < cx1; ++x, px += 3) {
      seen.pixels.push_back(static_cast<std::uint8_t>((299 * px[0] + 587 * px[1] + 114 * px[2] + 500) / 1000));
    }
  }
  auto texts = scan(seen);
  if (!texts || std::find(texts->begin(), texts->end(), q.content) == texts->end()) {
    if (texts || texts.error().code == ErrorCode::kNotFound) {
      return unexpected(ErrorCode::kFailedPrecondition,
                        "the poster's code does not scan where it stands: give it a larger size or margin, or "
                        "more distinct colours");
    }
    return std::move(texts).error();
  }
  return canvas;
}

}  // namespace

std::string default_poster_font(bool bold) {
  std::string path = fmt::format("{}{}", kDefaultFontDir, kDefaultFontFile[bold ? 1 : 0]);
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) ? path : std::string();
}

Result<std::string> poster_font_face(const std::string& path, bool bold) {
  FT_Library raw = nullptr;
  if (FT_Init_FreeType(&raw) != 0) return unexpected(ErrorCode::kInternal, "FreeType could not start");
  const Library library(raw);
  QRSCENE_ASSIGN_OR_RETURN(const Face face, open_font(library.get(), path, bold));
  return fmt::format("{} {}", face->family_name != nullptr ? face->family_name : "?",
                     face->style_name != nullptr ? face->style_name : "?");
}

Result<RgbImage> compose_poster_image(const PosterSpec& spec) {
  const ImageWork work;  // the whole poster is one piece of image work
  if (!work.held()) return work.error();
  return compose(spec);
}

Result<std::string> compose_poster(const PosterSpec& spec) {
  if (spec.format == PosterFormat::kJpeg && (spec.jpeg_quality < 1 || spec.jpeg_quality > 100)) {
    return field_error("jpeg_quality", fmt::format("must be 1..100, got {}", spec.jpeg_quality), "out_of_range",
                       {{"min", "1"}, {"max", "100"}});
  }
  const ImageWork work;
  if (!work.held()) return work.error();
  QRSCENE_ASSIGN_OR_RETURN(const RgbImage canvas, compose(spec));
  return spec.format == PosterFormat::kJpeg ? encode_jpeg(canvas, spec.jpeg_quality) : encode_png(canvas);
}

}  // namespace qrscene::qr
