#include "domain/campaign.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "base/strings.h"

namespace qrscene::domain {
namespace {

std::string str(std::int64_t v) { return std::to_string(v); }

// A decimal id of 1..2^53 (what JSON carries exactly), the whole of `text`.
std::optional<std::int64_t> id_of(std::string_view text) noexcept {
  if (text.empty() || text.size() > 16 || text.front() == '0') return std::nullopt;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 1 || v > (std::int64_t{1} << 53)) {
    return std::nullopt;
  }
  return v;
}

void check_text(std::vector<FieldError>& out, std::string field, std::string_view text, std::size_t max,
                bool required) {
  if (required && trim(text).empty()) {
    out.push_back({std::move(field), "required", "required"});
  } else if (text.size() > max) {
    out.push_back({std::move(field), fmt::format("at most {} bytes, got {}", max, text.size()), "too_long",
                   {{"max", str(static_cast<std::int64_t>(max))}}});
  } else if (first_invalid_utf8(text) != std::string_view::npos) {
    out.push_back({std::move(field), "not UTF-8", "not_utf8"});
  }
}

// The first tier above `counted`, if any.
const CampaignTier* next_tier(const Campaign& c, int counted) {
  for (const auto& t : c.tiers) {
    if (t.invites > counted) return &t;
  }
  return nullptr;
}

}  // namespace

