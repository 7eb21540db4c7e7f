#include "domain/channel.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/strings.h"
#include "domain/campaign.h"
#include "domain/login.h"

namespace qrscene::domain {

namespace {

constexpr std::array kKindNames{std::pair{ChannelKind::kTemporary, std::string_view("temporary")},
                                std::pair{ChannelKind::kPermanent, std::string_view("permanent")}};
constexpr std::array kStatusNames{std::pair{ChannelStatus::kActive, std::string_view("active")},
                                  std::pair{ChannelStatus::kPaused, std::string_view("paused")},
                                  std::pair{ChannelStatus::kExpired, std::string_view("expired")},
                                  std::pair{ChannelStatus::kRetired, std::string_view("retired")}};

}  // namespace

std::string_view to_string(ChannelKind kind) noexcept { return name_of(kKindNames, kind); }
std::string_view to_string(ChannelStatus status) noexcept { return name_of(kStatusNames, status); }
std::optional<ChannelKind> channel_kind_from(std::string_view text) noexcept { return value_of(kKindNames, text); }
std::optional<ChannelStatus> channel_status_from(std::string_view text) noexcept {
  return value_of(kStatusNames, text);
}

Status check_scene(ChannelKind kind, std::string_view scene, bool scene_is_int) {
  const bool digits = !scene.empty() && std::all_of(scene.begin(), scene.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (scene_is_int) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(scene.data(), scene.data() + scene.size(), value);
    if (!digits || ec != std::errc() || end != scene.data() + scene.size() || scene.size() > 10) {
      return worded_field_error({"scene"}, fmt::format("scene '{}' is not a whole number", scene), "scene_not_integer");
    }
    if (kind == ChannelKind::kPermanent && (value < 1 || value > kPermanentSceneMax)) {
      return worded_field_error({"scene"},
                                fmt::format("a permanent int scene must be 1..{}; {} is outside (use a string scene, "
                                            "or a temporary channel)",
                                            kPermanentSceneMax, value),
                                "scene_range", {{"min", "1"}, {"max", std::to_string(kPermanentSceneMax)}});
    }
    if (kind == ChannelKind::kTemporary && (value < kTemporarySceneMin || value > kTemporarySceneMax)) {
      return worded_field_error({"scene"},
                                fmt::format("a temporary int scene must be {}..{} (1..{} belong to permanent codes, so "
                                            "a pushed scene always names one channel); {} is outside",
                                            kTemporarySceneMin, kTemporarySceneMax, kPermanentSceneMax, value),
                                "scene_range",
                                {{"min", std::to_string(kTemporarySceneMin)}, {"max", std::to_string(kTemporarySceneMax)}});
    }
    return {};
  }
  if (scene.empty() || scene.size() > kSceneStrMaxBytes) {
    return worded_field_error({"scene"},
                              fmt::format("a string scene must be 1..{} bytes; '{}' has {}", kSceneStrMaxBytes, scene,
                                          scene.size()),
                              "scene_length", {{"min", "1"}, {"max", std::to_string(kSceneStrMaxBytes)}});
  }
  if (digits) {
    return worded_field_error({"scene"},
                              fmt::format("string scene '{}' is all digits and would read as an int scene: make it "
                                          "an int scene or add a letter", scene),
                              "scene_all_digits");
  }
  for (const auto& [prefix, whose] : {std::pair{kLoginScenePrefix, "login sessions"},
                                      std::pair{kInviteScenePrefix, "campaign participants' codes"}}) {
    if (scene.starts_with(prefix)) {
      return worded_field_error({"scene"},
                                fmt::format("string scenes starting with '{}' are kept for {}: choose another", prefix,
                                            whose),
                                "scene_reserved", {{"prefix", std::string(prefix)}});
    }
  }
  if (first_invalid_utf8(scene) != std::string_view::npos ||
      std::any_of(scene.begin(), scene.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return worded_field_error({"scene"}, "a string scene must be printable UTF-8 without control characters",
                              "scene_characters");
  }
  return {};
}

Status check_status_change(ChannelStatus from, ChannelStatus to) {
  if (from == to) return {};
  if (from == ChannelStatus::kRetired) {
    return unexpected(ErrorCode::kFailedPrecondition,
                      "the channel is retired, which is final: create a new channel (it may reuse the scene)");
  }
  if (to == ChannelStatus::kExpired) {
    return unexpected(ErrorCode::kInvalidArgument, "expired is set by qrscene when a temporary code runs out");
  }
  if (from == ChannelStatus::kExpired && to == ChannelStatus::kActive) {
    return unexpected(ErrorCode::kFailedPrecondition,
                      "the code has expired: renew it (mark the channel evergreen) or create a new channel");
  }
  return {};
}

}  // namespace qrscene::domain
