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
#include <map>
#include <span>
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

// What the inviter is told after a change of their count ({count}, {left}, {reward}): the next
// tier's distance ("还差 2 人"), or that every tier is reached. WeChat gives no nicknames, so the
// friend is not named.
struct ProgressTexts {
  std::string counted = "又有 1 位好友为你助力！已邀请 {count} 人，还差 {left} 人可得：{reward}";
  std::string taken_back = "1 位好友已取消关注，助力已撤回。已邀请 {count} 人，还差 {left} 人可得：{reward}";
  std::string done = "已邀请 {count} 人，所有奖励均已达成，感谢参与！";
  std::string reward = "恭喜！你已邀请 {count} 人，获得：{reward}";
};

// A line of the poster ({expires}: the code's last day, yyyy-mm-dd, Beijing; {campaign}: its name).
struct PosterLine {
  std::string text;
  int x = 0;
  int y = 0;  // the baseline
  int size = 40;
  std::string color = "#000000";
  bool bold = false;
  std::string align = "left";  // left, center or right
  int max_width = 0;
  friend bool operator==(const PosterLine&, const PosterLine&) = default;
};

// The poster each participant gets: a background (kept apart: CampaignRepository::
// campaign_background) or a plain canvas, their code in a square, and lines of text.
struct CampaignPoster {
  int width = 1080;  // the plain canvas; with a background its own size
  int height = 1920;
  std::string background_color = "#ffffff";
  bool has_background = false;
  int qr_x = 340;
  int qr_y = 1280;
  int qr_size = 400;
  std::vector<PosterLine> lines;
  std::string format = "jpeg";  // jpeg or png
  friend bool operator==(const CampaignPoster&, const CampaignPoster&) = default;
};

// A template message for a participant outside the 48-hour customer-service window: WeChat's
// template id and each keyword's value, with {text} (the message), {count}, {reward}, {campaign}.
struct CampaignTemplate {
  std::string template_id;  // "": no fallback (a message outside the window fails, named)
  std::map<std::string, std::string> fields;
  friend bool operator==(const CampaignTemplate&, const CampaignTemplate&) = default;
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
  std::string status = "active";  // active, or ended early (ended: nobody joins, no invite counts)
  std::string join_reply = "你的专属海报正在生成，请稍候…";  // the passive reply to a trigger
  std::string invitee_reply;  // the passive reply to a follow through a participant's code ("": the account's)
  bool invitees_join = true;  // a friend who follows or scans through a code gets a poster of their own
  CampaignPoster poster;
  ProgressTexts texts;
  CampaignTemplate notify_template;
  std::int64_t created_at = 0;
  [[nodiscard]] bool running_at(std::int64_t t) const noexcept {
    return status == "active" && t >= starts_at && t < ends_at;
  }
  static constexpr std::int64_t kMaxDays = 366;
  static constexpr std::int64_t kLatestStart = 4'102'444'800;  // 2100-01-01
  static constexpr std::size_t kMaxTiers = 10;
  static constexpr std::size_t kMaxNameBytes = 200;
  static constexpr std::size_t kMaxTriggers = 50;
  static constexpr std::size_t kMaxRewardBytes = 600;
};

// Every problem of a campaign, each naming its field ("tiers[1].invites") with a stable code:
// required, too_long, out_of_range, range_reversed, not_increasing, too_many, no_trigger.
[[nodiscard]] Status validate_campaign(const Campaign& campaign);

// The triggers of `campaign` that an active campaign among `others` of the same account already
// answers in an overlapping window (a follower would join one of them by chance): a problem per
// trigger, field "triggers.keywords[i]" (click_keys, channel_ids), code trigger_taken with params
// campaign and campaign_id. Empty when there is none.
[[nodiscard]] std::vector<FieldError> trigger_clashes(const Campaign& campaign, std::span<const Campaign> others);

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
  std::string inviter_openid;              // "" once the inviter unfollowed
  int inviter_counted_this_hour = 0;       // the inviter's counted invites in the follow's clock hour
};

