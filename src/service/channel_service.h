// ChannelService: the channel operations the CLI, the admin API and the dashboard share
// (DESIGN.md section 1.3): create a channel (scene from the account's pool or given, the ticket
// from WeChat through the API client, the WeChat tag found or created), list, show, pause,
// resume, retire; the permanent quota meter; and upkeep — evergreen temporary codes renewed
// before they expire, other temporary codes flagged expired once they have.
//
// Scenes: permanent int scenes are 1..100000, temporary int scenes 100001 and up (domain/channel.h).
// A permanent channel with no scene given reuses the retired permanent int scene no live channel
// holds that was retired longest ago, which costs none of WeChat's quota, as the seeds advise. The
// scene keeps its ticket: events from before the move stay the old channel's, but a poster of the
// old channel still up is now the new channel's (give a scene to avoid that). Otherwise scenes are
// allocated one above the highest the account ever used, so a retired temporary scene is never
// handed out again by accident.
// Re-creating a permanent scene WeChat already knows costs no quota.
//
// Errors: kInvalidArgument for a bad spec (every problem named); kAlreadyExists when a live
// channel holds the scene; kResourceExhausted when the permanent quota or a scene range is used
// up; WeChat's errors as the API client reports them (nothing is stored when WeChat refuses).
// Thread safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/ports.h"
#include "wechat/account_clients.h"

namespace qrscene::service {

struct ChannelSpec {
  std::string appid;
  std::string name;
  std::string group;
  std::string owner;
  domain::ChannelKind kind = domain::ChannelKind::kTemporary;
  std::optional<std::string> scene;  // empty: allocated
  bool string_scene = false;         // a given scene: a string (otherwise an int)
  std::int64_t expire_seconds = 2'592'000;  // temporary codes: 30 days, WeChat's maximum
  bool evergreen = false;
  domain::ReplyChoice on_subscribe;  // templates: {channel}, {scene}, {owner}
  domain::ReplyChoice on_scan;
  std::string tag;                   // a WeChat tag name for the channel's followers ("" = none)
  std::int64_t spend_cents = 0;      // what the channel cost, for costs per follower
};

// What an operator may change after creation; unset fields stay as they are.
struct ChannelEdit {
  std::optional<std::string> name, group, owner;
  std::optional<domain::ReplyChoice> on_subscribe, on_scan;
  std::optional<std::string> tag;  // a WeChat tag name ("" = none)
  std::optional<bool> evergreen;
  std::optional<std::int64_t> spend_cents;
};

struct ChannelServiceOptions {
  std::int64_t renew_ahead_seconds = 86'400;  // evergreen codes are renewed a day before expiry
  std::int64_t warn_ahead_seconds = 259'200;  // a code that will die is flagged this long before (3 days)
};

// What a marketer must know of a temporary code before it dies: the seconds it has left, and
// whether to warn — it will not be renewed (not evergreen, or its renewal is failing) and expires
// within warn_ahead_seconds. Permanent and retired codes: nothing.
struct ExpiryOutlook {
  std::optional<std::int64_t> expires_in;
  bool warn = false;
};

// WeChat's 100,000 permanent codes: those qrscene made (distinct scenes), those made elsewhere
// (entered by the operator), and the last time WeChat refused one as over quota (45029), after
// which none are left whatever the count says, until WeChat makes one again.
struct QuotaMeter {
  std::int64_t used = 0;  // made + external
  std::int64_t left = 0;
  std::int64_t made = 0;
  std::int64_t external = 0;
  std::int64_t refused_at = 0;
};

// WeChat's errcode for a permanent code over quota (wechat-protocol.md section 2; 10.4).
inline constexpr std::int64_t kWeChatQuotaSpent = 45029;

struct UpkeepReport {
  std::vector<std::int64_t> renewed;
  std::vector<std::int64_t> failed;  // renewals that failed, noted on the channel
  std::vector<std::int64_t> expired;
  // After the pass: evergreen codes whose last renewal failed, and codes ExpiryOutlook warns of.
  std::int64_t renewal_failing = 0;
  std::int64_t expiring = 0;
  std::vector<std::string> errors;  // what went wrong: renewals (tried again next time), notices, the store
};

class ChannelService {
 public:
  // `notices`: where channel notices for the account's backend go (webhook channel.expiring and
  // channel.renewal_failed); none when no webhook is configured.
  ChannelService(domain::ChannelRepository& channels, wechat::AccountClients& clients, const Clock& clock,
                 ChannelServiceOptions options = {}, domain::JobQueue* notices = nullptr);

  [[nodiscard]] Result<domain::Channel> create(const ChannelSpec& spec);
  [[nodiscard]] Result<domain::Channel> show(std::int64_t id);
  [[nodiscard]] Result<std::vector<domain::Channel>> list(std::string_view appid);
  [[nodiscard]] Result<domain::Channel> set_status(std::int64_t id, domain::ChannelStatus status);
  // Errors: kInvalidArgument naming each bad field; kNotFound; kFailedPrecondition for a retired channel.
  [[nodiscard]] Result<domain::Channel> update(std::int64_t id, const ChannelEdit& edit);
  [[nodiscard]] Result<QuotaMeter> quota(std::string_view appid);
  // Codes made outside qrscene, counted against the quota. Errors: kInvalidArgument (field external).
  [[nodiscard]] Result<QuotaMeter> set_external_codes(std::string_view appid, std::int64_t count);
  [[nodiscard]] ExpiryOutlook outlook(const domain::Channel& channel) const;
  // Renews evergreen codes due within renew_ahead, flags the expired ones, and tells the backend of
  // codes that will die (once per expiry) and of renewals that start failing.
  [[nodiscard]] UpkeepReport upkeep();

 private:
  Result<std::pair<std::string, bool>> choose_scene(const ChannelSpec& spec);
  Result<std::int64_t> find_or_create_tag(wechat::ApiClient& client, const std::string& name);
  void renew(const domain::Channel& channel, UpkeepReport& report);
  void notify(const domain::Channel& channel, std::string_view notice, std::string error, UpkeepReport& report);
  // The code from WeChat; a permanent one refused as over quota is remembered (set_quota_refused).
  Result<wechat::QrTicket> ask_for_code(wechat::ApiClient& client, const ChannelSpec& spec,
                                        const std::pair<std::string, bool>& scene, bool known);

  domain::ChannelRepository& channels_;
  wechat::AccountClients& clients_;
  const Clock& clock_;
  ChannelServiceOptions options_;
  domain::JobQueue* notices_;
  std::mutex create_mu_;  // allocation and creation of one channel at a time
};

}  // namespace qrscene::service
