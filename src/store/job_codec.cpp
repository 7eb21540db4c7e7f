#include "store/job_codec.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace qrscene::store {
namespace {

using Json = nlohmann::json;

}  // namespace

std::string encode_job(const domain::JobPayload& payload) {
  struct Encode {
    Json operator()(const domain::TagJob& j) const { return {{"openid", j.openid}, {"tag_id", j.tag_id}}; }
    Json operator()(const domain::ProfileJob& j) const { return {{"openid", j.openid}}; }
    Json operator()(const domain::WebhookJob& j) const {
      return {{"event_id", j.event_id},
              {"appid", j.appid},
              {"openid", j.openid},
              {"event", j.event},
              {"kind", domain::to_string(j.kind)},
              {"channel_id", j.channel_id ? Json(*j.channel_id) : Json()},
              {"scene", j.scene},
              {"ticket", j.ticket},
              {"key", j.key},
              {"create_time", j.create_time}};
    }
    Json operator()(const domain::ChannelNoticeJob& j) const {
      return {{"notice", j.notice},         {"appid", j.appid}, {"channel_id", j.channel_id},
              {"name", j.name},             {"scene", j.scene}, {"url", j.url},
              {"expires_at", j.expires_at}, {"error", j.error}, {"at", j.at}};
    }
    Json operator()(const domain::CampaignPosterJob& j) const {
      return {{"campaign_id", j.campaign_id}, {"participant_id", j.participant_id}};
    }
    Json operator()(const domain::CampaignMessageJob& j) const {
      return {{"campaign_id", j.campaign_id}, {"participant_id", j.participant_id}, {"text", j.text},
              {"count", j.count},             {"reward", j.reward},                 {"reward_id", j.reward_id}};
    }
    Json operator()(const domain::CampaignRewardJob& j) const { return {{"reward_id", j.reward_id}}; }
  };
  return std::visit(Encode{}, payload).dump();
}

Result<domain::JobPayload> decode_job(std::string_view kind, std::string_view payload) {
  const Json j = Json::parse(payload, nullptr, false);
  auto malformed = [&](std::string_view why) {
    return unexpected(ErrorCode::kInternal, fmt::format("a stored {} job is malformed: {}", kind, why));
  };
  if (!j.is_object()) return malformed("not a JSON object");
  auto text = [&](const char* name) -> std::optional<std::string> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto number = [&](const char* name) -> std::optional<std::int64_t> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
  };
  if (kind == "channel") {
    domain::ChannelNoticeJob n;
    const auto notice = text("notice"), appid = text("appid");
    const auto id = number("channel_id"), expires = number("expires_at"), at = number("at");
    if (!notice || !appid || !id || !expires || !at) return malformed("a field is missing");
    n.notice = *notice;
    n.appid = *appid;
    n.channel_id = *id;
    n.name = text("name").value_or("");
    n.scene = text("scene").value_or("");
    n.url = text("url").value_or("");
    n.expires_at = *expires;
    n.error = text("error").value_or("");
    n.at = *at;
    return domain::JobPayload(std::move(n));
  }
  if (kind == "campaign_poster") {
    const auto campaign = number("campaign_id"), participant = number("participant_id");
    if (!campaign || !participant) return malformed("a field is missing");
    return domain::JobPayload(domain::CampaignPosterJob{*campaign, *participant});
  }
  if (kind == "campaign_message") {
    const auto campaign = number("campaign_id"), participant = number("participant_id");
    const auto message = text("text");
    if (!campaign || !participant || !message) return malformed("a field is missing");
    return domain::JobPayload(domain::CampaignMessageJob{*campaign, *participant, *message,
                                                         static_cast<int>(number("count").value_or(0)),
                                                         text("reward").value_or(""), number("reward_id").value_or(0)});
  }
  if (kind == "campaign_reward") {
    const auto reward = number("reward_id");
    if (!reward) return malformed("no reward_id");
    return domain::JobPayload(domain::CampaignRewardJob{*reward});
  }
  const auto openid = text("openid");
  if (!openid) return malformed("no openid");
  if (kind == "profile") return domain::JobPayload(domain::ProfileJob{*openid});
  if (kind == "tag") {
    const auto tag = number("tag_id");
    if (!tag) return malformed("no tag_id");
    return domain::JobPayload(domain::TagJob{*openid, *tag});
  }
  if (kind == "webhook") {
    domain::WebhookJob w;
    const auto id = number("event_id"), created = number("create_time");
    const auto appid = text("appid"), event = text("event"), event_kind = text("kind");
    if (!id || !created || !appid || !event || !event_kind) return malformed("a field is missing");
    w.event_id = *id;
    w.appid = *appid;
    w.openid = *openid;
    w.event = *event;
    w.kind = domain::event_kind_from(*event_kind);
    w.channel_id = number("channel_id");
    w.scene = text("scene").value_or("");
    w.ticket = text("ticket").value_or("");
    w.key = text("key").value_or("");
    w.create_time = *created;
    return domain::JobPayload(std::move(w));
  }
  return malformed("an unknown kind");
}

}  // namespace qrscene::store
