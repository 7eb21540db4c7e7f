// JobRunner: the work that follows a durable event (DESIGN.md section 3), taken from the store's
// job queue, retried with backoff and visible in its counts.
//
// - "tag": puts new followers in their channel's WeChat tag, one batchtagging call per 50
//   followers of the same tag.
// - "profile": reads new followers' unionid and tags from WeChat (user/info/batchget, 100 per call,
//   and the account's tag names once per run) for the follower list. Tag jobs run first, so the
//   channel's own tag is among them.
// - "webhook": forwards an attributed event as JSON to the configured URL, so an existing backend
//   keeps working. The request carries X-Qrscene-Timestamp and X-Qrscene-Signature:
//   "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body); a receiver recomputes it and
//   refuses stale timestamps. Any 2xx is success.
//
// - "campaign_poster", "campaign_message", "campaign_reward" (fission campaigns, docs/campaigns.md):
//   a participant's code made or renewed and their poster drawn, uploaded and sent as an image
//   inside WeChat's 48-hour window; progress and reward texts, by the campaign's template when
//   WeChat refuses a customer-service message (45015, 45047); the signed campaign.reward webhook.
//
// A failed job runs again after initial_backoff, doubling to max_backoff, and is marked failed
// after max_attempts runs (its last error kept).
// Thread safety: run_once() from one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/redact.h"
#include "domain/ports.h"
#include "wechat/account_clients.h"
#include "wechat/http_transport.h"

namespace qrscene::service {

struct JobRunnerOptions {
  std::string webhook_url;  // "" = webhook jobs fail with advice
  Secret webhook_secret;
  std::chrono::milliseconds webhook_timeout{5'000};
  std::size_t batch = 500;             // jobs claimed per run
  int max_attempts = 8;
  std::int64_t initial_backoff_seconds = 30;
  std::int64_t max_backoff_seconds = 3'600;
  std::int64_t stale_after_seconds = 300;  // a job left running this long is claimed again
  std::int64_t utc_offset_seconds = 8 * 3600;  // the account's days ({expires} on posters)
  // A participant's code is made anew when it has less than this left; WeChat's temporary codes
  // live 30 days at most.
  std::int64_t code_renew_margin_seconds = 2 * 86'400;
  // An uploaded poster is uploaded again when it has less than this left of its 3 days.
  std::int64_t media_renew_margin_seconds = 3'600;
};

struct JobRunReport {
  std::int64_t done = 0;
  std::int64_t retried = 0;
  std::int64_t failed = 0;
  std::int64_t api_calls = 0;  // WeChat calls made (batchtagging, user info, tag lists)
};

// "sha256=" + lower-case hex HMAC-SHA256(secret, timestamp + "." + body).
[[nodiscard]] std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body);

// The webhook's body (docs/api.md): one JSON object, its keys in alphabetical order, channel_id
// null for an event without a channel.
[[nodiscard]] std::string webhook_body(const domain::WebhookJob& event);
// A granted reward's body: {appid, campaign, campaign_id, event ("campaign.reward"), granted_at, id
// ("reward-<id>": the receiver's idempotency key), openid, participant_id, reward_code, reward_id,
// reward_text, tier, unionid}, keys in order, signed as an event's.
[[nodiscard]] std::string webhook_body(const domain::CampaignReward& reward, const domain::Campaign& campaign);
// A channel notice's body: {appid, at, channel_id, error, event ("channel.expiring" or
// "channel.renewal_failed"), expires_at, name, scene, url}, keys in order, signed as an event's.
[[nodiscard]] std::string webhook_body(const domain::ChannelNoticeJob& notice);

class JobRunner {
 public:
  JobRunner(domain::JobQueue& queue, domain::FollowerRepository& followers, wechat::AccountClients& clients, wechat::HttpTransport& transport,
            const Clock& clock, JobRunnerOptions options);

  // Fission campaigns' jobs (posters, messages, reward webhooks) read and record through this; set
  // before the first run_once() (without it those jobs fail, saying so).
  void serve_campaigns(domain::CampaignRepository& campaigns) noexcept { campaigns_ = &campaigns; }

  // Runs every due job once.
  [[nodiscard]] Result<JobRunReport> run_once();

 private:
  void settle(const domain::Job& job, const Status& outcome, JobRunReport& report);
  Status post_webhook(const domain::Job& job, std::string body);
  // Campaign jobs: the outcome, or nothing when the job was given up for good already (a message
  // outside the 48-hour window without a template).
  std::optional<Status> run_poster(const domain::Job& job, const domain::CampaignPosterJob& poster, JobRunReport& report);
  std::optional<Status> run_message(const domain::Job& job, const domain::CampaignMessageJob& message,
                                    JobRunReport& report);
  Status run_reward(const domain::Job& job, const domain::CampaignRewardJob& reward);
  // A text to a participant: inside the window as a customer-service message, else the template.
  std::optional<Status> tell(const domain::Job& job, const domain::Campaign& campaign, const domain::Participant& p,
                             const std::string& text, int count, const std::string& reward, JobRunReport& report);
  void give_up(const domain::Job& job, const std::string& why, JobRunReport& report);
  // The campaign's background bytes, the last campaign's kept ("" without one).
  Result<std::string> background_of(const domain::Campaign& campaign);
  // Reads the followers' profiles (unionid, tags) and stores them; `tag_names` is the account's tag
  // list, read once a run when a profile names a tag.
  Status fetch_profiles(const std::string& appid, const std::vector<std::string>& openids,
                        std::optional<std::map<std::int64_t, std::string>>& tag_names, JobRunReport& report);

  domain::JobQueue& queue_;
  domain::FollowerRepository& followers_;
  wechat::AccountClients& clients_;
  wechat::HttpTransport& transport_;
  const Clock& clock_;
  JobRunnerOptions options_;
  domain::CampaignRepository* campaigns_ = nullptr;
  std::pair<std::int64_t, std::string> background_;  // (campaign id, bytes) of the last poster drawn
};

}  // namespace qrscene::service
