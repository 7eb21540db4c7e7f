// The ports the domain needs from storage, implemented in src/store (SQLite now, PostgreSQL with
// the scale-out work). The service talks to these, never to a database.
#pragma once

#include <cstdint>
#include <array>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "domain/analytics.h"
#include "domain/campaign.h"
#include "domain/channel.h"
#include "domain/conversion.h"
#include "domain/ingest.h"
#include "domain/jobs.h"
#include "domain/login.h"

namespace qrscene::domain {

// What became of one event once it is durable.
struct IngestOutcome {
  std::int64_t event_id = 0;
  bool duplicate = false;  // WeChat's retry of an event already stored: nothing changed
  std::optional<std::int64_t> channel_id;  // the code's channel (an unfollow's is the projector's to find)
  ReplyChoice reply;       // for a duplicate, the reply the first delivery got
  std::string login_session;  // a login session this event changed ("" = none): wake its waiters
};

// Takes events and makes them durable, many per transaction (group commit). `done` is called
// exactly once per event, after its transaction committed (or with the error that stopped it),
// on the ingestor's own thread: it must not block.
class Ingestor {
 public:
  using Done = std::function<void(Result<IngestOutcome>)>;
  virtual ~Ingestor() = default;
  virtual void submit(Event event, Done done) = 0;
  // Whether an event nothing in ingest consumes (domain::is_consumed) is wanted all the same: a
  // menu CLICK that joins a fission campaign. Such an event is logged like a consumed one.
  [[nodiscard]] virtual bool wants(const Event& /*event*/) const { return false; }
};

// Channels and the history of their scenes.
class ChannelRepository {
 public:
  virtual ~ChannelRepository() = default;
  // Stores a new channel (fills id and created_at) and makes its scene mean it from now on.
  // kAlreadyExists when a channel that is not retired holds the scene (or the ticket).
  [[nodiscard]] virtual Result<Channel> create_channel(Channel channel) = 0;
  [[nodiscard]] virtual Result<Channel> channel(std::int64_t id) = 0;  // kNotFound
  // An account's channels, oldest first; "" for every account.
  [[nodiscard]] virtual Result<std::vector<Channel>> channels(std::string_view appid) = 0;
  // Sets the status; retiring also ends the scene's meaning and frees scene and ticket.
  [[nodiscard]] virtual Status set_status(std::int64_t id, ChannelStatus status) = 0;
  // Writes what an operator may edit: name, group, owner, replies, tag, evergreen, spend.
  [[nodiscard]] virtual Status update_channel(const Channel& channel) = 0;
  // A renewed temporary code: its new ticket, url and expiry.
  [[nodiscard]] virtual Status set_ticket(std::int64_t id, std::string_view ticket, std::string_view url,
                                          std::int64_t expires_at) = 0;
  // The highest int scene in [low, high] any channel of the account ever had (0 when none).
  [[nodiscard]] virtual Result<std::int64_t> highest_int_scene(std::string_view appid, std::int64_t low,
                                                               std::int64_t high) = 0;
  // Distinct permanent scenes qrscene ever created for the account: its part of WeChat's 100,000
  // (codes made elsewhere are in quota_record).
  [[nodiscard]] virtual Result<std::int64_t> permanent_scenes_used(std::string_view appid) = 0;
  // Which channel the scene meant at `at` (Unix seconds); now: the live channel holding it.
  [[nodiscard]] virtual Result<std::optional<std::int64_t>> scene_meant(std::string_view appid,
                                                                        std::string_view scene, std::int64_t at) = 0;
  // Whether a permanent code with this scene was ever created (reusing it costs no quota).
  [[nodiscard]] virtual Result<bool> permanent_scene_known(std::string_view appid, std::string_view scene) = 0;
  // The int scene of a retired permanent channel that no live channel holds, retired longest ago
  // (then the lowest): reusing it costs none of WeChat's quota.
  [[nodiscard]] virtual Result<std::optional<std::string>> reusable_permanent_scene(std::string_view appid) = 0;
  // A renewal that failed at `at` with `error`; an empty error clears it (the renewal worked).
  [[nodiscard]] virtual Status set_renewal_failure(std::int64_t id, std::int64_t at, std::string_view error) = 0;
  // The expiry the backend was last told of (channel.expiring), so it is told once per expiry.
  [[nodiscard]] virtual Status set_expiry_noticed(std::int64_t id, std::int64_t expires_at) = 0;

