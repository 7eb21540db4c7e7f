// Followers one by one and conversions after the follow (docs/metrics.md, "Followers and
// conversions"). A follower row is one follow (a subscription) gained through a channel; it keeps
// its times after an unfollow but loses the openid, unionid and tags (the privacy rule), keeping
// only the pseudonym. A conversion (an order, a payment, a sign-up) is sent by the account's own
// backend with an external id that makes re-sending harmless, and is credited to channels two ways:
//
// - first touch: the channel of the person's first follow through a channel, at or before the
//   conversion;
// - last touch: the channel of the person's last scan of a channel's code (a follow through it, or
//   a scan while following), at or before the conversion.
//
// Both are decided when the conversion is recorded. What is here is pure: checks and arithmetic.
// Thread safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace qrscene::domain {

enum class Touch : std::uint8_t { kFirst, kLast };
[[nodiscard]] std::string_view to_string(Touch touch) noexcept;
[[nodiscard]] std::optional<Touch> touch_from(std::string_view text) noexcept;

// --- followers ---

enum class FollowerSort : std::uint8_t { kFollowedAt, kLeftAt, kChannel, kValue };
[[nodiscard]] std::optional<FollowerSort> follower_sort_from(std::string_view text) noexcept;

struct FollowerQuery {
  std::string appid;
  std::vector<std::int64_t> channel_ids;  // empty: any channel
  std::string group;                      // "": any
  std::string owner;                      // "": any (a promoter's followers)
  std::optional<bool> following;          // true: still following; false: left; none: both
  std::int64_t followed_from = 0;         // Unix seconds, inclusive; 0: open
  std::int64_t followed_to = 0;           // exclusive; 0: open
  std::string openid;                     // one person's follows ("": everyone)
  std::string currency = "CNY";           // of the value column
  FollowerSort sort = FollowerSort::kFollowedAt;
  bool descending = true;
  std::int64_t offset = 0;
  std::int64_t limit = 50;
};

struct FollowerRow {
  std::int64_t follow_id = 0;  // the subscription
  std::int64_t channel_id = 0;
  std::string channel;
  std::string group;
  std::string owner;
  std::int64_t followed_at = 0;
  std::optional<std::int64_t> left_at;  // none while following
  bool first_follow = true;             // the person's first follow of the account
  std::string pseudonym;                // the keyed hash ("" once unlinked by privacy "delete")
  std::string openid;                   // while following only
  std::string unionid;                  // while following, when WeChat gave one
  std::vector<std::string> tags;        // while following, as of the profile fetch
  std::int64_t conversions = 0;         // the person's, in any currency
  std::int64_t value_cents = 0;         // the person's, in the query's currency
};

struct FollowerPage {
  std::int64_t total = 0;  // rows matching, all pages
  std::vector<FollowerRow> rows;
};

// What WeChat told us about a follower after the follow (user/info).
struct FollowerProfile {
  std::string openid;
  std::string unionid;
  std::vector<std::string> tags;  // names (an id when the name is unknown)
};

// --- conversions ---

inline constexpr std::size_t kMaxExternalIdBytes = 128;
// The largest value one conversion may carry: ¥10,000,000,000 in fen. Bounded so that every sum of
// them fits 64 bits (docs/api.yaml).
inline constexpr std::int64_t kMaxValueCents = 1'000'000'000'000;
inline constexpr std::size_t kMaxConversionKindBytes = 32;

struct ConversionInput {
  std::string appid;
  std::string external_id;  // the backend's id: the same id again is the same conversion
  std::string openid;       // one of openid and unionid
  std::string unionid;
  std::string kind;         // order, payment, signup, … ([a-z0-9_-], 1..32)
  std::int64_t value_cents = 0;
  std::string currency;     // ISO 4217, three capital letters
  std::int64_t occurred_at = 0;  // Unix seconds
};

// Every problem, one per line ("field: what") and each in Error::fields, or success. `now` bounds
// occurred_at (a little clock skew is allowed).
[[nodiscard]] Status check_conversion(const ConversionInput& c, std::int64_t now);

// One channel's credit for a conversion.
struct TouchPoint {
  std::int64_t channel_id = 0;
  std::int64_t at = 0;  // the follow (first touch) or the scan (last touch)
};

struct RecordedConversion {
  std::int64_t id = 0;
  bool duplicate = false;  // the external id was recorded before with the same values
  ConversionInput input;   // openid and unionid as sent
  bool known_person = false;  // openid given, or the unionid belongs to a follower
  std::optional<TouchPoint> first_touch, last_touch;
};

// A conversion as the reports read it, under one touch model.
struct CreditedConversion {
  bool attributed = true;      // false: no channel under the touch model
  std::string key;             // the channel's name, group or owner
  std::int64_t channel_id = 0; // by channel only
  std::string person;          // the pseudonym ("" when unknown)
  std::int64_t occurred_at = 0;
  std::int64_t touch_at = 0;   // 0 when not attributed
  std::int64_t value_cents = 0;
};

struct ConversionFigures {
  bool attributed = true;  // false: the row of conversions no channel brought
  std::string key;
  std::int64_t channel_id = 0;
  std::int64_t conversions = 0;
  std::int64_t converters = 0;  // distinct people
  std::int64_t value_cents = 0;
  std::int64_t followers = 0;   // new follows through the key's channels in the range
  std::optional<double> value_per_follower_cents;  // none without followers
  // From the touch to each converter's first conversion in the range (seconds).
  std::optional<std::int64_t> median_seconds_to_first;
  std::optional<std::int64_t> mean_seconds_to_first;
};

// Sums conversions per key (the unattributed ones in a row of their own, last), most valuable first. Followers are
// left at 0 for the caller to fill (set_followers).
[[nodiscard]] std::vector<ConversionFigures> summarize_conversions(std::span<const CreditedConversion> rows);
// Fills followers and value per follower.
void set_followers(ConversionFigures& figures, std::int64_t followers);

// Local time as "YYYY-MM-DD HH:MM:SS" (exports).
[[nodiscard]] std::string time_label(std::int64_t unix_seconds, std::int64_t utc_offset_seconds);
// "2026-11-21T10:00:00+08:00", "…Z" or "2026-11-21 10:00:00" (local, at `utc_offset_seconds`),
// or a number of Unix seconds.
[[nodiscard]] std::optional<std::int64_t> parse_time(std::string_view text, std::int64_t utc_offset_seconds) noexcept;

}  // namespace qrscene::domain
