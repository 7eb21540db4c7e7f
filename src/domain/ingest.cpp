#include "domain/ingest.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/strings.h"
#include "domain/channel.h"

#include <fmt/format.h>

namespace qrscene::domain {
namespace {

std::string substitute(std::string_view text, const ChannelRef& c) {
  return fill_placeholders(text, {{"channel", c.name}, {"scene", c.scene}, {"owner", c.owner}});
}

// In a URL each value is percent-encoded, so that a scene or a name cannot change the URL's shape.
std::string substitute_in_url(std::string_view url, const ChannelRef& c) {
  return fill_placeholders(
      url, {{"channel", percent_encode(c.name)}, {"scene", percent_encode(c.scene)}, {"owner", percent_encode(c.owner)}});
}

}  // namespace

std::string_view to_string(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::kSubscribe: return "subscribe";
    case EventKind::kScan: return "scan";
    case EventKind::kUnsubscribe: return "unsubscribe";
    case EventKind::kOther: return "other";
  }
  return "other";
}

namespace {

constexpr std::array kReplyKindNames{std::pair{ReplyChoice::Kind::kNone, std::string_view("none")},
                                     std::pair{ReplyChoice::Kind::kText, std::string_view("text")},
                                     std::pair{ReplyChoice::Kind::kImage, std::string_view("image")},
                                     std::pair{ReplyChoice::Kind::kNews, std::string_view("news")}};

}  // namespace

std::string_view to_string(ReplyChoice::Kind kind) noexcept { return name_of(kReplyKindNames, kind); }

std::vector<std::pair<std::string_view, std::string>> reply_fields(const ReplyChoice& r) {
  std::vector<std::pair<std::string_view, std::string>> out{{"kind", std::string(to_string(r.kind))}};
  switch (r.kind) {
    case ReplyChoice::Kind::kNone: break;
    case ReplyChoice::Kind::kText: out.emplace_back("text", r.text); break;
    case ReplyChoice::Kind::kImage: out.emplace_back("media_id", r.media_id); break;
    case ReplyChoice::Kind::kNews:
      out.insert(out.end(), {{"title", r.title}, {"description", r.description}, {"url", r.url}, {"pic_url", r.pic_url}});
      break;
  }
  return out;
}

Result<ReplyChoice> reply_from_fields(const ReplyFieldReader& read, std::string_view field) {
  ReplyChoice r;
  QRSCENE_ASSIGN_OR_RETURN(const auto kind, read("kind"));
  if (kind && !kind->empty()) {
    const auto k = value_of(kReplyKindNames, *kind);
    if (!k) {
      return field_error(fmt::format("{}.kind", field), fmt::format("must be none, text, image or news, got '{}'", *kind),
                         "not_one_of", {{"allowed", "none,text,image,news"}});
    }
    r.kind = *k;
  }
  for (auto [key, target] : {std::pair{"text", &r.text}, std::pair{"media_id", &r.media_id}, std::pair{"title", &r.title},
                             std::pair{"description", &r.description}, std::pair{"url", &r.url},
                             std::pair{"pic_url", &r.pic_url}}) {
    QRSCENE_ASSIGN_OR_RETURN(auto value, read(key));
    *target = value.value_or("");
  }
  return r;
}

EventKind event_kind_from(std::string_view text) noexcept {
  for (auto k : {EventKind::kSubscribe, EventKind::kScan, EventKind::kUnsubscribe}) {
    if (to_string(k) == text) return k;
  }
  return EventKind::kOther;
}

std::string make_dedup_key(std::optional<std::uint64_t> msg_id, std::string_view from_user, std::int64_t create_time,
                           std::string_view event, std::string_view event_key) {
  if (msg_id) return fmt::format("m:{}", *msg_id);
  // Length-prefixed fields: the key is unambiguous whatever the fields hold.
  return fmt::format("e:{}:{}|{}|{}:{}|{}:{}", from_user.size(), from_user, create_time, event.size(), event,
                     event_key.size(), event_key);
}

bool is_consumed(const Event& event) noexcept { return event.kind != EventKind::kOther || event.name == "text"; }

bool is_forwarded(const Event& event, std::span<const std::string> forward_kinds) noexcept {
  return std::find(forward_kinds.begin(), forward_kinds.end(), event.name) != forward_kinds.end();
}

std::int64_t local_day(std::int64_t unix_seconds, std::int64_t utc_offset_seconds) noexcept {
  const std::int64_t t = unix_seconds + utc_offset_seconds;
  return t >= 0 ? t / 86400 : (t - 86399) / 86400;
}

ReplyChoice render_reply_template(const ReplyChoice& reply, const ChannelRef& channel) {
  ReplyChoice out = reply;
  out.text = substitute(reply.text, channel);
  out.title = substitute(reply.title, channel);
  out.description = substitute(reply.description, channel);
  out.url = substitute_in_url(reply.url, channel);
  return out;
}

IngestPlan plan_ingest(const Event& e, const IngestContext& c, const ReplyDefaults& defaults) {
  IngestPlan p;
  switch (e.kind) {
    case EventKind::kSubscribe: {
      p.open_subscription = true;
      // A follow while a subscription is open means we missed the unfollow: end the old one.
      p.close_subscription = c.has_open_subscription;
      p.remember_follower = true;
      if (c.channel) {
        p.channel_id = c.channel->id;
        p.counters_channel = c.channel->id;
        p.counters.scans = 1;
        p.counters.new_follows = 1;
        (c.followed_before ? p.counters.re_follows : p.counters.first_follows) = 1;
        p.tag_job = c.channel->wechat_tag_id;
        if (c.channel->active) p.reply = render_reply_template(c.channel->on_subscribe, *c.channel);
      } else {
        p.reply = defaults.organic_subscribe;
        p.organic_follow = true;
      }
      break;
    }
    case EventKind::kScan: {
      if (c.channel) {
        p.channel_id = c.channel->id;
        p.counters_channel = c.channel->id;
        p.counters.scans = 1;
        p.counters.existing_scans = 1;
        p.tag_job = c.channel->wechat_tag_id;
        if (c.channel->active) p.reply = render_reply_template(c.channel->on_scan, *c.channel);
      }
      break;
    }
    case EventKind::kUnsubscribe: {
      p.close_subscription = c.has_open_subscription;
      p.forget_follower = true;
      // The unfollow goes to the channel that brought this subscription, not to any code scanned.
      if (c.has_open_subscription && c.open_subscription_channel && *c.open_subscription_channel != 0) {
        p.channel_id = *c.open_subscription_channel;
        p.counters_channel = *c.open_subscription_channel;
        p.counters.unfollows = 1;
        p.cohort_channel = *c.open_subscription_channel;
        p.cohort_followed_at = c.open_subscription_started_at;
      } else if (c.has_open_subscription) {
        p.organic_unfollow = true;
      }
      break;
    }
    case EventKind::kOther: break;
  }
  return p;
}

}  // namespace qrscene::domain
