#include "service/campaign_poster.h"

#include <algorithm>

#include "base/strings.h"
#include "wechat/api_client.h"
#include "domain/ingest.h"

namespace qrscene::service {

std::int64_t code_lifetime_seconds(const domain::Campaign& c, std::int64_t now) noexcept {
  constexpr std::int64_t kDay = 86'400;
  if (c.ends_at >= now + wechat::kMaxExpireSeconds) return wechat::kMaxExpireSeconds;
  return std::clamp<std::int64_t>(c.ends_at + kDay - now, 60, wechat::kMaxExpireSeconds);
}

qr::PosterSpec poster_spec(const domain::Campaign& c, std::string background, std::string url,
                           std::int64_t code_expires_at, std::int64_t utc_offset_seconds) {
  qr::PosterSpec spec;
  spec.background = std::move(background);
  if (spec.background.empty()) {
    spec.width = c.poster.width;
    spec.height = c.poster.height;
  }
  spec.background_color = c.poster.background_color;
  spec.qr.content = std::move(url);
  spec.qr.x = c.poster.qr_x;
  spec.qr.y = c.poster.qr_y;
  spec.qr.size = c.poster.qr_size;
  // The code's last whole second falls on this day.
  const std::string expires =
      code_expires_at > 0 ? format_iso_date(domain::local_day(code_expires_at - 1, utc_offset_seconds)) : "";
  for (const auto& line : c.poster.lines) {
    qr::PosterText t;
    t.text = fill_placeholders(line.text, {{"expires", expires}, {"campaign", c.name}});
    t.x = line.x;
    t.y = line.y;
    t.size = line.size;
    t.color = line.color;
    t.bold = line.bold;
    t.align = line.align == "center" ? qr::TextAlign::kCenter
              : line.align == "right" ? qr::TextAlign::kRight
                                      : qr::TextAlign::kLeft;
    t.max_width = line.max_width;
    spec.texts.push_back(std::move(t));
  }
  spec.format = c.poster.format == "png" ? qr::PosterFormat::kPng : qr::PosterFormat::kJpeg;
  return spec;
}

}  // namespace qrscene::service