  // What qrscene knows of an account's permanent-code quota beyond the codes it made: codes made
  // elsewhere (entered by the operator) and the last time WeChat refused a code as over quota.
  struct QuotaRecord {
    std::int64_t external = 0;
    std::int64_t refused_at = 0;  // 0: never, or a code was made since
  };
  [[nodiscard]] virtual Result<QuotaRecord> quota_record(std::string_view appid) = 0;
  [[nodiscard]] virtual Status set_external_permanent(std::string_view appid, std::int64_t count) = 0;
  // `at` 0 clears it.
  [[nodiscard]] virtual Status set_quota_refused(std::string_view appid, std::int64_t at) = 0;
};

// Work done after an event is durable (DESIGN.md section 3): tagging, profiles, webhooks.
struct Job {
  std::int64_t id = 0;
  std::string appid;
  JobPayload payload;
  int attempts = 0;  // before this run
};

struct JobCounts {
  std::int64_t pending = 0;
  std::int64_t running = 0;
  std::int64_t done = 0;
  std::int64_t failed = 0;
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;
  // Marks up to `limit` due jobs running and returns them, oldest first. Jobs left running by a
  // process that died are due again after `stale_after` seconds.
  [[nodiscard]] virtual Result<std::vector<Job>> claim_jobs(std::int64_t now, std::size_t limit,
                                                            std::int64_t stale_after) = 0;
  // Done: the payload (which may hold an openid) is cleared.
  [[nodiscard]] virtual Status finish_job(std::int64_t id) = 0;
  // Failed this time: run again at `run_after`, or with no time, give up (state failed).
  [[nodiscard]] virtual Status retry_job(std::int64_t id, std::string_view error,
                                         std::optional<std::int64_t> run_after) = 0;
  [[nodiscard]] virtual Result<JobCounts> job_counts(std::string_view appid) = 0;
  // A job that comes from no event (a channel notice), due at `run_after`.
  [[nodiscard]] virtual Status enqueue_job(std::string_view appid, const JobPayload& payload,
                                           std::int64_t run_after) = 0;
};

// Which channels a figure covers: all of an account's, or narrowed by ids, group and owner.
struct ChannelFilter {
  std::string appid;
  std::vector<std::int64_t> channel_ids;  // empty: any
  std::string group;                      // "": any
  std::string owner;                      // "": any
  [[nodiscard]] bool whole_account() const noexcept {
    return channel_ids.empty() && group.empty() && owner.empty();
  }
};

// One day of an account: its channels' counters summed, and follows without a channel.
struct AccountDay {
  PeriodTotals totals;
  std::int64_t organic_follows = 0;
  std::int64_t organic_unfollows = 0;
};

enum class Breakdown : std::uint8_t { kChannel, kGroup, kOwner };

// The figures of one channel, group or owner over a range of days.
struct BreakdownRow {
  std::string key;              // the channel's name, the group or the owner
  std::int64_t channel_id = 0;  // kChannel only
  std::int64_t channels = 0;    // how many channels the row sums
  Counters counters;
  CohortLosses losses;          // of the follows in the range
  std::int64_t spend_cents = 0; // entered for those channels (lifetime)
};

// Reads of the rollups (DESIGN.md section 5). Days are local days; the store knows the offset.
class StatsRepository {
 public:
  virtual ~StatsRepository() = default;
  [[nodiscard]] virtual std::int64_t utc_offset_seconds() const noexcept = 0;
  // Per local day in [first_day, last_day], summed over the filter's channels (days with nothing
  // are absent).
  [[nodiscard]] virtual Result<std::vector<PeriodTotals>> daily(const ChannelFilter& filter, std::int64_t first_day,
                                                                std::int64_t last_day) = 0;
  [[nodiscard]] virtual Result<std::vector<AccountDay>> account_days(std::string_view appid, std::int64_t first_day,
                                                                     std::int64_t last_day) = 0;
  // Per local hour, counted from the event log (first/re-follow split and losses not kept by hour).
  [[nodiscard]] virtual Result<std::vector<PeriodTotals>> hourly(const ChannelFilter& filter, std::int64_t first_hour,
                                                                 std::int64_t last_hour) = 0;
  // Distinct followers who scanned one of the channels (or followed through it) in [from, to).
  [[nodiscard]] virtual Result<std::int64_t> unique_scanners(const ChannelFilter& filter, std::int64_t from,
                                                             std::int64_t to) = 0;
  // The spend entered for the filter's channels (cents).
  [[nodiscard]] virtual Result<std::int64_t> spend_cents(const ChannelFilter& filter) = 0;
  [[nodiscard]] virtual Result<std::vector<BreakdownRow>> breakdown(const ChannelFilter& filter, Breakdown by,
                                                                    std::int64_t first_day, std::int64_t last_day) = 0;
  // Follows through a QR code whose scene no channel held at the time (codes made outside
  // qrscene; login codes excluded), per local day in [first_day, last_day] and scene, the most
  // frequent scene of a day first.
  struct SceneFollows {
    std::int64_t day = 0;
    std::string scene;
    std::int64_t follows = 0;
  };
  [[nodiscard]] virtual Result<std::vector<SceneFollows>> unknown_scene_follows(std::string_view appid,
                                                                                std::int64_t first_day,
                                                                                std::int64_t last_day) = 0;
};

// Followers one by one and the conversions they bring (domain/conversion.h).
class FollowerRepository {
 public:
  virtual ~FollowerRepository() = default;
  // Follows gained through the query's channels, one row per follow, with a total for paging.
  [[nodiscard]] virtual Result<FollowerPage> follower_page(const FollowerQuery& query) = 0;
  // What WeChat said of followers (unionid, tag names). Followers who left meanwhile are skipped.
  [[nodiscard]] virtual Status set_follower_profiles(std::string_view appid, std::span<const FollowerProfile> profiles,
                                                     std::int64_t now) = 0;
  // Records a conversion (already checked) and credits it; the same external id with the same
  // values again is a duplicate (the first record comes back), with other values kAlreadyExists.
  [[nodiscard]] virtual Result<RecordedConversion> record_conversion(const ConversionInput& input,
                                                                     std::int64_t now) = 0;
  // Conversions in `currency` that occurred in [from, to), credited under `touch` to the filter's
  // channels, keyed by channel, group or owner. For the whole account the unattributed ones come too
  // (key "").
  [[nodiscard]] virtual Result<std::vector<CreditedConversion>> credited_conversions(const ChannelFilter& filter,
                                                                                     Breakdown by, Touch touch,
                                                                                     std::string_view currency,
                                                                                     std::int64_t from,
                                                                                     std::int64_t to) = 0;
};

// A temporary code made for login sessions (its scene starts with kLoginScenePrefix).
struct LoginCode {
  std::string appid;
  std::string scene;
  std::string ticket;
  std::string url;
  std::int64_t expires_at = 0;
};

// What the website's backend learns when it redeems a confirmed session's exchange code.
struct LoginBinding {
  std::string appid;
  std::string openid;
  std::string user_id;
  std::int64_t created_at = 0;
};

// Login and bind sessions (docs/login.md). Scans and answers change them inside ingest's
// transaction; these are the reads and the browser-side changes.
class LoginRepository {
 public:
  virtual ~LoginRepository() = default;
  [[nodiscard]] virtual Status create_login_session(const LoginSession& session) = 0;
  [[nodiscard]] virtual Result<LoginSession> login_session(std::string_view id) = 0;  // kNotFound
  // The session's code: the one already lent to it, or a pooled code of its account that nobody
  // holds at `now` and whose life lasts past `needed_until`, now held until `held_until`. None
  // when the pool has no such code.
  [[nodiscard]] virtual Result<std::optional<LoginCode>> lend_login_code(std::string_view session_id, std::int64_t now,
                                                                         std::int64_t needed_until,
                                                                         std::int64_t held_until) = 0;
  // A code just made for the session joins the pool, lent to it.
  [[nodiscard]] virtual Status add_login_code(std::string_view session_id, const LoginCode& code,
                                              std::int64_t held_until) = 0;
  // The browser read the final state: marks the session consumed (with the exchange code's hash for
  // a confirmed one). false when it had been delivered already — a result is delivered once.
  [[nodiscard]] virtual Result<bool> deliver_login_result(std::string_view id, std::int64_t now,
                                                          std::string_view exchange_sha256) = 0;
  // The version of each session that exists.
  [[nodiscard]] virtual Result<std::vector<std::pair<std::string, std::int64_t>>> login_versions(
      const std::vector<std::string>& ids) = 0;
  // The confirmed session whose exchange code has this hash, delivered since `not_before`; once.
  [[nodiscard]] virtual Result<LoginSession> redeem_login_exchange(std::string_view exchange_sha256,
                                                                   std::int64_t now, std::int64_t not_before) = 0;
  // Bindings of an account, narrowed to one user or one openid when given.
  [[nodiscard]] virtual Result<std::vector<LoginBinding>> login_bindings(std::string_view appid,
                                                                         std::string_view user_id,
                                                                         std::string_view openid) = 0;
  [[nodiscard]] virtual Result<bool> remove_login_binding(std::string_view appid, std::string_view user_id) = 0;
  // Sessions ended before `before` go (they hold openids).
  [[nodiscard]] virtual Result<std::int64_t> purge_login_sessions(std::int64_t before) = 0;
};

// Fission campaigns (domain/campaign.h). The projector applies joins, invites, take-backs and
// rewards behind the answer; these are the reads, the operator's changes and what jobs record.
struct CampaignStats {
  std::int64_t participants = 0;
  std::int64_t participants_left = 0;   // unfollowed since
  std::int64_t posters_sent = 0;
  std::int64_t invites_counted = 0;     // counting now
  std::int64_t invites_taken_back = 0;
  std::map<std::string, std::int64_t> not_counted;  // by InviteOutcome name
  std::map<int, std::int64_t> participants_by_generation;
  std::map<int, std::array<std::int64_t, 3>> rewards_by_tier;  // tier's invites → granted, delivered, failed
  // The invitees (counted) and, of them, who were still following 7 days after their follow,
  // among those followed at least 7 days before `now`.
  std::int64_t retained_7d_base = 0;
  std::int64_t retained_7d = 0;
  // Fraud signals: counted invitees who left within 10 minutes; inviters over their hourly cap at
  // least once; participants whose invitees never invited anyone (chains one deep), among those
  // with 3 or more counted invites.
  std::int64_t quick_unfollows = 0;
  std::int64_t capped_inviters = 0;
  std::int64_t one_deep_inviters = 0;  // (whose invitees have had a day to invite)
  // Participants holding a reward above what counts for them now (friends left within the keep
  // time after the reward): rewards are never taken back, so these are the ones to look at.
  std::int64_t rewarded_below_tier = 0;
};

class CampaignRepository {
 public:
  virtual ~CampaignRepository() = default;
  // A new campaign (its background PNG or JPEG bytes, "" for none); the directory is reloaded.
  // kAlreadyExists with field problems (trigger_clashes) when another active campaign of the account
  // answers one of its triggers at the same time; checked and made in one transaction.
  [[nodiscard]] virtual Result<Campaign> create_campaign(Campaign campaign, std::string background) = 0;
  [[nodiscard]] virtual Result<Campaign> campaign(std::int64_t id) = 0;  // kNotFound
  [[nodiscard]] virtual Result<std::vector<Campaign>> campaigns(std::string_view appid) = 0;
  [[nodiscard]] virtual Result<std::string> campaign_background(std::int64_t id) = 0;
  // Ends a campaign early (status "ended"): nobody joins and no invite counts from then on.
  [[nodiscard]] virtual Status end_campaign(std::int64_t id) = 0;
  [[nodiscard]] virtual Result<Participant> participant(std::int64_t id) = 0;  // kNotFound
  // The participants by counted invites, most first (ties: who joined first).
  [[nodiscard]] virtual Result<std::vector<Participant>> participants(std::int64_t campaign_id, std::size_t limit,
                                                                      std::size_t offset) = 0;
  [[nodiscard]] virtual Status set_participant_code(std::int64_t id, std::string_view ticket, std::string_view url,
                                                    std::int64_t expires_at) = 0;
  // A poster was uploaded (its media id and when WeChat drops it), to be sent again until then.
  [[nodiscard]] virtual Status set_participant_media(std::int64_t id, std::string_view media_id,
                                                     std::int64_t media_expires_at) = 0;
  // A poster reached the participant.
  [[nodiscard]] virtual Status poster_sent(std::int64_t id) = 0;
  // Participants still following whose code dies before `before` (and before its campaign ends), of
  // campaigns running at `now`, claimed for a renewal: a participant is not returned again for six
  // hours, by this instance or another.
  [[nodiscard]] virtual Result<std::vector<Participant>> codes_to_renew(std::int64_t now, std::int64_t before,
                                                                        std::size_t limit) = 0;
  [[nodiscard]] virtual Result<CampaignReward> campaign_reward(std::int64_t id) = 0;  // kNotFound
  [[nodiscard]] virtual Result<std::vector<CampaignReward>> campaign_rewards(std::int64_t campaign_id) = 0;
  [[nodiscard]] virtual Status set_reward_state(std::int64_t id, std::string_view state, std::string_view error,
                                                std::int64_t at) = 0;
  [[nodiscard]] virtual Result<CampaignStats> campaign_stats(std::int64_t campaign_id, std::int64_t now) = 0;
};

}  // namespace qrscene::domain
