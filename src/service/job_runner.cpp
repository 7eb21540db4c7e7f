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

namespace qrscene::service {

namespace {
constexpr std::int64_t kInvalidOpenid = 40003;  // WeChat: not a follower of this account
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

}  // namespace qrscene::service
