#include "domain/jobs.h"

namespace qrscene::domain {

std::string_view job_kind(const JobPayload& payload) noexcept {
  struct Kind {
    std::string_view operator()(const TagJob&) const { return "tag"; }
    std::string_view operator()(const ProfileJob&) const { return "profile"; }
    std::string_view operator()(const WebhookJob&) const { return "webhook"; }
    std::string_view operator()(const ChannelNoticeJob&) const { return "channel"; }
    std::string_view operator()(const CampaignPosterJob&) const { return "campaign_poster"; }
    std::string_view operator()(const CampaignMessageJob&) const { return "campaign_message"; }
    std::string_view operator()(const CampaignRewardJob&) const { return "campaign_reward"; }
  };
  return std::visit(Kind{}, payload);
}

bool concerns_follower(const JobPayload& payload) noexcept {
  return std::holds_alternative<TagJob>(payload) || std::holds_alternative<ProfileJob>(payload);
}

std::vector<JobPayload> plan_jobs(const Event& event, std::int64_t event_id, const IngestPlan& plan,
                                  const JobRules& rules) {
  std::vector<JobPayload> jobs;
  if (plan.remember_follower && rules.profile_followers) jobs.emplace_back(ProfileJob{event.openid});
  if (plan.tag_job != 0) jobs.emplace_back(TagJob{event.openid, plan.tag_job});
  if (rules.forward_events && (plan.channel_id || is_forwarded(event, rules.forward_kinds))) {
    jobs.emplace_back(WebhookJob{event_id, event.appid, event.openid, event.name, event.kind, plan.channel_id,
                                 event.scene, event.ticket, event.key, event.create_time});
  }
  return jobs;
}

}  // namespace qrscene::domain
