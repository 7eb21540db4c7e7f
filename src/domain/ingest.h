// Ingest: what one pushed event means for qrscene (DESIGN.md sections 3 and 5) — its dedup key,
// which channel it is credited to, how the follower's subscription changes, which counters move,
// which jobs follow and what the follower is answered. Pure decisions: the store looks things up
// and writes the plan inside one transaction, so SQLite and PostgreSQL share one set of rules.
//
// Thread safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace qrscene::domain {

enum class EventKind : std::uint8_t {
  kSubscribe,    // follow; with a scene when it came through a QR code
  kScan,         // a follower scanned a code (SCAN)
  kUnsubscribe,  // unfollow
  kOther,        // any other event or message: stored, no counters
};
[[nodiscard]] std::string_view to_string(EventKind kind) noexcept;
// The kind to_string() named; anything else is kOther.
[[nodiscard]] EventKind event_kind_from(std::string_view text) noexcept;

// One push, as the service hands it over (already verified and parsed).
struct Event {
  std::string appid;
  std::string openid;
  EventKind kind = EventKind::kOther;
  std::string scene;        // the scene value ("" when none); int scenes in decimal
  std::string ticket;       // "" when none
  std::int64_t create_time = 0;  // WeChat's CreateTime, Unix seconds
  std::string name;         // WeChat's Event or MsgType ("subscribe", "CLICK", "text", …)
  std::string dedup_key;    // see make_dedup_key
  std::string content;      // a text message's Content ("" otherwise): a login confirmation answer
  std::string key;          // other kinds: the EventKey of a menu event, the URL of VIEW ("" otherwise)
};

// MsgId when the push has one; otherwise FromUserName + CreateTime + Event + EventKey, which is
// what stays the same across WeChat's retries of one event.
[[nodiscard]] std::string make_dedup_key(std::optional<std::uint64_t> msg_id, std::string_view from_user,
                                         std::int64_t create_time, std::string_view event,
                                         std::string_view event_key);

// Whether anything in qrscene reads an event of this kind once it is stored: follows, scans and
// unfollows (attribution, the subscription ledger, rollups, jobs) and text messages (the answer to
// a login confirmation). Every other kind — TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH, LOCATION,
// CLICK, VIEW, media messages, … — is verified, parsed, counted and answered "success", but never
// written, unless the webhook asks for it ([jobs] forward_kinds): a template send to 30,000
// followers pushes 30,000 of them at once, and none of them may cost a scan its answer.
[[nodiscard]] bool is_consumed(const Event& event) noexcept;

// Whether the webhook asked for events of this kind: `forward_kinds` are WeChat's Event or MsgType
// names ([jobs] forward_kinds). Such an event is logged and forwarded even when nothing consumes it.
[[nodiscard]] bool is_forwarded(const Event& event, std::span<const std::string> forward_kinds) noexcept;

// The day an event counts on, in the account's time zone (UTC offset in seconds; Beijing +8 h).
[[nodiscard]] std::int64_t local_day(std::int64_t unix_seconds, std::int64_t utc_offset_seconds) noexcept;

// What a follower is answered. kNone is WeChat's "success" (nothing shown).
struct ReplyChoice {
  enum class Kind : std::uint8_t { kNone, kText, kImage, kNews };
  Kind kind = Kind::kNone;
  std::string text;      // kText
  std::string media_id;  // kImage
  std::string title;     // kNews (one article)
  std::string description;
  std::string url;
  std::string pic_url;
  friend bool operator==(const ReplyChoice&, const ReplyChoice&) = default;
};

// ReplyChoice's shape as named text fields, the one codec the API and the store wrap in their
// JSON: "kind" (none, text, image or news), then the kind's own fields (text: text; image:
// media_id; news: title, description, url, pic_url).
[[nodiscard]] std::string_view to_string(ReplyChoice::Kind kind) noexcept;
[[nodiscard]] std::vector<std::pair<std::string_view, std::string>> reply_fields(const ReplyChoice& reply);
// A field's text; nullopt when absent; an error when it is there but not text.
using ReplyFieldReader = std::function<Result<std::optional<std::string>>(std::string_view key)>;
// A reply read field by field; an absent or empty kind is none. Errors name `field` (the reply's own
// name, e.g. on_subscribe): "on_subscribe.kind: must be none, text, image or news, got 'x'", about the
// field "on_subscribe.kind".
[[nodiscard]] Result<ReplyChoice> reply_from_fields(const ReplyFieldReader& read, std::string_view field);

// A channel as ingest needs it.
struct ChannelRef {
  std::int64_t id = 0;
  std::string name;
  std::string scene;
  std::string owner;
  bool active = true;        // paused or retired channels still get credit, but no reply
  ReplyChoice on_subscribe;  // templates: {channel}, {scene}, {owner}
  ReplyChoice on_scan;
  std::int64_t wechat_tag_id = 0;  // 0: no tag
};

// What the store found for this event, inside the transaction.
struct IngestContext {
  std::optional<ChannelRef> channel;             // by ticket first, then by scene as of create_time
  std::optional<std::int64_t> open_subscription_channel;  // the follower's open subscription: its
                                                          // channel (0 = organic), if any
  std::int64_t open_subscription_started_at = 0;  // when that subscription began
  bool has_open_subscription = false;
  bool followed_before = false;                  // any earlier subscription of this follower
};

// Counters of one channel-day that an event moves (DESIGN.md section 5).
struct Counters {
  std::int64_t scans = 0;           // SCAN + scene-bearing subscribe
  std::int64_t new_follows = 0;     // scene-bearing subscribe
  std::int64_t first_follows = 0;   //   of which never seen before
  std::int64_t re_follows = 0;      //   of which seen before
  std::int64_t existing_scans = 0;  // SCAN (already a follower)
  std::int64_t unfollows = 0;       // unsubscribe of a follower whose subscription began here
  friend bool operator==(const Counters&, const Counters&) = default;
};

struct IngestPlan {
  std::optional<std::int64_t> channel_id;     // the event is credited to (none: organic/other)
  bool open_subscription = false;             // subscribe: a new subscription row
  bool close_subscription = false;            // end the open row (unsubscribe, or a missed one)
  std::optional<std::int64_t> counters_channel;  // whose day the counters go to
  Counters counters;
  // An unfollow of a follower a channel brought: the follow's cohort (its channel and day) loses one.
  std::optional<std::int64_t> cohort_channel;
  std::int64_t cohort_followed_at = 0;
  bool organic_follow = false;                // a follow without a channel (the account's rollup)
  bool organic_unfollow = false;              // an unfollow of such a follower
  bool forget_follower = false;               // unsubscribe: personal data goes (privacy)
  bool remember_follower = false;             // subscribe: keep the follower's row
  std::int64_t tag_job = 0;                   // a WeChat tag id to put the follower in, or 0
  ReplyChoice reply;
};

struct ReplyDefaults {
  ReplyChoice organic_subscribe;  // a follow without a channel
};

[[nodiscard]] IngestPlan plan_ingest(const Event& event, const IngestContext& context, const ReplyDefaults& defaults);

// {channel}, {scene}, {owner} replaced in every text field of a reply, and in its url percent-encoded.
[[nodiscard]] ReplyChoice render_reply_template(const ReplyChoice& reply, const ChannelRef& channel);

}  // namespace qrscene::domain
