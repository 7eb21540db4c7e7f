// SqlStore: qrscene's store of record on SQL (DESIGN.md sections 3 and 4), the same code on SQLite
// (store/sqlite: one machine) and PostgreSQL (store/postgres: many instances).
//
// The log first, everything else behind the answer. submit() appends a pushed event to
// `event_log` and nothing else: writer threads, each with its own connection, take every event
// waiting (up to max_batch), decide each one's channel and reply from the in-memory channel
// directory, append it inside its own savepoint (one bad event cannot spoil the others), commit
// once, and only then tell each event's caller — so nothing is acknowledged before it is durable.
// A login scene is decided there too (its reply depends on the session). A retry is answered as
// the first delivery was: found by the log's unique key (PostgreSQL), or among the pushes SQLite's
// one writer appended in the last 2 minutes (store/recent_pushes.h; WeChat retries within 20 s). A
// copy from further back is answered and logged as new.
//
// The projector (one thread; on PostgreSQL one per database among all instances, elected with an
// advisory lock) applies the log in order behind the answer: events (the analytics' copy, with
// their indexes), the subscription ledger, followers, rollups (summed per batch in memory, one
// upsert per key, in key order), jobs. Each batch commits with its cursor, so every logged event
// is applied exactly once across crashes, and a push logged twice (SQLite) once by its dedup key;
// the log's openids are cleared as they are applied.
// Reads of projected figures first wait (up to read_wait) for the projector to reach the log's
// head as of the read, so an admin read sees every push answered before it.
//
// Reads, channel changes and job bookkeeping use a pool of reader connections (short
// transactions). It implements every storage port of domain/ports.h.
//
// Privacy: events and subscriptions keep a keyed hash of the openid (HMAC-SHA256 with a
// per-installation key kept in the database); only `followers` holds openids, and an unfollow
// deletes the row. The log holds an event's openid only until it is projected.
//
// Errors: as Database's; submit() reports kUnavailable once the store is stopping.
// Thread safety: all public methods may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/channel.h"
#include "domain/channel_directory.h"
#include "domain/ports.h"
#include "store/database.h"
#include "store/fault_injection.h"
#include "store/recent_pushes.h"

namespace qrscene::store {

// What the store does with events, whatever the database.
struct StoreOptions {
  std::size_t max_batch = 512;          // events per transaction at most
  // Under load, how long a writer waits for as many pushes as its last group before committing
  // (the service sets 0 on SQLite: app/service_runtime.cpp).
  std::chrono::microseconds commit_delay{1000};
  std::int64_t utc_offset_seconds = 8 * 3600;  // days of the rollups (Asia/Shanghai)
  domain::ReplyDefaults replies;
  bool forward_events = false;       // a webhook job per attributed event
  bool reward_webhook = false;       // a campaign.reward webhook job per granted tier
  std::vector<std::string> forward_kinds;  // and per event of these kinds (WeChat's Event or MsgType)
  bool unlink_on_unfollow = false;   // privacy "delete": also unlink the follower's hashed rows
  domain::LoginTexts login_texts;    // what a follower is answered when scanning a login code
  std::int64_t login_code_cooldown = 60;  // seconds a decided session's code rests before it is lent again
  bool profile_followers = true;     // a profile job (unionid, tags) per new follower
  std::shared_ptr<FaultPlan> faults;  // tests only: the writers' and readers' steps counted, one failed
  bool project = true;                // false: never apply the log here (an answer-only instance)
  // Events per projection transaction at most. Larger batches dirty each index page once for more
  // events (SQLite at 8,192 rather than 2,048: about half the bytes written per event, and a
  // quarter less CPU; docs/benchmarks.md). The price, on SQLite: a login scan or a text takes the
  // database's turn, so under full load it waits aside for the projector's transaction in
  // progress (a few hundred ms; WeChat allows 5 s), with its sender's other pushes.
  std::size_t project_batch = 8192;
  // SQLite: once caught up under load, how long the projector lets the log gather before its next
  // batch (a read waiting for the projection cuts it short): fewer, larger transactions.
  std::chrono::milliseconds project_gather{500};
  // SQLite, while nothing asked for the database's turn within `turn_quiet` (no login scan, no
  // text, no new login session): larger transactions still (32,768 events, about a second under
  // full load). Whatever asks for the turn ends this for `turn_quiet`: the login scan or text that
  // asked still waits for the transaction in progress (set aside, write_batch), the next ones for
  // one of project_batch at most (docs/deployment.md).
  std::size_t project_batch_quiet = 32768;
  std::chrono::milliseconds project_gather_quiet{1500};
  std::chrono::seconds turn_quiet{300};
  std::chrono::milliseconds read_wait{2000};  // how long a read of projected figures waits for the projector
  std::chrono::milliseconds project_retry{200};  // first pause after a failed projection batch (doubles to 5 s)
  std::shared_ptr<FaultPlan> projector_faults;  // tests only: the projector's steps
};

// Where the projector stands (/metrics and /healthz).
struct ProjectionStats {
  bool leader = false;           // this instance projects (PostgreSQL: it holds the election lock)
  std::int64_t head = 0;         // the log's last event id, as the projector (SQLite: the writer) last saw it
  std::int64_t position = 0;     // the last event id applied
  std::int64_t lag_seconds = 0;  // how long the oldest event not yet applied has waited (0: none)
  std::int64_t projected = 0;    // log rows this instance projected (copies it skipped included)
  std::int64_t batches = 0;      // projection transactions committed
  std::int64_t failures = 0;     // projection transactions that failed (each retried)
  std::string last_error;        // why the last one failed ("" until one has)
};

// Connections lent one at a time (the store's readers).
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Database> db) : pool_(&pool), db_(std::move(db)) {}
    ~Lease() {
      if (db_) pool_->give_back(std::move(db_));
    }
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Database& operator*() const noexcept { return *db_; }
    Database* operator->() const noexcept { return db_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Database> db_;
  };

  explicit ConnectionPool(std::vector<std::unique_ptr<Database>> connections) : free_(std::move(connections)) {}
  [[nodiscard]] Lease lease();  // waits for a free connection

 private:
  void give_back(std::unique_ptr<Database> db);
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Database>> free_;
};

