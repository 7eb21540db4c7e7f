#include "service/job_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <map>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/log_text.h"
#include "base/strings.h"
#include "service/campaign_poster.h"

namespace qrscene::service {

namespace {
constexpr std::int64_t kInvalidOpenid = 40003;  // WeChat: not a follower of this account
constexpr std::int64_t kOutOfWindow = 45015;    // WeChat: no customer-service message after 48 hours
constexpr std::int64_t kOutOfReplies = 45047;   // WeChat: the replies the user's last message opened are spent
constexpr std::int64_t kWindowSeconds = 48 * 3600;
}  // namespace

std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body) {
  const std::string message = fmt::format("{}.{}", timestamp, body);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &length);
  return "sha256=" + to_hex(std::span<const std::uint8_t>(mac.data(), length));
}

std::string webhook_body(const domain::WebhookJob& event) {
  return nlohmann::json{{"event_id", event.event_id},
                        {"appid", event.appid},
                        {"openid", event.openid},
                        {"event", event.event},
                        {"kind", domain::to_string(event.kind)},
                        {"channel_id", event.channel_id ? nlohmann::json(*event.channel_id) : nlohmann::json()},
                        {"scene", event.scene},
                        {"ticket", event.ticket},
                        {"key", event.key},
                        {"create_time", event.create_time}}
      .dump();
}

std::string webhook_body(const domain::ChannelNoticeJob& n) {
  return nlohmann::json{{"event", n.notice},
                        {"appid", n.appid},
                        {"channel_id", n.channel_id},
                        {"name", n.name},
                        {"scene", n.scene},
                        {"url", n.url},
                        {"expires_at", n.expires_at},
                        {"error", n.error},
                        {"at", n.at}}
      .dump();
}

std::string webhook_body(const domain::CampaignReward& r, const domain::Campaign& c) {
  return nlohmann::json{{"event", "campaign.reward"},
                        {"id", fmt::format("reward-{}", r.id)},
                        {"reward_id", r.id},
                        {"appid", c.appid},
                        {"campaign_id", c.id},
                        {"campaign", c.name},
                        {"participant_id", r.participant_id},
                        {"openid", r.openid},
                        {"unionid", r.unionid},
                        {"tier", r.tier_invites},
                        {"reward_code", r.reward_code},
                        {"reward_text", r.reward_text},
                        {"granted_at", r.granted_at}}
      .dump();
}

JobRunner::JobRunner(domain::JobQueue& queue, domain::FollowerRepository& followers, wechat::AccountClients& clients,
                     wechat::HttpTransport& transport, const Clock& clock, JobRunnerOptions options)
    : queue_(queue), followers_(followers), clients_(clients), transport_(transport), clock_(clock), options_(std::move(options)) {}

void JobRunner::settle(const domain::Job& job, const Status& outcome, JobRunReport& report) {
  if (outcome) {
    if (queue_.finish_job(job.id)) ++report.done;
    return;
  }
  const int runs = job.attempts + 1;
  if (runs >= options_.max_attempts) {
    (void)queue_.retry_job(job.id, outcome.error().message, std::nullopt);
    ++report.failed;
    return;
  }
  std::int64_t backoff = options_.initial_backoff_seconds;
  for (int i = 1; i < runs && backoff < options_.max_backoff_seconds; ++i) backoff *= 2;
  backoff = std::min(backoff, options_.max_backoff_seconds);
  (void)queue_.retry_job(job.id, outcome.error().message, clock_.unix_seconds() + backoff);
  ++report.retried;
}

Status JobRunner::post_webhook(const domain::Job& job, std::string body) {
  if (options_.webhook_url.empty()) {
    return unexpected(ErrorCode::kFailedPrecondition, "no webhook URL is configured ([jobs] webhook_url)");
  }
  wechat::HttpCall call;
  call.method = "POST";
  call.url = options_.webhook_url;
  call.body = std::move(body);
  call.timeout = options_.webhook_timeout;
  const std::int64_t now = clock_.unix_seconds();
  call.headers = {{"Content-Type", "application/json"},
                  {"X-Qrscene-Timestamp", std::to_string(now)},
                  {"X-Qrscene-Signature", webhook_signature(options_.webhook_secret.reveal(), now, call.body)},
                  {"X-Qrscene-Delivery", std::to_string(job.id)}};
  QRSCENE_ASSIGN_OR_RETURN(auto reply, transport_.send(call));
  if (reply.status < 200 || reply.status > 299) {
    return unexpected(ErrorCode::kUnavailable, fmt::format("webhook answered HTTP {}", reply.status));
  }
  return {};
}