Status validate_campaign(const Campaign& c) {
  std::vector<FieldError> p;
  check_text(p, "name", c.name, Campaign::kMaxNameBytes, true);
  if (c.starts_at <= 0) p.push_back({"starts_at", "required", "required"});
  if (c.ends_at <= 0) {
    p.push_back({"ends_at", "required", "required"});
  } else if (c.starts_at > 0 && c.ends_at <= c.starts_at) {
    p.push_back({"ends_at", "must be after starts_at", "range_reversed"});
  } else if (c.starts_at > 0 && c.ends_at - c.starts_at > Campaign::kMaxDays * 86'400) {
    p.push_back({"ends_at", fmt::format("a campaign lasts {} days at most", Campaign::kMaxDays), "range_too_long",
                 {{"max_days", str(Campaign::kMaxDays)}}});
  }
  if (c.starts_at > Campaign::kLatestStart) {
    p.push_back({"starts_at", "must be Unix seconds before 2100", "out_of_range",
                 {{"min", "1"}, {"max", str(Campaign::kLatestStart)}}});
  }
  const auto& tr = c.triggers;
  if (tr.keywords.empty() && tr.click_keys.empty() && tr.channel_ids.empty()) {
    p.push_back({"triggers", "name a keyword, a menu key or a channel that makes a follower a participant",
                 "no_trigger"});
  }
  if (tr.keywords.size() + tr.click_keys.size() + tr.channel_ids.size() > Campaign::kMaxTriggers) {
    p.push_back({"triggers", fmt::format("at most {} in all", Campaign::kMaxTriggers), "too_many",
                 {{"max", str(static_cast<std::int64_t>(Campaign::kMaxTriggers))}}});
  }
  for (std::size_t i = 0; i < tr.keywords.size(); ++i) {
    check_text(p, fmt::format("triggers.keywords[{}]", i), tr.keywords[i], 60, true);
  }
  for (std::size_t i = 0; i < tr.click_keys.size(); ++i) {
    check_text(p, fmt::format("triggers.click_keys[{}]", i), tr.click_keys[i], 128, true);  // a menu key's limit
  }
  for (std::size_t i = 0; i < tr.channel_ids.size(); ++i) {
    if (tr.channel_ids[i] < 1) p.push_back({fmt::format("triggers.channel_ids[{}]", i), "not a channel id", "not_id"});
  }
  if (c.tiers.empty()) p.push_back({"tiers", "at least one tier: invites needed and its reward", "required"});
  if (c.tiers.size() > Campaign::kMaxTiers) {
    p.push_back({"tiers", fmt::format("at most {}", Campaign::kMaxTiers), "too_many",
                 {{"max", str(static_cast<std::int64_t>(Campaign::kMaxTiers))}}});
  }
  for (std::size_t i = 0; i < c.tiers.size(); ++i) {
    const auto& t = c.tiers[i];
    const std::string at = fmt::format("tiers[{}]", i);
    if (t.invites < 1 || t.invites > 100'000) {
      p.push_back({at + ".invites", fmt::format("must be 1..100000, got {}", t.invites), "out_of_range",
                   {{"min", "1"}, {"max", "100000"}}});
    } else if (i > 0 && t.invites <= c.tiers[i - 1].invites) {
      p.push_back({at + ".invites", fmt::format("must be more than the tier before ({})", c.tiers[i - 1].invites),
                   "not_increasing", {{"min", str(c.tiers[i - 1].invites + 1)}}});
    }
    check_text(p, at + ".reward_text", t.reward_text, Campaign::kMaxRewardBytes, true);
    check_text(p, at + ".reward_code", t.reward_code, 128, false);
  }
  if (c.rules.keep_seconds < 0 || c.rules.keep_seconds > CampaignRules::kMaxKeepSeconds) {
    p.push_back({"rules.keep_seconds", fmt::format("must be 0..{} (30 days)", CampaignRules::kMaxKeepSeconds),
                 "out_of_range", {{"min", "0"}, {"max", str(CampaignRules::kMaxKeepSeconds)}}});
  }
  if (c.rules.hourly_cap < 1 || c.rules.hourly_cap > CampaignRules::kMaxHourlyCap) {
    p.push_back({"rules.hourly_cap", fmt::format("must be 1..{}", CampaignRules::kMaxHourlyCap), "out_of_range",
                 {{"min", "1"}, {"max", str(CampaignRules::kMaxHourlyCap)}}});
  }
  if (c.status != "active" && c.status != "ended") {
    p.push_back({"status", fmt::format("must be active or ended, got '{}'", c.status), "not_one_of",
                 {{"allowed", "active, ended"}}});
  }
  check_text(p, "join_reply", c.join_reply, Campaign::kMaxRewardBytes, false);
  check_text(p, "invitee_reply", c.invitee_reply, Campaign::kMaxRewardBytes, false);
  for (auto [field, text] : {std::pair<const char*, const std::string&>{"texts.counted", c.texts.counted},
                             {"texts.taken_back", c.texts.taken_back},
                             {"texts.done", c.texts.done},
                             {"texts.reward", c.texts.reward}}) {
    check_text(p, field, text, Campaign::kMaxRewardBytes, true);
  }
  if (c.poster.format != "jpeg" && c.poster.format != "png") {
    p.push_back({"poster.format", fmt::format("must be jpeg or png, got '{}'", c.poster.format), "not_one_of",
                 {{"allowed", "jpeg, png"}}});
  }
  for (std::size_t i = 0; i < c.poster.lines.size(); ++i) {
    const auto& align = c.poster.lines[i].align;
    if (align != "left" && align != "center" && align != "right") {
      p.push_back({fmt::format("poster.lines[{}].align", i), fmt::format("must be left, center or right, got '{}'", align),
                   "not_one_of", {{"allowed", "left, center, right"}}});
    }
  }
  check_text(p, "notify_template.template_id", c.notify_template.template_id, 128, false);
  if (c.notify_template.fields.size() > 20) {
    p.push_back({"notify_template.fields", "at most 20", "too_many", {{"max", "20"}}});
  }
  for (const auto& [key, value] : c.notify_template.fields) {
    if (key.empty() || key.size() > 64) {
      p.push_back({"notify_template.fields", "a field's name is 1 to 64 bytes", "bad_format", {{"max", "64"}}});
      continue;
    }
    check_text(p, "notify_template.fields." + key, value, 200, false);
  }
  if (p.empty()) return {};
  return field_errors(std::move(p));
}

