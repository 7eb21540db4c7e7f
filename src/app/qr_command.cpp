#include "app/qr_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/admin_client.h"
#include "base/encoding.h"
#include "qr/poster.h"
#include "qr/qr_render.h"

namespace qrscene::app {
namespace {

struct QrArgs {
  Remote remote;
  std::string url, out, format, dark = "#000000", light = "#ffffff", logo;
  std::int64_t channel = 0;
  int size = 430, margin = 4;
};

// Writes an image made offline to `path`: exit 2 for a bad request (the field named), 1 when it
// cannot be made or written.
int write_image(const Result<std::string>& bytes, const std::string& path, const std::string& what) {
  if (!bytes) {
    fmt::print(stderr, "{}\n", bytes.error().message);
    return bytes.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  std::ofstream out(path, std::ios::binary);
  out << *bytes;
  if (!out) {
    fmt::print(stderr, "cannot write {}\n", path);
    return 1;
  }
  fmt::print("wrote {} ({} bytes){}\n", path, bytes->size(), what);
  return 0;
}

int run_qr(QrArgs& a) {
  if (a.out.empty()) {
    fmt::print(stderr, "--out FILE is required\n");
    return 2;
  }
  std::string format = a.format;
  if (format.empty()) format = a.out.ends_with(".svg") ? "svg" : "png";
  if (format != "png" && format != "svg") {
    fmt::print(stderr, "--format must be png or svg\n");
    return 2;
  }
  std::string url = a.url;
  if (a.channel != 0) {  // the channel's url, from the service
    auto api = Api::connect(a.remote);
    if (!api) return 2;
    auto c = api->json("GET", fmt::format("/api/v1/channels/{}", a.channel));
    if (!c) return 1;
    url = (*c)["url"].get<std::string>();
  }
  if (url.empty()) {
    fmt::print(stderr, "give --url (offline) or --channel ID (from the service)\n");
    return 2;
  }
  qr::QrStyle style;
  style.size = a.size;
  style.margin = a.margin;
  auto dark = qr::parse_color(a.dark);
  auto light = qr::parse_color(a.light);
  if (!dark || !light) {
    fmt::print(stderr, "--dark/--light: {}\n", (!dark ? dark.error() : light.error()).message);
    return 2;
  }
  style.dark = *dark;
  style.light = *light;
  if (!a.logo.empty()) {
    auto logo = read_all(a.logo);
    if (!logo) {
      fmt::print(stderr, "--logo: {}\n", logo.error().message);
      return 2;
    }
    style.logo = std::move(*logo);
  }
  return write_image(qr::render(url, style, format == "svg" ? qr::ImageFormat::kSvg : qr::ImageFormat::kPng), a.out,
                     fmt::format(" for {}", url));
}

// Every code a filter of the channel list holds, as one ZIP with index.csv, from the service.
struct BundleArgs {
  Remote remote;
  std::string out, format = "png", group, owner, status, search;
  int size = 430, margin = 4;
};

int run_bundle(const BundleArgs& a) {
  if (!a.out.ends_with(".zip")) {
    fmt::print(stderr, "--out must name a .zip file\n");
    return 2;
  }
  auto api = Api::connect(a.remote);
  if (!api) return 2;
  std::string q = fmt::format("?format={}&size={}&margin={}", percent_encode(a.format), a.size, a.margin);
  for (const auto& [key, value] : {std::pair{"group", &a.group}, std::pair{"owner", &a.owner},
                                   std::pair{"status", &a.status}, std::pair{"q", &a.search}}) {
    if (!value->empty()) q += fmt::format("&{}={}", key, percent_encode(*value));
  }
  return save(*api, "/api/v1/channels/qr.zip" + q, a.out, "zip");
}

// A campaign poster, offline: a background (or a plain canvas), the code and lines of text.
struct PosterArgs {
  std::string background, background_color = "#ffffff", content, out, font, bold_font;
  int width = 0, height = 0, qr_x = 0, qr_y = 0, qr_size = 0, qr_margin = 4, quality = 90;
  std::vector<std::string> texts;
};

// "X,Y,SIZE,#RRGGBB[,bold][,left|center|right][,max=W]:TEXT"
std::optional<qr::PosterText> parse_text(const std::string& arg) {
  const auto colon = arg.find(':');
  if (colon == std::string::npos) return std::nullopt;
  qr::PosterText t;
  t.text = arg.substr(colon + 1);
  std::vector<std::string> parts;
  for (std::size_t at = 0; at <= colon;) {
    const auto comma = std::min(arg.find(',', at), colon);
    parts.push_back(arg.substr(at, comma - at));
    at = comma + 1;
  }
  if (parts.size() < 4) return std::nullopt;
  try {
    t.x = std::stoi(parts[0]);
    t.y = std::stoi(parts[1]);
    t.size = std::stoi(parts[2]);
    t.color = parts[3];
    for (std::size_t i = 4; i < parts.size(); ++i) {
      const std::string& p = parts[i];
      if (p == "bold") t.bold = true;
      else if (p == "left") t.align = qr::TextAlign::kLeft;
      else if (p == "center") t.align = qr::TextAlign::kCenter;
      else if (p == "right") t.align = qr::TextAlign::kRight;
      else if (p.starts_with("max=")) t.max_width = std::stoi(p.substr(4));
      else return std::nullopt;
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return t;
}

int run_poster(const PosterArgs& a) {
  qr::PosterSpec spec;
  if (!a.background.empty()) {
    auto bytes = read_all(a.background);
    if (!bytes) {
      fmt::print(stderr, "--background: {}\n", bytes.error().message);
      return 2;
    }
    spec.background = std::move(*bytes);
  }
  spec.width = a.width;
  spec.height = a.height;
  spec.background_color = a.background_color;
  spec.qr.content = a.content;
  spec.qr.x = a.qr_x;
  spec.qr.y = a.qr_y;
  spec.qr.size = a.qr_size;
  spec.qr.margin = a.qr_margin;
  for (const auto& arg : a.texts) {
    auto t = parse_text(arg);
    if (!t) {
      fmt::print(stderr, "--text '{}': write X,Y,SIZE,#RRGGBB[,bold][,left|center|right][,max=W]:TEXT\n", arg);
      return 2;
    }
    spec.texts.push_back(std::move(*t));
  }
  spec.font_path = a.font;
  spec.bold_font_path = a.bold_font;
  const bool jpeg = a.out.ends_with(".jpg") || a.out.ends_with(".jpeg");
  spec.format = jpeg ? qr::PosterFormat::kJpeg : qr::PosterFormat::kPng;
  spec.jpeg_quality = a.quality;
  return write_image(qr::compose_poster(spec), a.out, "");
}

}  // namespace

void configure_qr_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<QrArgs>();
  command.require_subcommand(1);
  auto* render = command.add_subcommand("render", "draw a QR code as PNG or SVG (offline from --url)");
  add_remote_options(*render, a->remote);
  render->add_option("--url", a->url, "what the code holds (a channel's url)");
  render->add_option("--channel", a->channel, "a channel's id: its url comes from the service");
  render->add_option("--out", a->out, "the file to write (.png or .svg)")->required();
  render->add_option("--format", a->format, "png or svg (default: from --out)");
  render->add_option("--size", a->size, "pixels");
  render->add_option("--margin", a->margin, "light modules around the code");
  render->add_option("--dark", a->dark, "#RRGGBB of the modules");
  render->add_option("--light", a->light, "#RRGGBB of the background");
  render->add_option("--logo", a->logo, "a PNG or JPEG drawn in the middle (error correction raised)");
  render->callback([a, &run] { run = [a] { return run_qr(*a); }; });
  auto p = std::make_shared<PosterArgs>();
  auto* poster = command.add_subcommand("poster", "compose a campaign poster offline: a background, the code, lines of text");
  poster->add_option("--background", p->background, "a PNG or JPEG (else --width, --height and --background-color)");
  poster->add_option("--width", p->width, "pixels of a plain canvas");
  poster->add_option("--height", p->height, "pixels of a plain canvas");
  poster->add_option("--background-color", p->background_color, "#RRGGBB of a plain canvas (and under transparency)");
  poster->add_option("--content", p->content, "what the code holds (the participant's URL)")->required();
  poster->add_option("--qr-x", p->qr_x, "the code's left edge")->required();
  poster->add_option("--qr-y", p->qr_y, "the code's top edge")->required();
  poster->add_option("--qr-size", p->qr_size, "the code's side in pixels, quiet zone included")->required();
  poster->add_option("--qr-margin", p->qr_margin, "light modules around the code")->capture_default_str();
  poster->add_option("--text", p->texts, "X,Y,SIZE,#RRGGBB[,bold][,left|center|right][,max=W]:TEXT (Y is the baseline; repeatable)");
  poster->add_option("--font", p->font, "a CJK font file (default: fonts-noto-cjk's NotoSansCJK-Regular.ttc)");
  poster->add_option("--bold-font", p->bold_font, "the bold one (default: NotoSansCJK-Bold.ttc)");
  poster->add_option("--quality", p->quality, "JPEG quality 1..100")->capture_default_str();
  poster->add_option("--out", p->out, "the file to write (.png, or .jpg for JPEG)")->required();
  poster->callback([p, &run] { run = [p] { return run_poster(*p); }; });
  auto b = std::make_shared<BundleArgs>();
  auto* bundle = command.add_subcommand("bundle", "every code of the channels a filter picks, as one ZIP with index.csv");
  add_remote_options(*bundle, b->remote);
  bundle->add_option("--out", b->out, "the .zip file to write")->required();
  bundle->add_option("--format", b->format, "png or svg")->check(CLI::IsMember({"png", "svg"}))->capture_default_str();
  bundle->add_option("--size", b->size, "pixels")->capture_default_str();
  bundle->add_option("--margin", b->margin, "light modules around each code")->capture_default_str();
  bundle->add_option("--group", b->group, "only this group's channels");
  bundle->add_option("--owner", b->owner, "only this owner's channels");
  bundle->add_option("--status", b->status, "active, paused, expired or retired (retired codes only when asked)");
  bundle->add_option("--search", b->search, "a part of the name, scene, owner or group");
  bundle->callback([b, &run] { run = [b] { return run_bundle(*b); }; });
}

}  // namespace qrscene::app
