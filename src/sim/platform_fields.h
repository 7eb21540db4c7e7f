// What Platform's area files (platform.h lists them) share: WeChat's JSON bodies read as WeChat
// reads them, the Beijing day, WeChat's plain "ok" answer and the account's menu id.
// Internal to sim/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/platform.h"

namespace qrscene::sim {

inline constexpr std::int64_t kBeijingOffset = 8 * 3600;

// Days since the epoch of a Unix time's Beijing (UTC+8) calendar day.
[[nodiscard]] inline std::int64_t beijing_day(std::int64_t t) { return (t + kBeijingOffset) / 86400; }

// An integer from a JSON number or a string of digits (WeChat's parser takes both).
[[nodiscard]] std::optional<std::int64_t> as_int(const Json& v);

// The member `key` of a JSON object; nullptr when it is missing or `body` is not an object.
[[nodiscard]] const Json* member(const Json& body, std::string_view key);

// The member `key` when it is a string, else "".
[[nodiscard]] std::string string_member(const Json& body, std::string_view key);

// {"errcode":0,"errmsg":"ok"}: WeChat's answer to a call that returns nothing else.
[[nodiscard]] Json ok();

// The id menu/get and VIEW events give the account's menu (stable per account).
[[nodiscard]] std::int64_t menu_id(std::string_view appid);

}  // namespace qrscene::sim