std::vector<FieldError> trigger_clashes(const Campaign& c, std::span<const Campaign> others) {
  std::vector<FieldError> out;
  for (const auto& o : others) {
    if (o.id == c.id || o.appid != c.appid || o.status != "active" || o.ends_at <= c.starts_at ||
        c.ends_at <= o.starts_at) {
      continue;
    }
    auto taken = [&]<typename T>(const std::vector<T>& mine, const std::vector<T>& theirs, std::string_view field) {
      for (std::size_t i = 0; i < mine.size(); ++i) {
        if (std::find(theirs.begin(), theirs.end(), mine[i]) == theirs.end()) continue;
        out.push_back({fmt::format("triggers.{}[{}]", field, i),
                       fmt::format("already makes followers join campaign {} ({}) at the same time: choose another, "
                                   "or end that campaign",
                                   o.id, o.name),
                       "trigger_taken", {{"campaign", o.name}, {"campaign_id", str(o.id)}}});
      }
    };
    taken(c.triggers.keywords, o.triggers.keywords, "keywords");
    taken(c.triggers.click_keys, o.triggers.click_keys, "click_keys");
    taken(c.triggers.channel_ids, o.triggers.channel_ids, "channel_ids");
  }
  return out;
}

std::string invite_scene(InviteScene ids) {
  return fmt::format("{}{}_{}", kInviteScenePrefix, ids.campaign_id, ids.participant_id);
}

std::optional<InviteScene> parse_invite_scene(std::string_view scene) noexcept {
  if (!scene.starts_with(kInviteScenePrefix)) return std::nullopt;
  scene.remove_prefix(kInviteScenePrefix.size());
  const auto sep = scene.find('_');
  if (sep == std::string_view::npos) return std::nullopt;
  const auto campaign = id_of(scene.substr(0, sep));
  const auto participant = id_of(scene.substr(sep + 1));
  if (!campaign || !participant) return std::nullopt;
  return InviteScene{*campaign, *participant};
}

bool joins_campaign(const Campaign& c, const Event& e, std::int64_t channel_id) noexcept {
  if (!c.running_at(e.create_time)) return false;
  const auto& tr = c.triggers;
  if (e.name == "text") {
    const std::string_view said = trim(e.content);
    return std::any_of(tr.keywords.begin(), tr.keywords.end(), [said](const std::string& k) { return trim(k) == said; });
  }
  if (e.name == "CLICK") {
    return std::find(tr.click_keys.begin(), tr.click_keys.end(), e.key) != tr.click_keys.end();
  }
  if ((e.kind == EventKind::kSubscribe || e.kind == EventKind::kScan) && channel_id != 0) {
    return std::find(tr.channel_ids.begin(), tr.channel_ids.end(), channel_id) != tr.channel_ids.end();
  }
  return false;
}

std::string_view to_string(InviteOutcome outcome) noexcept {
  static constexpr std::array kNames{
      std::pair{InviteOutcome::kCounted, std::string_view("counted")},
      std::pair{InviteOutcome::kNotFirstFollow, std::string_view("not_first_follow")},
      std::pair{InviteOutcome::kSelfInvite, std::string_view("self_invite")},
      std::pair{InviteOutcome::kOverHourlyCap, std::string_view("over_hourly_cap")},
      std::pair{InviteOutcome::kOutsideWindow, std::string_view("outside_window")},
      std::pair{InviteOutcome::kInviterLeft, std::string_view("inviter_left")},
  };
  return name_of(kNames, outcome);
}

InviteOutcome decide_invite(const Campaign& c, const InviteFacts& f) noexcept {
  if (!c.running_at(f.followed_at)) return InviteOutcome::kOutsideWindow;
  if (f.inviter_openid.empty()) return InviteOutcome::kInviterLeft;
  if (f.invitee_openid == f.inviter_openid) return InviteOutcome::kSelfInvite;
  if (f.invitee_followed_before) return InviteOutcome::kNotFirstFollow;
  if (f.inviter_counted_this_hour >= c.rules.hourly_cap) return InviteOutcome::kOverHourlyCap;
  return InviteOutcome::kCounted;
}

