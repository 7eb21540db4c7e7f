// The work an applied event leaves for later (DESIGN.md §3): typed, decided here from the event
// and its ingest plan, kept by the store (as it likes) and run by service::JobRunner.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/ingest.h"

namespace qrscene::domain {

// Put a follower in a WeChat tag (tags/members/batchtagging, up to 50 a call).
struct TagJob {
  std::string openid;
  std::int64_t tag_id = 0;
  friend bool operator==(const TagJob&, const TagJob&) = default;
};

// Read a new follower's unionid and tags (user/info/batchget) for the follower list.
struct ProfileJob {
  std::string openid;
  friend bool operator==(const ProfileJob&, const ProfileJob&) = default;
};

// Tell the account's backend of an event ([jobs] webhook_url; docs/api.md names the fields).
struct WebhookJob {
  std::int64_t event_id = 0;
  std::string appid;
  std::string openid;
  std::string event;  // WeChat's Event or MsgType
  EventKind kind = EventKind::kOther;
  std::optional<std::int64_t> channel_id;
  std::string scene;
  std::string ticket;
  std::string key;  // a menu event's EventKey
  std::int64_t create_time = 0;
  friend bool operator==(const WebhookJob&, const WebhookJob&) = default;
};

// Tell the account's backend that a channel needs a marketer ([jobs] webhook_url):
// "channel.expiring" (its code dies within the warning window and will not be renewed) or
// "channel.renewal_failed" (WeChat refused to renew an evergreen code; `error` says why).
struct ChannelNoticeJob {
  std::string notice;
  std::string appid;
  std::int64_t channel_id = 0;
  std::string name;
  std::string scene;
  std::string url;
  std::int64_t expires_at = 0;
  std::string error;
  std::int64_t at = 0;  // when qrscene noticed
  friend bool operator==(const ChannelNoticeJob&, const ChannelNoticeJob&) = default;
};

// A fission campaign's participant gets their poster: their code made (or renewed, same scene) when
// it has none or it dies soon, the poster composed and uploaded (again when the upload is near its
// 3 days), then sent as an image inside the 48-hour window, or a template outside it.
struct CampaignPosterJob {
  std::int64_t campaign_id = 0;
  std::int64_t participant_id = 0;
  friend bool operator==(const CampaignPosterJob&, const CampaignPosterJob&) = default;
};

// A text for a participant (progress, a reward): a customer-service message inside the 48-hour
// window, the campaign's template outside it. `reward_id` (0: none): the reward it delivers.
struct CampaignMessageJob {
  std::int64_t campaign_id = 0;
  std::int64_t participant_id = 0;
  std::string text;
  int count = 0;                // the participant's count when it was decided ({count} in a template)
  std::string reward;           // the reward's text ({reward} in a template)
  std::int64_t reward_id = 0;
  friend bool operator==(const CampaignMessageJob&, const CampaignMessageJob&) = default;
};

// Tell the account's backend of a granted reward (webhook campaign.reward, idempotent by its id).
struct CampaignRewardJob {
  std::int64_t reward_id = 0;
  friend bool operator==(const CampaignRewardJob&, const CampaignRewardJob&) = default;
};

using JobPayload = std::variant<TagJob, ProfileJob, WebhookJob, ChannelNoticeJob, CampaignPosterJob,
                                CampaignMessageJob, CampaignRewardJob>;

// "tag", "profile", "webhook", "channel", "campaign_poster", "campaign_message" or
// "campaign_reward": the job's kind as stored and logged.
[[nodiscard]] std::string_view job_kind(const JobPayload& payload) noexcept;

// The follower a job of plan_jobs concerns (their unfollow drops it before it runs): tag and profile
// jobs. (store::CampaignStep names its own: a participant's poster concerns them, a message to an
// inviter does not — the runner finds the inviter gone.)
// A webhook concerns no follower, so the backend also hears of the unfollow itself.
[[nodiscard]] bool concerns_follower(const JobPayload& payload) noexcept;

struct JobRules {
  bool profile_followers = true;                 // a ProfileJob per new follower
  bool forward_events = false;                   // a WebhookJob per attributed event
  std::span<const std::string> forward_kinds;    // and per event of these kinds (is_forwarded)
};

// The jobs an event makes once applied (its plan from plan_ingest); `event_id` is its log id.
[[nodiscard]] std::vector<JobPayload> plan_jobs(const Event& event, std::int64_t event_id, const IngestPlan& plan,
                                                const JobRules& rules);

}  // namespace qrscene::domain
