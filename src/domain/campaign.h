// Fission campaigns (任务宝, issue 25): each participant gets a temporary code of their own; a
// friend who follows through it for the first time is an invite; so many invites reach a tier and
// its reward. The rules are decided here, purely: who joins, whether an invite counts, when one is
// taken back, which tiers a count reaches and what the inviter is told. The store applies the
// decisions behind the answer, as it does for channels and login sessions.
//
// A participant's scene is kInviteScenePrefix + campaign id + "_" + participant id ("qrf_3_1207"),
// a string scene that no channel may take (check_scene) and that stays the same when the code is
// renewed before it dies (temporary codes live 30 days at most; the permanent quota is never
// spent on people).
//
// Thread safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "domain/ingest.h"

namespace qrscene::domain {

inline constexpr std::string_view kInviteScenePrefix = "qrf_";

// A tier: `invites` counted invites earn the reward. The account's backend gets `reward_code`
// (campaign.reward webhook); the participant is told `reward_text`.
struct CampaignTier {
  int invites = 0;
  std::string reward_text;
  std::string reward_code;
  friend bool operator==(const CampaignTier&, const CampaignTier&) = default;
};

// What starts a follower's participation: a text message equal to a keyword (spaces around it
// ignored), a menu CLICK with one of the keys, or a follow or scan through one of the channels.
struct CampaignTriggers {
  std::vector<std::string> keywords;
  std::vector<std::string> click_keys;
  std::vector<std::int64_t> channel_ids;
};

struct CampaignRules {
  // An invitee who unfollows within this many seconds of the follow is taken back, reward or not.
  std::int64_t keep_seconds = 3 * 86400;
  // Counted invites per inviter per clock hour at most; more are not counted (a burst from one
  // poster is the usual sign of bought follows).
  int hourly_cap = 30;
  static constexpr std::int64_t kMaxKeepSeconds = 30 * 86400;
  static constexpr int kMaxHourlyCap = 10'000;
};

struct Campaign {
  std::int64_t id = 0;
  std::string appid;
  std::string name;
  std::int64_t starts_at = 0;  // Unix seconds; invites count in [starts_at, ends_at)
  std::int64_t ends_at = 0;
  CampaignTriggers triggers;
  std::vector<CampaignTier> tiers;  // strictly increasing invites
  CampaignRules rules;
  static constexpr std::size_t kMaxTiers = 10;
  static constexpr std::size_t kMaxNameBytes = 200;
  static constexpr std::size_t kMaxTriggers = 50;
  static constexpr std::size_t kMaxRewardBytes = 600;
};

// Every problem of a campaign, each naming its field ("tiers[1].invites") with a stable code:
// required, too_long, out_of_range, range_reversed, not_increasing, too_many, no_trigger.
[[nodiscard]] Status validate_campaign(const Campaign& campaign);

// The participant's scene, and the ids back from one (nothing for any other scene).
struct InviteScene {
  std::int64_t campaign_id = 0;
  std::int64_t participant_id = 0;
  friend bool operator==(const InviteScene&, const InviteScene&) = default;
};
[[nodiscard]] std::string invite_scene(InviteScene ids);
[[nodiscard]] std::optional<InviteScene> parse_invite_scene(std::string_view scene) noexcept;

// Whether `event` makes its sender a participant of `campaign`: a trigger, inside the window.
// `channel_id` is the channel the event was credited to (0: none).
[[nodiscard]] bool joins_campaign(const Campaign& campaign, const Event& event, std::int64_t channel_id) noexcept;

// A follow through a participant's code, and what is known of both people.
struct InviteFacts {
  std::int64_t followed_at = 0;            // the follow's CreateTime
  std::string invitee_openid;
  bool invitee_followed_before = false;    // any earlier subscription to the account
  std::string inviter_openid;
  int inviter_counted_this_hour = 0;       // the inviter's counted invites in the follow's clock hour
};

enum class InviteOutcome : std::uint8_t {
  kCounted,
  kNotFirstFollow,  // the friend followed the account before: only first-ever follows count
  kSelfInvite,      // the participant scanned their own code
  kOverHourlyCap,   // the inviter's hourly cap is reached
  kOutsideWindow,   // before the campaign starts or after it ends
};
[[nodiscard]] std::string_view to_string(InviteOutcome outcome) noexcept;

[[nodiscard]] InviteOutcome decide_invite(const Campaign& campaign, const InviteFacts& facts) noexcept;

// A counted invite whose invitee unfollows at `unfollowed_at`: taken back when it happened within
// keep_seconds of the follow, or before the inviter was rewarded for the tier the invite counted
// toward (`rewarded_invites`: the highest tier's `invites` granted to the inviter so far, 0 if none;
// `position`: the invite's place among the inviter's counted invites, 1-based, when it counted).
[[nodiscard]] bool takes_back(const Campaign& campaign, std::int64_t followed_at, std::int64_t unfollowed_at,
                              int position, int rewarded_invites) noexcept;

// The tiers a count reaches that were not granted yet (`granted`: the tiers' `invites` already
// granted to the participant), lowest first. A count that falls after a take-back and rises again
// grants nothing twice.
[[nodiscard]] std::vector<CampaignTier> tiers_to_grant(const Campaign& campaign, int counted,
                                                       const std::vector<int>& granted);

// What the inviter is told after a change of their count: the next tier's distance ("还差 2 人"),
// or that every tier is reached. `taken_back`: the change was a take-back.
struct ProgressTexts {
  std::string counted = "好友 {invitee} 助力成功！已邀请 {count} 人，还差 {left} 人可得：{reward}";
  std::string taken_back = "好友 {invitee} 已取消关注，助力已撤回。已邀请 {count} 人，还差 {left} 人可得：{reward}";
  std::string done = "已邀请 {count} 人，所有奖励均已达成，感谢参与！";
};
[[nodiscard]] std::string progress_text(const Campaign& campaign, int counted, bool taken_back,
                                        std::string_view invitee, const ProgressTexts& texts = {});

}  // namespace qrscene::domain