bool takes_back(const Campaign& c, std::int64_t followed_at, std::int64_t unfollowed_at, int position,
                int rewarded_invites) noexcept {
  // Once the campaign is over its counts and rewards are final.
  if (!c.running_at(unfollowed_at)) return false;
  if (unfollowed_at - followed_at < c.rules.keep_seconds) return true;
  // The tier this invite counted toward: the first whose threshold it helped reach.
  const CampaignTier* toward = nullptr;
  for (const auto& t : c.tiers) {
    if (t.invites >= position) {
      toward = &t;
      break;
    }
  }
  // Beyond the last tier an invite earns nothing more; one that kept past keep_seconds stays.
  if (toward == nullptr) return false;
  return rewarded_invites < toward->invites;
}

std::vector<CampaignTier> tiers_to_grant(const Campaign& c, int counted, const std::vector<int>& granted) {
  std::vector<CampaignTier> out;
  for (const auto& t : c.tiers) {
    if (t.invites <= counted && std::find(granted.begin(), granted.end(), t.invites) == granted.end()) {
      out.push_back(t);
    }
  }
  return out;
}

std::string progress_text(const Campaign& c, int counted, bool taken_back) {
  const std::string count = std::to_string(counted);
  const CampaignTier* next = next_tier(c, counted);
  if (next == nullptr) return fill_placeholders(c.texts.done, {{"count", count}});
  const std::string left = std::to_string(next->invites - counted);
  return fill_placeholders(taken_back ? c.texts.taken_back : c.texts.counted,
                           {{"count", count}, {"left", left}, {"reward", next->reward_text}});
}

std::string reward_text(const Campaign& c, const CampaignTier& tier, int counted) {
  return fill_placeholders(c.texts.reward, {{"count", std::to_string(counted)}, {"reward", tier.reward_text}});
}

const Campaign* campaign_of_scene(std::span<const Campaign> campaigns, const Event& e) noexcept {
  if (e.kind != EventKind::kSubscribe && e.kind != EventKind::kScan) return nullptr;
  const auto ids = parse_invite_scene(e.scene);
  if (!ids) return nullptr;
  for (const auto& c : campaigns) {
    if (c.id == ids->campaign_id && c.appid == e.appid) return &c;
  }
  return nullptr;
}

const Campaign* campaign_of_invite(std::span<const Campaign> campaigns, const Event& e) noexcept {
  const Campaign* c = campaign_of_scene(campaigns, e);
  return c != nullptr && c->running_at(e.create_time) ? c : nullptr;
}

const Campaign* campaign_joined(std::span<const Campaign> campaigns, const Event& e, std::int64_t channel_id) noexcept {
  for (const auto& c : campaigns) {
    if (c.appid == e.appid && c.status == "active" && joins_campaign(c, e, channel_id)) return &c;
  }
  const Campaign* invited = campaign_of_invite(campaigns, e);
  return invited != nullptr && invited->invitees_join ? invited : nullptr;
}

bool campaign_wants(std::span<const Campaign> campaigns, const Event& e) noexcept {
  return e.name == "CLICK" && campaign_joined(campaigns, e, 0) != nullptr;
}

std::optional<ReplyChoice> campaign_reply(std::span<const Campaign> campaigns, const Event& e, std::int64_t channel_id) {
  auto text = [](const std::string& t) -> std::optional<ReplyChoice> {
    if (t.empty()) return std::nullopt;
    ReplyChoice r;
    r.kind = ReplyChoice::Kind::kText;
    r.text = t;
    return r;
  };
  if (const Campaign* c = campaign_joined(campaigns, e, channel_id)) return text(c->join_reply);
  if (const Campaign* c = campaign_of_invite(campaigns, e)) return text(c->invitee_reply);
  return std::nullopt;
}

}  // namespace qrscene::domain