Result<JobRunReport> JobRunner::run_once() {
  JobRunReport report;
  QRSCENE_ASSIGN_OR_RETURN(auto jobs,
                           queue_.claim_jobs(clock_.unix_seconds(), options_.batch, options_.stale_after_seconds));
  // Tag jobs grouped by account and tag, so one call tags up to 50 followers.
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::pair<domain::Job, std::string>>> tagging;
  std::map<std::string, std::vector<std::pair<domain::Job, std::string>>> profiling;  // by account
  for (const auto& job : jobs) {
    if (const auto* event = std::get_if<domain::WebhookJob>(&job.payload)) {
      settle(job, post_webhook(job, webhook_body(*event)), report);
    } else if (const auto* notice = std::get_if<domain::ChannelNoticeJob>(&job.payload)) {
      settle(job, post_webhook(job, webhook_body(*notice)), report);
    } else if (const auto* poster = std::get_if<domain::CampaignPosterJob>(&job.payload)) {
      if (auto outcome = run_poster(job, *poster, report)) settle(job, *outcome, report);
    } else if (const auto* message = std::get_if<domain::CampaignMessageJob>(&job.payload)) {
      if (auto outcome = run_message(job, *message, report)) settle(job, *outcome, report);
    } else if (const auto* reward = std::get_if<domain::CampaignRewardJob>(&job.payload)) {
      settle(job, run_reward(job, *reward), report);
    } else if (const auto* profile = std::get_if<domain::ProfileJob>(&job.payload)) {
      profiling[job.appid].emplace_back(job, profile->openid);
    } else {
      const auto& tag = std::get<domain::TagJob>(job.payload);
      tagging[{job.appid, tag.tag_id}].emplace_back(job, tag.openid);
    }
  }
  for (auto& [key, members] : tagging) {
    auto client = clients_.get(key.first);
    for (std::size_t at = 0; at < members.size(); at += 50) {
      const std::size_t end = std::min(members.size(), at + 50);
      Status outcome = client ? Status{} : Status(client.error());
      if (client) {
        std::vector<std::string> openids;
        for (std::size_t i = at; i < end; ++i) openids.push_back(members[i].second);
        outcome = (*client)->tag_users(key.second, openids);
        ++report.api_calls;
        if (!outcome && outcome.error().detail == kInvalidOpenid) {
          // Someone in the batch left (their unfollow push may still be on its way) and WeChat
          // refuses the whole batch for them: each is tagged alone, and whoever is refused alone
          // needs no tag any more; their job ends.
          for (std::size_t i = at; i < end; ++i) {
            Status alone = outcome;
            if (end - at > 1) {
              alone = (*client)->tag_users(key.second, std::span(&members[i].second, 1));
              ++report.api_calls;
            }
            if (!alone && alone.error().detail == kInvalidOpenid) {
              spdlog::info("job tag_skipped job={} reason=\"not a follower any more\"", members[i].first.id);
              alone = Status{};
            }
            settle(members[i].first, alone, report);
          }
          continue;
        }
      }
      for (std::size_t i = at; i < end; ++i) settle(members[i].first, outcome, report);
    }
  }
  for (auto& [appid, members] : profiling) {
    std::optional<std::map<std::int64_t, std::string>> tag_names;
    std::vector<std::string> openids;
    for (const auto& m : members) openids.push_back(m.second);
    const Status outcome = fetch_profiles(appid, openids, tag_names, report);
    if (outcome || outcome.error().detail != kInvalidOpenid) {
      for (const auto& m : members) settle(m.first, outcome, report);
      continue;
    }
    // One openid WeChat does not know fails the whole batchget (40003): each is read alone, and
    // whoever is refused alone has no profile to read; their job ends, the others' profiles are kept.
    for (const auto& m : members) {
      Status alone = members.size() > 1 ? fetch_profiles(appid, {m.second}, tag_names, report) : outcome;
      if (!alone && alone.error().detail == kInvalidOpenid) {
        spdlog::info("job profile_skipped job={} reason=\"WeChat does not know the openid (40003)\"", m.first.id);
        alone = Status{};
      }
      settle(m.first, alone, report);
    }
  }
  return report;
}

