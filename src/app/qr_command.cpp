#include "app/qr_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "app/admin_client.h"
#include "base/encoding.h"
#include "qr/qr_render.h"

namespace qrscene::app {
namespace {

struct QrArgs {
  Remote remote;
  std::string url, out, format, dark = "#000000", light = "#ffffff", logo;
  std::int64_t channel = 0;
  int size = 430, margin = 4;
};

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
  auto bytes = qr::render(url, style, format == "svg" ? qr::ImageFormat::kSvg : qr::ImageFormat::kPng);
  if (!bytes) {
    fmt::print(stderr, "{}\n", bytes.error().message);
    return bytes.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  std::ofstream out(a.out, std::ios::binary);
  out << *bytes;
  if (!out) {
    fmt::print(stderr, "cannot write {}\n", a.out);
    return 1;
  }
  fmt::print("wrote {} ({} bytes) for {}\n", a.out, bytes->size(), url);
  return 0;
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