enum class InviteOutcome : std::uint8_t {
  kCounted,
  kNotFirstFollow,  // the friend followed the account before: only first-ever follows count
  kSelfInvite,      // the participant scanned their own code
  kOverHourlyCap,   // the inviter's hourly cap is reached
  kOutsideWindow,   // before the campaign starts or after it ends
  kInviterLeft,     // the participant unfollowed since: nobody to count for
};
[[nodiscard]] std::string_view to_string(InviteOutcome outcome) noexcept;

[[nodiscard]] InviteOutcome decide_invite(const Campaign& campaign, const InviteFacts& facts) noexcept;

// A counted invite whose invitee unfollows at `unfollowed_at`, while the campaign runs (after it,
// counts and rewards are final): taken back when it happened within
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

[[nodiscard]] std::string progress_text(const Campaign& campaign, int counted, bool taken_back);
// What a participant is told when a tier is granted.
[[nodiscard]] std::string reward_text(const Campaign& campaign, const CampaignTier& tier, int counted);

// Of the account's campaigns, the one `event` makes its sender join, if any: a trigger, or a
// follow or scan through a participant's code of a campaign whose invitees join. Running ones only.
[[nodiscard]] const Campaign* campaign_joined(std::span<const Campaign> campaigns, const Event& event,
                                             std::int64_t channel_id) noexcept;
// The campaign (running or not) a follow or scan through a participant's code names, if any.
[[nodiscard]] const Campaign* campaign_of_scene(std::span<const Campaign> campaigns, const Event& event) noexcept;
// The running campaign a follow or scan through a participant's code belongs to, if any.
[[nodiscard]] const Campaign* campaign_of_invite(std::span<const Campaign> campaigns, const Event& event) noexcept;
// Whether a campaign needs an event nothing else reads (a menu CLICK with one of its keys): it is
// logged then.
[[nodiscard]] bool campaign_wants(std::span<const Campaign> campaigns, const Event& event) noexcept;
// The passive reply a campaign gives `event`, if any (join_reply, or invitee_reply).
[[nodiscard]] std::optional<ReplyChoice> campaign_reply(std::span<const Campaign> campaigns, const Event& event,
                                                        std::int64_t channel_id);

// A participant of a campaign, as the jobs and the API read one.
struct Participant {
  std::int64_t id = 0;
  std::int64_t campaign_id = 0;
  std::string appid;
  std::string openid;  // "" once they unfollowed (their identity goes; counts stay)
  std::int64_t joined_at = 0;
  std::int64_t last_seen_at = 0;  // their last message, menu click, scan or follow (48-hour window)
  std::int64_t invited_by = 0;    // the participant whose code brought them (0: a trigger)
  int generation = 1;             // 1: joined by a trigger; n + 1: brought by a generation-n participant
  int counted = 0;                // invites counting now
  int taken_back = 0;             // invites taken back so far
  int rewarded_invites = 0;       // the highest tier granted (its invites), 0 if none
  std::string scene;
  std::string ticket;             // the code's ("": not made yet)
  std::string url;
  std::int64_t code_expires_at = 0;
  std::string media_id;           // the last poster uploaded ("": none)
  std::int64_t media_expires_at = 0;
  std::int64_t posters_sent = 0;
  std::int64_t left_at = 0;       // when they unfollowed (0: still following)
};

// A tier granted to a participant: granted, then delivered (the participant was told) or failed.
struct CampaignReward {
  std::int64_t id = 0;
  std::int64_t campaign_id = 0;
  std::int64_t participant_id = 0;
  std::string openid;   // "" once they unfollowed
  std::string unionid;  // "" when unknown
  int tier_invites = 0;
  std::string reward_code;
  std::string reward_text;
  std::int64_t granted_at = 0;
  std::string state = "granted";  // granted, delivered or failed
  std::string error;
  std::int64_t updated_at = 0;
};

}  // namespace qrscene::domain