Status JobRunner::fetch_profiles(const std::string& appid, const std::vector<std::string>& openids,
                                 std::optional<std::map<std::int64_t, std::string>>& tag_names, JobRunReport& report) {
  QRSCENE_ASSIGN_OR_RETURN(auto* client, clients_.get(appid));
  auto users = client->users_info(openids);
  report.api_calls += static_cast<std::int64_t>((openids.size() + 99) / 100);
  if (!users) return Status(users.error());
  bool tagged = false;
  for (const auto& u : *users) tagged = tagged || !u.tagid_list.empty();
  if (tagged && !tag_names) {
    QRSCENE_ASSIGN_OR_RETURN(auto tags, client->tags());
    ++report.api_calls;
    tag_names.emplace();
    for (const auto& t : tags) (*tag_names)[t.id] = t.name;
  }
  static const std::map<std::int64_t, std::string> kNone;
  const auto& names = tag_names ? *tag_names : kNone;
  std::vector<domain::FollowerProfile> profiles;
  for (const auto& u : *users) {
    domain::FollowerProfile p{u.openid, u.unionid, {}};
    for (auto id : u.tagid_list) {
      auto it = names.find(id);
      p.tags.push_back(it != names.end() ? it->second : std::to_string(id));
    }
    profiles.push_back(std::move(p));
  }
  return followers_.set_follower_profiles(appid, profiles, clock_.unix_seconds());
}

void JobRunner::give_up(const domain::Job& job, const std::string& why, JobRunReport& report) {
  spdlog::warn("job given_up job={} kind={} reason={}", job.id, domain::job_kind(job.payload), why);
  (void)queue_.retry_job(job.id, why, std::nullopt);
  ++report.failed;
}

std::optional<Status> JobRunner::tell(const domain::Job& job, const domain::Campaign& c, const domain::Participant& p,
                                      const std::string& text, int count, const std::string& reward,
                                      JobRunReport& report) {
  auto client = clients_.get(job.appid);
  if (!client) return Status(client.error());
  const std::int64_t now = clock_.unix_seconds();
  if (now - p.last_seen_at < kWindowSeconds) {
    wechat::CustomMessage m;
    m.touser = p.openid;
    m.msgtype = "text";
    m.content = text;
    Status sent = (*client)->send_message(m);
    ++report.api_calls;
    if (sent || (sent.error().detail != kOutOfWindow && sent.error().detail != kOutOfReplies)) return sent;
  }
  if (c.notify_template.template_id.empty()) {
    give_up(job, "the participant is outside WeChat's 48-hour window and the campaign has no template "
                 "(notify_template) to reach them",
            report);
    return std::nullopt;
  }
  wechat::TemplateMessage t;
  t.touser = p.openid;
  t.template_id = c.notify_template.template_id;
  t.client_msg_id = fmt::format("qrscene-job-{}", job.id);  // a retry is sent once
  const std::string counted = std::to_string(count);
  for (const auto& [key, value] : c.notify_template.fields) {
    t.data[key] = wechat::TemplateField{
        fill_placeholders(value, {{"text", text}, {"count", counted}, {"reward", reward}, {"campaign", c.name}}), ""};
  }
  auto sent = (*client)->send_template(t);
  ++report.api_calls;
  if (!sent) return Status(sent.error());
  return Status{};
}

Result<std::string> JobRunner::background_of(const domain::Campaign& c) {
  if (!c.poster.has_background) return std::string();
  if (background_.first != c.id) {
    QRSCENE_ASSIGN_OR_RETURN(auto bytes, campaigns_->campaign_background(c.id));
    background_ = {c.id, std::move(bytes)};
  }
  return background_.second;
}

