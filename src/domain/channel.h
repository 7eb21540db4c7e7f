// Channel: one QR code a marketer hands out (a store, a poster, a promoter, an ad), the scene and
// ticket WeChat knows it by, and how its followers are greeted and tagged (DESIGN.md section 1.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "domain/ingest.h"

namespace qrscene::domain {

enum class ChannelKind : std::uint8_t { kTemporary, kPermanent };
enum class ChannelStatus : std::uint8_t { kActive, kPaused, kExpired, kRetired };

[[nodiscard]] std::string_view to_string(ChannelKind kind) noexcept;
[[nodiscard]] std::string_view to_string(ChannelStatus status) noexcept;
[[nodiscard]] std::optional<ChannelKind> channel_kind_from(std::string_view text) noexcept;
[[nodiscard]] std::optional<ChannelStatus> channel_status_from(std::string_view text) noexcept;

// Scene ranges. Permanent int scenes are WeChat's 1..100000; temporary int scenes are allocated
// above that range, so that no int scene ever means both a permanent and a temporary code (a push
// carries the scene, and the ticket only when WeChat sends one).
inline constexpr std::int64_t kPermanentSceneMax = 100'000;
inline constexpr std::int64_t kTemporarySceneMin = kPermanentSceneMax + 1;
inline constexpr std::int64_t kTemporarySceneMax = 4'294'967'295;  // 32-bit unsigned
inline constexpr std::int64_t kPermanentQuota = 100'000;            // int and string codes together
inline constexpr std::size_t kSceneStrMaxBytes = 64;

// Checks a scene a user gave for a channel of `kind`: an int scene in its kind's range, or a
// string of 1..64 bytes of printable UTF-8 that is not all digits (that would read as an int).
// Errors: kInvalidArgument about the field "scene".
[[nodiscard]] Status check_scene(ChannelKind kind, std::string_view scene, bool scene_is_int);

// The most a channel may be said to have cost: ¥10,000,000,000 in fen. Bounded so that the spend of
// every channel of an account sums within 64 bits; sums also cap each row at it (rows from before).
inline constexpr std::int64_t kMaxSpendCents = 1'000'000'000'000;

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
  std::int64_t spend_cents = 0;  // what the channel cost (entered by the marketer), 0..kMaxSpendCents
  std::int64_t created_at = 0;
  std::int64_t retired_at = 0;  // 0 unless retired
  // The last renewal of an evergreen code that failed (its time, WeChat's words); cleared by a
  // renewal that works. While set, the printed code dies at expires_at.
  std::int64_t renewal_failed_at = 0;
  std::string renewal_error;
  std::int64_t expiry_noticed = 0;  // the expires_at the backend was told of (channel.expiring)
};

// Changes an operator may make to a channel's status; retiring is final.
[[nodiscard]] Status check_status_change(ChannelStatus from, ChannelStatus to);

}  // namespace qrscene::domain
