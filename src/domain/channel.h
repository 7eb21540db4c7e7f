// Channel: one QR code a marketer hands out (a store, a poster, a promoter, an ad), the scene and
// ticket WeChat knows it by, and how its followers are greeted and tagged (DESIGN.md section 1.3).
#pragma once

#include <cstdint>
#include <string>

#include "domain/ingest.h"

namespace qrscene::domain {

enum class ChannelKind : std::uint8_t { kTemporary, kPermanent };
enum class ChannelStatus : std::uint8_t { kActive, kPaused, kExpired, kRetired };

[[nodiscard]] std::string_view to_string(ChannelKind kind) noexcept;
[[nodiscard]] std::string_view to_string(ChannelStatus status) noexcept;

struct Channel {
  std::int64_t id = 0;
  std::string appid;
  std::string name;
  std::string group;
  std::string owner;
  ChannelKind kind = ChannelKind::kTemporary;
  std::string scene;          // int scenes in decimal
  bool scene_is_int = false;
  std::string ticket;
  std::string url;            // what the QR code encodes
  std::int64_t expires_at = 0;  // Unix seconds; 0 for permanent codes
  ChannelStatus status = ChannelStatus::kActive;
  ReplyChoice on_subscribe;
  ReplyChoice on_scan;
  std::int64_t wechat_tag_id = 0;
  bool evergreen = false;     // a temporary code renewed before it expires
  std::int64_t created_at = 0;
};

}  // namespace qrscene::domain