std::optional<Status> JobRunner::run_poster(const domain::Job& job, const domain::CampaignPosterJob& j,
                                            JobRunReport& report) {
  if (campaigns_ == nullptr) return Status(unexpected(ErrorCode::kFailedPrecondition, "campaigns are not served here"));
  auto p = campaigns_->participant(j.participant_id);
  if (!p) return Status(p.error());
  if (p->openid.empty()) return Status{};  // they left: no poster for nobody
  auto c = campaigns_->campaign(j.campaign_id);
  if (!c) return Status(c.error());
  auto client = clients_.get(job.appid);
  if (!client) return Status(client.error());
  const std::int64_t now = clock_.unix_seconds();
  // Renewed when it ends soon, unless it outlives the campaign anyway (its last days).
  if (p->ticket.empty() ||
      (p->code_expires_at - now < options_.code_renew_margin_seconds && p->code_expires_at < c->ends_at)) {
    // Made anew with the same scene: a new ticket and URL; the old code lives to its own expiry.
    wechat::QrRequest request;
    request.kind = wechat::QrKind::kTemporary;
    request.scene_str = p->scene;
    request.expire_seconds = code_lifetime_seconds(*c, now);
    auto made = (*client)->create_qrcode(request);
    ++report.api_calls;
    if (!made) return Status(made.error());
    p->ticket = made->ticket;
    p->url = made->url;
    p->code_expires_at = made->expires_at;
    p->media_id.clear();
    if (auto kept = campaigns_->set_participant_code(p->id, p->ticket, p->url, p->code_expires_at); !kept) return kept;
  }
  // Inside the window the poster goes as an image; outside it nothing is drawn or uploaded.
  if (now - p->last_seen_at < kWindowSeconds) {
    if (p->media_id.empty() || p->media_expires_at - now < options_.media_renew_margin_seconds) {
      auto background = background_of(*c);
      if (!background) return Status(background.error());
      auto composed = qr::compose_poster(
          poster_spec(*c, *background, p->url, p->code_expires_at, options_.utc_offset_seconds));
      if (!composed) return Status(composed.error());
      const bool png = c->poster.format == "png";
      auto uploaded = (*client)->upload_media(wechat::MediaType::kImage, png ? "poster.png" : "poster.jpg", *composed);
      ++report.api_calls;
      if (!uploaded) return Status(uploaded.error());
      p->media_id = uploaded->media_id;
      p->media_expires_at = uploaded->expires_at;
      // Kept at once: a send that fails now is retried with this upload, not another.
      if (auto kept = campaigns_->set_participant_media(p->id, p->media_id, p->media_expires_at); !kept) return kept;
    }
    wechat::CustomMessage m;
    m.touser = p->openid;
    m.msgtype = "image";
    m.media_id = p->media_id;
    Status sent = (*client)->send_message(m);
    ++report.api_calls;
    if (sent) return campaigns_->poster_sent(p->id);
    if (sent.error().detail != kOutOfWindow && sent.error().detail != kOutOfReplies) return sent;
  }
  // Outside the window (or its replies spent) an image cannot be sent: the template says a new
  // poster waits for them.
  std::string ask = c->triggers.keywords.empty() ? std::string("进入公众号") : "回复「" + c->triggers.keywords.front() + "」";
  return tell(job, *c, *p, fmt::format("你的专属海报已更新，{}即可领取", ask), p->counted, "", report);
}

std::optional<Status> JobRunner::run_message(const domain::Job& job, const domain::CampaignMessageJob& j,
                                             JobRunReport& report) {
  if (campaigns_ == nullptr) return Status(unexpected(ErrorCode::kFailedPrecondition, "campaigns are not served here"));
  const std::int64_t now = clock_.unix_seconds();
  // The reward's error is shown by the API: WeChat's words, or fixed ones (a database's text is
  // logged, never stored there).
  auto shown = [&](const Error& e) {
    if (e.detail != 0) return e.message;
    spdlog::warn("job reward_not_delivered job={} reason={}", job.id, log_text(e.message));
    return fmt::format("could not be delivered ({}): see the service's log for job {}", error_code_name(e.code), job.id);
  };
  auto record = [&](std::string_view state, std::string_view error) {
    if (j.reward_id == 0) return;
    if (auto r = campaigns_->set_reward_state(j.reward_id, state, error, now); !r) {
      spdlog::warn("job reward_state_failed job={} reason={}", job.id, log_text(r.error().message));
    }
  };
  const bool last_run = job.attempts + 1 >= options_.max_attempts;
  auto p = campaigns_->participant(j.participant_id);
  if (!p) {
    if (last_run) record("failed", shown(p.error()));
    return Status(p.error());
  }
  if (p->openid.empty()) {
    record("failed", "the participant unfollowed before they could be told");
    return Status{};
  }
  auto c = campaigns_->campaign(j.campaign_id);
  if (!c) {
    if (last_run) record("failed", shown(c.error()));
    return Status(c.error());
  }
  auto outcome = tell(job, *c, *p, j.text, j.count, j.reward, report);
  if (!outcome) {
    record("failed", "outside the 48-hour window, and no template to fall back on");
  } else if (*outcome) {
    record("delivered", "");
  } else if (last_run) {
    record("failed", shown(outcome->error()));
  }
  return outcome;
}

Status JobRunner::run_reward(const domain::Job& job, const domain::CampaignRewardJob& j) {
  if (campaigns_ == nullptr) return unexpected(ErrorCode::kFailedPrecondition, "campaigns are not served here");
  QRSCENE_ASSIGN_OR_RETURN(auto reward, campaigns_->campaign_reward(j.reward_id));
  if (reward.openid.empty()) {
    // They left before the backend heard: a reward nobody can be given (its message says failed).
    spdlog::info("job reward_skipped job={} reward={} reason=\"the participant unfollowed\"", job.id, reward.id);
    return {};
  }
  QRSCENE_ASSIGN_OR_RETURN(auto campaign, campaigns_->campaign(reward.campaign_id));
  return post_webhook(job, webhook_body(reward, campaign));
}

}  // namespace qrscene::service