// A reply as the store keeps it (JSON), and back.
[[nodiscard]] std::string reply_to_json(const domain::ReplyChoice& reply);
[[nodiscard]] domain::ReplyChoice reply_from_json(const std::string& json);

// The columns of a login session row, and reading them (shared by both connections).
extern const char* const kLoginSessionColumns;
[[nodiscard]] domain::LoginSession read_login_session(const Statement& q);

class SqlStore : public domain::Ingestor,
                 public domain::ChannelRepository,
                 public domain::JobQueue,
                 public domain::StatsRepository,
                 public domain::LoginRepository,
                 public domain::FollowerRepository,
                 public domain::CampaignRepository {
 public:
  ~SqlStore() override;  // stop()
  SqlStore(const SqlStore&) = delete;
  SqlStore& operator=(const SqlStore&) = delete;

  void submit(domain::Event event, Done done) override;
  // Whether a campaign reads an event nothing else does (a menu CLICK with a campaign's key).
  [[nodiscard]] bool wants(const domain::Event& event) const override;

  // domain::ChannelRepository (sql_channels.cpp)
  [[nodiscard]] Result<domain::Channel> create_channel(domain::Channel channel) override;
  [[nodiscard]] Result<domain::Channel> channel(std::int64_t id) override;
  [[nodiscard]] Result<std::vector<domain::Channel>> channels(std::string_view appid) override;
  [[nodiscard]] Status set_status(std::int64_t id, domain::ChannelStatus status) override;
  [[nodiscard]] Status update_channel(const domain::Channel& channel) override;
  [[nodiscard]] Status set_ticket(std::int64_t id, std::string_view ticket, std::string_view url,
                                  std::int64_t expires_at) override;
  [[nodiscard]] Result<std::int64_t> highest_int_scene(std::string_view appid, std::int64_t low,
                                                       std::int64_t high) override;
  [[nodiscard]] Result<std::int64_t> permanent_scenes_used(std::string_view appid) override;
  [[nodiscard]] Result<bool> permanent_scene_known(std::string_view appid, std::string_view scene) override;
  [[nodiscard]] Result<std::optional<std::string>> reusable_permanent_scene(std::string_view appid) override;
  [[nodiscard]] Status set_renewal_failure(std::int64_t id, std::int64_t at, std::string_view error) override;
  [[nodiscard]] Status set_expiry_noticed(std::int64_t id, std::int64_t expires_at) override;
  [[nodiscard]] Result<QuotaRecord> quota_record(std::string_view appid) override;
  [[nodiscard]] Status set_external_permanent(std::string_view appid, std::int64_t count) override;
  [[nodiscard]] Status set_quota_refused(std::string_view appid, std::int64_t at) override;
  [[nodiscard]] Result<std::optional<std::int64_t>> scene_meant(std::string_view appid, std::string_view scene,
                                                                std::int64_t at) override;

  // domain::JobQueue (sql_jobs.cpp)
  [[nodiscard]] Result<std::vector<domain::Job>> claim_jobs(std::int64_t now, std::size_t limit,
                                                            std::int64_t stale_after) override;
  [[nodiscard]] Status finish_job(std::int64_t id) override;
  [[nodiscard]] Status retry_job(std::int64_t id, std::string_view error,
                                 std::optional<std::int64_t> run_after) override;
  [[nodiscard]] Result<domain::JobCounts> job_counts(std::string_view appid) override;
  [[nodiscard]] Status enqueue_job(std::string_view appid, const domain::JobPayload& payload,
                                   std::int64_t run_after) override;

  // domain::StatsRepository (sql_stats.cpp)
  [[nodiscard]] std::int64_t utc_offset_seconds() const noexcept override { return options_.utc_offset_seconds; }
  [[nodiscard]] Result<std::vector<domain::PeriodTotals>> daily(const domain::ChannelFilter& filter,
                                                                std::int64_t first_day, std::int64_t last_day) override;
  [[nodiscard]] Result<std::vector<domain::AccountDay>> account_days(std::string_view appid, std::int64_t first_day,
                                                                     std::int64_t last_day) override;
  [[nodiscard]] Result<std::vector<domain::PeriodTotals>> hourly(const domain::ChannelFilter& filter,
                                                                 std::int64_t first_hour,
                                                                 std::int64_t last_hour) override;
  [[nodiscard]] Result<std::int64_t> unique_scanners(const domain::ChannelFilter& filter, std::int64_t from,
                                                     std::int64_t to) override;
  [[nodiscard]] Result<std::int64_t> spend_cents(const domain::ChannelFilter& filter) override;
  [[nodiscard]] Result<std::vector<domain::BreakdownRow>> breakdown(const domain::ChannelFilter& filter,
                                                                    domain::Breakdown by, std::int64_t first_day,
                                                                    std::int64_t last_day) override;
  [[nodiscard]] Result<std::vector<SceneFollows>> unknown_scene_follows(std::string_view appid, std::int64_t first_day,
                                                                        std::int64_t last_day) override;

  // domain::LoginRepository (sql_login.cpp)
  [[nodiscard]] Status create_login_session(const domain::LoginSession& session) override;
  [[nodiscard]] Result<domain::LoginSession> login_session(std::string_view id) override;
  [[nodiscard]] Result<std::optional<domain::LoginCode>> lend_login_code(std::string_view session_id,
                                                                         std::int64_t now, std::int64_t needed_until,
                                                                         std::int64_t held_until) override;
  [[nodiscard]] Status add_login_code(std::string_view session_id, const domain::LoginCode& code,
                                      std::int64_t held_until) override;
  [[nodiscard]] Result<bool> deliver_login_result(std::string_view id, std::int64_t now,
                                                  std::string_view exchange_sha256) override;
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::int64_t>>> login_versions(
      const std::vector<std::string>& ids) override;
  [[nodiscard]] Result<domain::LoginSession> redeem_login_exchange(std::string_view exchange_sha256,
                                                                   std::int64_t now,
                                                                   std::int64_t not_before) override;
  [[nodiscard]] Result<std::vector<domain::LoginBinding>> login_bindings(std::string_view appid,
                                                                         std::string_view user_id,
                                                                         std::string_view openid) override;
  [[nodiscard]] Result<bool> remove_login_binding(std::string_view appid, std::string_view user_id) override;
  [[nodiscard]] Result<std::int64_t> purge_login_sessions(std::int64_t before) override;

  // domain::FollowerRepository (sql_followers.cpp)
  [[nodiscard]] Result<domain::FollowerPage> follower_page(const domain::FollowerQuery& query) override;
  [[nodiscard]] Status set_follower_profiles(std::string_view appid, std::span<const domain::FollowerProfile> profiles,
                                             std::int64_t now) override;
  [[nodiscard]] Result<domain::RecordedConversion> record_conversion(const domain::ConversionInput& input,
                                                                     std::int64_t now) override;
  [[nodiscard]] Result<std::vector<domain::CreditedConversion>> credited_conversions(
      const domain::ChannelFilter& filter, domain::Breakdown by, domain::Touch touch, std::string_view currency,
      std::int64_t from, std::int64_t to) override;

  // domain::CampaignRepository (sql_campaigns.cpp)
  [[nodiscard]] Result<domain::Campaign> create_campaign(domain::Campaign campaign, std::string background) override;
  [[nodiscard]] Result<domain::Campaign> campaign(std::int64_t id) override;
  [[nodiscard]] Result<std::vector<domain::Campaign>> campaigns(std::string_view appid) override;
  [[nodiscard]] Result<std::string> campaign_background(std::int64_t id) override;
  [[nodiscard]] Status end_campaign(std::int64_t id) override;
  [[nodiscard]] Result<domain::Participant> participant(std::int64_t id) override;
  [[nodiscard]] Result<std::vector<domain::Participant>> participants(std::int64_t campaign_id, std::size_t limit,
                                                                      std::size_t offset) override;
  [[nodiscard]] Status set_participant_code(std::int64_t id, std::string_view ticket, std::string_view url,
                                            std::int64_t expires_at) override;
  [[nodiscard]] Status set_participant_media(std::int64_t id, std::string_view media_id,
                                             std::int64_t media_expires_at) override;
  [[nodiscard]] Status poster_sent(std::int64_t id) override;
  [[nodiscard]] Result<std::vector<domain::Participant>> codes_to_renew(std::int64_t now, std::int64_t before,
                                                                        std::size_t limit) override;
  [[nodiscard]] Result<domain::CampaignReward> campaign_reward(std::int64_t id) override;
  [[nodiscard]] Result<std::vector<domain::CampaignReward>> campaign_rewards(std::int64_t campaign_id) override;
  [[nodiscard]] Status set_reward_state(std::int64_t id, std::string_view state, std::string_view error,
                                        std::int64_t at) override;
  [[nodiscard]] Result<domain::CampaignStats> campaign_stats(std::int64_t campaign_id, std::int64_t now) override;

  // The counters of a channel summed over [first_day, last_day] (local days since 1970-01-01).
  [[nodiscard]] Result<domain::Counters> channel_counters(std::int64_t channel_id, std::int64_t first_day,
                                                          std::int64_t last_day);
  // How many events of an account are stored, and how many followers' personal rows exist.
  [[nodiscard]] Result<std::int64_t> event_count(std::string_view appid);
  [[nodiscard]] Result<std::int64_t> follower_count(std::string_view appid);
  // Open subscriptions now, by channel (0 = organic).
  [[nodiscard]] Result<std::int64_t> open_subscriptions(std::string_view appid, std::int64_t channel_id);
  // When the newest logged push of each of `appids` was received (Unix seconds), looking at the
  // log's newest `window` rows only — a walk down its key, cheap at start on both backends; an
  // account with no push among them is left out.
  [[nodiscard]] Result<std::map<std::string, std::int64_t>> newest_pushes(const std::vector<std::string>& appids,
                                                                         std::size_t window = 100'000);
  // Transactions committed so far (to see the grouping).
  [[nodiscard]] std::int64_t commits() const;
  // SQLite: the pushes the writer remembers to find WeChat's retries (at most 2^20; 0 elsewhere).
  [[nodiscard]] std::int64_t recent_pushes() const noexcept { return recent_size_.load(); }

  // Whether the store takes writes. A group commit that fails for the store's sake (a full disk, a
  // file that cannot be written, a lost connection) makes it false, with why in fixed words; the
  // next commit that succeeds makes it true again. While it is false and no push comes (a load
  // balancer has taken the instance out), each writer tries a write of its own every second.
  struct WriteHealth {
    bool ok = true;
    std::string reason;
  };
  [[nodiscard]] WriteHealth write_health() const;

  // Waits until the projector has applied every event logged before the call, at most `bound`.
  // Errors: kDeadlineExceeded when it has not by then (the projection lags); a store error.
  [[nodiscard]] Status catch_up(std::chrono::milliseconds bound);
  [[nodiscard]] ProjectionStats projection() const;

  // The keyed hash stored in place of an openid.
  [[nodiscard]] std::string pseudonym(std::string_view appid, std::string_view openid) const;
  // The database's name (file or server), for messages.
  [[nodiscard]] const std::string& database_name() const noexcept { return name_; }
  // Tests only: the database's turn, held as a projector transaction holds it (SQLite).
  [[nodiscard]] std::unique_lock<std::mutex> hold_database_turn_for_test() { return std::unique_lock(database_turn_); }

 protected:
  SqlStore(StoreOptions options, const Clock& clock);
  // The projector's connections, and where the log's head is read from.
  struct LogConnections {
    std::unique_ptr<Database> projector;      // applies the log to the database
    // Where the log lives in a file of its own (SQLite): a connection that reads the log and clears
    // what was applied, in transactions of the log's own; null: the projector's connection does.
    std::unique_ptr<Database> projector_log;
    std::unique_ptr<Database> log_reader;     // reads the log's head (catch_up); null: the readers do
  };
  // Once the schema is current (`setup` migrated it): reads or makes the pseudonym key, then starts
  // one writer thread per writer connection and lends the readers.
  [[nodiscard]] Status start(Database& setup, std::vector<std::unique_ptr<Database>> writers,
                             std::vector<std::unique_ptr<Database>> readers, LogConnections log);
  // Finishes every submitted event, then stops the writers. A backend whose members the writers
  // use calls it in its own destructor.
  void stop();

 private:
  struct Item {
    domain::Event event;
    Done done;
  };
  struct Writer;
  struct Projector;

  void writer_loop(Writer& writer);
  Status hash_followers(Database& db) const;
  Status remember_recent(Database& db);
  // Appends `batch` (what is left of it: see `aside`) and returns each push's outcome in order.
  // `aside`, if given (SQLite): when the group needs the database's turn and the projector holds
  // it, the pushes that may change a login session are moved there, to wait for the next group,
  // and the others are appended now rather than wait with them.
  std::vector<Result<domain::IngestOutcome>> write_batch(Writer& w, std::vector<Item>& batch,
                                                         std::vector<Item>* aside = nullptr);
  // How often a writer tries the pushes set aside again, and for how long at most before it waits
  // for the database's turn whatever it holds up.
  static constexpr std::chrono::milliseconds kAsideRetry{1};
  static constexpr std::chrono::seconds kAsideAtMost{2};
  // Commits a write that changes nothing (a row put in and taken out): whether writes work.
  [[nodiscard]] static Status probe_write(Database& db);
  void note_write(const Status& outcome);

  // The channel directory (sql_projector.cpp): a snapshot, reloaded once channels changed.
  [[nodiscard]] std::shared_ptr<const domain::ChannelDirectory> directory() const;
  // Every campaign (loaded with the channel directory, refreshed with it).
  [[nodiscard]] std::shared_ptr<const std::vector<domain::Campaign>> campaign_directory() const;
  Status reload_directory(Database& db);
  Status refresh_directory(Database& db);  // reloads when marked stale
  // A channel write bumps settings.channels_version, so every instance reloads its directory; once
  // the write is committed, directory_stale_ makes this one reload before its next append.
  [[nodiscard]] Status channels_changed(Database& db);
  // A channel's rollup rows moved from one group (or owner) to another in segment_daily.
  [[nodiscard]] static Status move_segment(Database& db, std::int64_t channel_id, std::string_view appid,
                                           std::string_view axis, std::string_view from, std::string_view to);
  // The projector (sql_projector.cpp).
  Status start_projector(std::unique_ptr<Database> db, std::unique_ptr<Database> log);
  void stop_projector();  // drains the log first (a few seconds at most)
  void projector_loop();
  Result<std::size_t> project_once(Projector& p, std::size_t limit);  // events read (at most `limit`)
  // The log's file of its own (SQLite) keeps an event's openid only until it is applied. While the
  // writer runs, the projector hands the clearing to it (clear_to_): the writer clears a slice in
  // each group's transaction, or alone when no push waits, so that no other connection takes the
  // log's write lock while pushes wait. Once the writers have stopped, the projector clears itself.
  Status clear_applied(Projector& p);
  Result<std::int64_t> clear_slice(Writer& w, std::int64_t to, std::int64_t rows);
  void clear_alone(Writer& w, std::int64_t to);
  void note_cleared(Writer& w, std::int64_t upto);
  void clearing_failed(Writer& w, const Error& error);  // logged; tried again after kClearRetry
  // Rows a group's transaction clears at most (or twice the group's pushes, if more), and a
  // transaction of the clearing's own: about a millisecond's work, which a push may wait behind.
  static constexpr std::int64_t kClearInGroup = 256;
  static constexpr std::int64_t kClearAlone = 1024;
  static constexpr std::chrono::seconds kClearRetry{1};
  void catch_up_for_read();  // catch_up(read_wait), a lagging projection logged, not an error

  // SQLite has one write lock per file: the writer and the projector take turns instead of waiting
  // in SQLite's busy handler. log_turn_: the log's (the writer's appends and clearings; the
  // projector's clearing once the writer stopped);
  // database_turn_: the database's (the projector's batches, the writer's login changes). A holder
  // of both takes log_turn_ first. Unused on PostgreSQL.
  std::mutex log_turn_;
  std::mutex database_turn_;
  bool single_writer_ = false;
  // When something last asked for database_turn_ (unix seconds; StoreOptions::turn_quiet), and
  // the projector's batch and gather as that leaves them.
  std::atomic<std::int64_t> turn_wanted_at_{std::numeric_limits<std::int64_t>::min() / 2};
  void want_database_turn() noexcept { turn_wanted_at_.store(clock_.unix_seconds(), std::memory_order_relaxed); }
  [[nodiscard]] bool turn_quiet() const noexcept;
  [[nodiscard]] std::size_t project_batch() const noexcept;
  [[nodiscard]] std::chrono::milliseconds project_gather() const noexcept;

  StoreOptions options_;
  const Clock& clock_;
  std::string name_;
  std::string pseudonym_key_;
  std::vector<std::unique_ptr<Writer>> writers_;
  // SQLite (no unique index on the log's dedup key): filled at start, then read and written by the
  // one writer thread alone — start() refuses more writers there.
  RecentPushes recent_;
  std::atomic<std::int64_t> recent_size_{0};  // recent_.size() after the writer's last commit
  std::unique_ptr<ConnectionPool> readers_;
  std::unique_ptr<ConnectionPool> log_readers_;  // the log's head; the readers' pool when null
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  // Who waits on wake_ for pushes, so that submit() wakes a writer only when it has something to
  // do: one waiting for any push, or one waiting for company once the queue holds what it wants
  // (a wake-up per push made the writer switch in and out once per push; guarded by mu_).
  std::size_t idle_writers_ = 0;
  std::size_t company_waiters_ = 0;
  std::size_t company_at_ = SIZE_MAX;  // the fewest pushes a writer waiting for company wants
  bool stopping_ = false;
  bool log_apart_ = false;         // SQLite: the log in a file of its own (set at start)
  std::int64_t clear_to_ = 0;      // the log may be cleared up to here (guarded by mu_)
  bool writers_stopped_ = false;   // stop() joined the writers: the projector clears (guarded by mu_)
  std::int64_t commits_ = 0;
  WriteHealth write_health_;  // guarded by mu_
  std::vector<std::thread> threads_;

  std::mutex directory_load_mu_;  // one reload at a time
  mutable std::mutex directory_mu_;
  std::shared_ptr<const domain::ChannelDirectory> directory_;  // guarded by directory_mu_
  std::shared_ptr<const std::vector<domain::Campaign>> campaigns_;  // guarded by directory_mu_
  std::atomic<bool> directory_stale_{true};
  std::string channels_version_;  // the projector thread's last reading of settings.channels_version

  std::unique_ptr<Projector> projector_;
  std::thread projector_thread_;
  mutable std::mutex projection_mu_;
  std::condition_variable projection_moved_;  // the position moved, or the log grew (guarded by projection_mu_)
  ProjectionStats projection_;                 // guarded by projection_mu_
  bool log_grew_ = false;                      // guarded by projection_mu_
  bool projector_idle_ = false;  // waiting for the log to grow: a commit wakes it (guarded by projection_mu_)
  bool projector_stopping_ = false;            // guarded by projection_mu_
  int catching_up_ = 0;                        // reads waiting in catch_up (guarded by projection_mu_)
  std::int64_t log_cleared_ = 0;               // the log apart: cleared up to here (guarded by projection_mu_)
};

}  // namespace qrscene::store
