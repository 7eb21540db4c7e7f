// The projector and the channel directory of SqlStore (sql_store.h): everything behind the answer.
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "base/thread_name.h"
#include "domain/analytics.h"
#include "store/campaign_step.h"
#include "store/job_codec.h"
#include "store/sql_projector.h"

namespace qrscene::store {
namespace {

using Clock = std::chrono::steady_clock;

using Json = nlohmann::json;

constexpr auto kVersionPoll = std::chrono::milliseconds(500);  // other instances' channel changes
constexpr auto kIdlePoll = std::chrono::milliseconds(250);     // the log, when no local append wakes us
constexpr auto kDrainOnStop = std::chrono::seconds(10);
constexpr auto kMaxRetryPause = std::chrono::seconds(5);

Result<std::shared_ptr<const domain::ChannelDirectory>> load_directory(Database& db) {
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT id, name, scene, owner, status, reply_subscribe, reply_scan, "
                                              "wechat_tag_id, appid, ticket FROM channels"));
  std::vector<domain::ChannelRef> channels;
  std::vector<domain::ChannelDirectory::LiveTicket> tickets;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    domain::ChannelRef c;
    c.id = q.int64(0);
    c.name = q.text(1);
    c.scene = q.text(2);
    c.owner = q.text(3);
    const std::string status = q.text(4);
    c.active = status == "active";
    c.on_subscribe = reply_from_json(q.text(5));
    c.on_scan = reply_from_json(q.text(6));
    c.wechat_tag_id = q.int64(7);
    if (status != "retired" && !q.is_null(9) && !q.text(9).empty()) tickets.push_back({q.text(8), q.text(9), c.id});
    channels.push_back(std::move(c));
  }
  q.reset();
  QRSCENE_ASSIGN_OR_RETURN(auto h, db.prepare("SELECT appid, scene, channel_id, valid_from, COALESCE(valid_to, 0) "
                                              "FROM scene_history"));
  std::vector<domain::SceneSpan> scenes;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, h.step());
    if (!row) break;
    scenes.push_back({h.text(0), h.text(1), h.int64(2), h.int64(3), h.int64(4)});
  }
  h.reset();
  return std::make_shared<const domain::ChannelDirectory>(std::move(channels), std::move(tickets), std::move(scenes));
}

// One logged event as the projector reads it back.
struct LoggedEvent {
  std::int64_t id = 0;
  domain::Event event;  // dedup_key: as stored (the keyed hash)
  std::optional<std::int64_t> channel_id;
  std::int64_t received_at = 0;
  std::string reply;
};

// A channel-day's or an account-day's movement within one batch.
struct DayDelta {
  domain::Counters counters;
  domain::CohortLosses losses;
  std::int64_t organic_follows = 0;
  std::int64_t organic_unfollows = 0;
};

}  // namespace

// --- the channel directory ---

std::shared_ptr<const domain::ChannelDirectory> SqlStore::directory() const {
  std::lock_guard lock(directory_mu_);
  return directory_;
}

std::shared_ptr<const std::vector<domain::Campaign>> SqlStore::campaign_directory() const {
  std::lock_guard lock(directory_mu_);
  return campaigns_;
}

bool SqlStore::wants(const domain::Event& event) const {
  const auto campaigns = campaign_directory();
  return campaigns && domain::campaign_wants(*campaigns, event);
}

Status SqlStore::reload_directory(Database& db) {
  QRSCENE_ASSIGN_OR_RETURN(auto fresh, load_directory(db));
  QRSCENE_ASSIGN_OR_RETURN(auto campaigns, load_campaigns(db));
  std::lock_guard lock(directory_mu_);
  directory_ = std::move(fresh);
  campaigns_ = std::make_shared<const std::vector<domain::Campaign>>(std::move(campaigns));
  return {};
}

Status SqlStore::refresh_directory(Database& db) {
  // One thread loads; the others wait for its snapshot rather than answer from the old one.
  std::lock_guard lock(directory_load_mu_);
  if (!directory_stale_.exchange(false)) return {};
  if (auto loaded = reload_directory(db); !loaded) {
    directory_stale_.store(true);
    return loaded;
  }
  return {};
}

Status SqlStore::channels_changed(Database& db) {
  QRSCENE_ASSIGN_OR_RETURN(auto bump, db.prepare("UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) "
                                                 "WHERE key = 'channels_version'"));
  return bump.run();
}

// --- the projector ---

Status SqlStore::start_projector(std::unique_ptr<Database> db, std::unique_ptr<Database> log) {
  QRSCENE_TRY(db->relax_durability());
  QRSCENE_ASSIGN_OR_RETURN(projector_, Projector::make(std::move(db), std::move(log)));
  QRSCENE_ASSIGN_OR_RETURN(auto step, CampaignStep::make(*projector_->db, {options_.reward_webhook,
                                                                          options_.unlink_on_unfollow}));
  projector_->campaigns.emplace(std::move(step));
  if (single_writer_) {
    // SQLite (this instance projects): where things stand before the first batch, so that the lag
    // shows from the start even while that batch keeps failing.
    QRSCENE_ASSIGN_OR_RETURN(const std::int64_t position, projector_->one_int(projector_->read_position));
    QRSCENE_ASSIGN_OR_RETURN(const std::int64_t head, projector_->one_int(projector_->head));
    std::int64_t cleared = 0;
    if (projector_->read_cleared) {
      QRSCENE_ASSIGN_OR_RETURN(cleared, projector_->one_int(*projector_->read_cleared));
    }
    std::lock_guard lock(projection_mu_);
    projection_.position = position;
    projection_.head = head;
    log_cleared_ = cleared;
  }
  if (options_.project) projector_thread_ = std::thread([this] { projector_loop(); });
  return {};
}

void SqlStore::stop_projector() {
  {
    std::lock_guard lock(projection_mu_);
    projector_stopping_ = true;
  }
  projection_moved_.notify_all();
  if (projector_thread_.joinable()) projector_thread_.join();
}

ProjectionStats SqlStore::projection() const {
  std::lock_guard lock(projection_mu_);
  return projection_;
}

bool SqlStore::turn_quiet() const noexcept {
  return single_writer_ &&
         clock_.unix_seconds() - turn_wanted_at_.load(std::memory_order_relaxed) >= options_.turn_quiet.count();
}

std::size_t SqlStore::project_batch() const noexcept {
  return std::max<std::size_t>(1, turn_quiet() ? options_.project_batch_quiet : options_.project_batch);
}

std::chrono::milliseconds SqlStore::project_gather() const noexcept {
  return turn_quiet() ? options_.project_gather_quiet : options_.project_gather;
}

void SqlStore::projector_loop() {
  name_this_thread("qrs-projector");
  auto pause = options_.project_retry;
  std::optional<Clock::time_point> drain_until;
  for (;;) {
    bool stopping = false;
    {
      std::lock_guard lock(projection_mu_);
      stopping = projector_stopping_;
    }
    if (stopping && !drain_until) drain_until = Clock::now() + kDrainOnStop;
    if (drain_until && Clock::now() >= *drain_until) return;
    const std::size_t limit = project_batch();  // one reading for the batch and the test below
    auto applied = project_once(*projector_, limit);
    std::unique_lock lock(projection_mu_);
    if (!applied) {
      ++projection_.failures;
      projection_.last_error = applied.error().message;
      if (projector_stopping_) return;  // the next start applies what is left
      projection_moved_.wait_for(lock, pause, [this] { return projector_stopping_; });
      pause = std::min<std::chrono::milliseconds>(pause * 2, kMaxRetryPause);
      continue;
    }
    pause = options_.project_retry;
    if (*applied >= limit) continue;  // behind: the next batch at once
    if (*applied > 0) {
      // Caught up under load: let the log gather for a while, so that the next batch is one
      // transaction for many events (each page it dirties written once, not once per few events).
      // A read waiting for the projection ends the wait (catch_up), as does stopping.
      const auto gather = project_gather();
      if (single_writer_ && gather.count() > 0 && !projector_stopping_) {
        projection_moved_.wait_for(lock, gather, [this] { return projector_stopping_ || catching_up_ > 0; });
      }
      continue;
    }
    if (projector_stopping_) return;  // caught up with everything logged
    projector_idle_ = true;
    projection_moved_.wait_for(lock, kIdlePoll, [this] { return log_grew_ || projector_stopping_; });
    projector_idle_ = false;
    log_grew_ = false;
  }
}

Result<std::size_t> SqlStore::project_once(Projector& p, std::size_t limit) {
  Database& db = *p.db;
  // Channel changes made by other instances: a new directory before the next append.
  if (Clock::now() - p.version_checked >= kVersionPoll) {
    p.version_checked = Clock::now();
    p.channels_version.reset();
    QRSCENE_ASSIGN_OR_RETURN(bool row, p.channels_version.step());
    std::string version = row ? p.channels_version.text(0) : "";
    p.channels_version.reset();
    if (version != channels_version_) {
      channels_version_ = std::move(version);
      directory_stale_.store(true);
    }
  }
  QRSCENE_TRY(refresh_directory(db));
  if (p.leader && !p.leading) {  // PostgreSQL: one projector among every instance
    p.leader->reset();
    QRSCENE_ASSIGN_OR_RETURN(bool row, p.leader->step());
    p.leading = row && p.leader->text(0) == "t";
    p.leader->reset();
    if (!p.leading) return std::size_t{0};
    p.position = -1;  // where the last leader left it
  }
  {
    std::lock_guard lock(projection_mu_);
    projection_.leader = true;
  }
  if (p.position < 0) {
    QRSCENE_ASSIGN_OR_RETURN(p.position, p.one_int(p.read_position));
  }
  QRSCENE_TRY(clear_applied(p));  // what was applied and not cleared yet (after a stop, say)
  // The head below which no append is still in flight (several writers: wait for theirs).
  std::int64_t head = 0;
  if (p.settle) {
    QRSCENE_TRY(db.begin());
    p.settle->reset();
    auto settled = p.settle->run();
    auto read = settled ? p.one_int(p.head) : Result<std::int64_t>(settled.error());
    p.reset_all();
    if (read) {
      if (auto committed = db.exec("COMMIT"); !committed) read = committed.error();
    }
    if (!read) {
      // The settle lock is exclusive: a transaction left open here would hold every writer back.
      (void)db.exec("ROLLBACK");
      return read.error();
    }
    head = *read;
  } else {
    QRSCENE_ASSIGN_OR_RETURN(head, p.one_int(p.head));
  }
  auto publish = [&](std::size_t applied) -> Result<std::size_t> {
    std::int64_t lag = 0;
    if (head > p.position) {
      p.oldest_waiting.reset();
      p.oldest_waiting.bind(1, p.position);
      QRSCENE_ASSIGN_OR_RETURN(bool row, p.oldest_waiting.step());
      if (row) lag = std::max<std::int64_t>(0, clock_.unix_seconds() - p.oldest_waiting.int64(0));
      p.oldest_waiting.reset();
    }
    {
      std::lock_guard lock(projection_mu_);
      projection_.head = std::max(projection_.head, head);  // a writer of this instance may be ahead
      projection_.position = p.position;
      projection_.lag_seconds = lag;
      if (applied > 0) {
        projection_.projected += static_cast<std::int64_t>(applied);
        ++projection_.batches;
      }
    }
    projection_moved_.notify_all();
    return applied;
  };
  if (head <= p.position) return publish(0);

  std::vector<LoggedEvent> batch;
  p.read_log.reset();
  p.read_log.bind(1, p.position).bind(2, head).bind(3, static_cast<std::int64_t>(limit));
  for (;;) {
    auto row = p.read_log.step();
    if (!row) {
      p.read_log.reset();
      return row.error();
    }
    if (!*row) break;
    LoggedEvent le;
    le.id = p.read_log.int64(0);
    le.event.appid = p.read_log.text(1);
    le.event.dedup_key = p.read_log.text(2);
    le.event.kind = domain::event_kind_from(p.read_log.text(3));
    le.event.name = p.read_log.text(4);
    le.event.openid = p.read_log.text(5);
    if (!p.read_log.is_null(6)) le.channel_id = p.read_log.int64(6);
    le.event.scene = p.read_log.text(7);
    le.event.ticket = p.read_log.text(8);
    le.event.create_time = p.read_log.int64(9);
    le.received_at = p.read_log.int64(10);
    le.reply = p.read_log.text(11);
    le.event.content = p.read_log.text(12);
    le.event.key = p.read_log.text(13);
    batch.push_back(std::move(le));
  }
  p.read_log.reset();
  if (batch.empty()) return publish(0);
  const std::int64_t last = batch.back().id;
  const std::size_t read = batch.size();  // the cursor passes them all, copies skipped included
  // Applied in time order: with several writers (PostgreSQL) a follower's follow and unfollow,
  // appended at the same moment by two of them, may hold their ids the other way round.
  std::stable_sort(batch.begin(), batch.end(), [](const LoggedEvent& a, const LoggedEvent& b) {
    return a.event.create_time < b.event.create_time;
  });

  const auto directory = this->directory();
  const auto campaigns = campaign_directory();
  const std::int64_t now = clock_.unix_seconds();
  using Follower = std::pair<std::string, std::string>;  // (appid, keyed hash of the openid)
  // A follower's ledger as the batch leaves it: read for the whole batch first, then kept here.
  struct Ledger {
    bool followed_before = false;
    bool open = false;
    std::int64_t open_id = 0;
    std::int64_t channel = 0;  // the open subscription's (0: organic)
    std::int64_t started_at = 0;
  };
  std::vector<std::string> who(batch.size());
  // Every key is in before the first read (no rehash after): a Ledger* stays valid for an event.
  absl::flat_hash_map<Follower, Ledger> ledgers;
  std::map<std::pair<std::int64_t, std::int64_t>, DayDelta> channel_days;  // (channel, day), in key order
  std::map<std::pair<std::string, std::int64_t>, DayDelta> account_days;   // (appid, day)
  // Rows written together after the batch's events were decided, many to a statement.
  struct EventRow {
    const LoggedEvent* le;
    std::string who;
    std::optional<std::int64_t> channel_id;
  };
  struct JobRow {
    std::string appid, kind, subject, payload;
  };
  std::vector<EventRow> event_rows;
  std::vector<JobRow> job_rows;
  const domain::JobRules job_rules{options_.profile_followers, options_.forward_events, options_.forward_kinds};

  // The batch's reads, one statement per kManyRows keys (padded with the last key).
  auto read_ledgers = [&]() -> Status {
    std::vector<const Follower*> keys;
    for (const auto& [key, ledger] : ledgers) keys.push_back(&key);
    for (std::size_t from = 0; from < keys.size(); from += Projector::kManyRows) {
      QRSCENE_ASSIGN_OR_RETURN(Statement * q, p.many(Projector::Many::kLedgers, Projector::kManyRows));
      for (std::size_t r = 0; r < Projector::kManyRows; ++r) {
        const Follower& k = *keys[std::min(from + r, keys.size() - 1)];
        q->bind(static_cast<int>(2 * r + 1), k.first).bind(static_cast<int>(2 * r + 2), k.second);
      }
      for (;;) {
        QRSCENE_ASSIGN_OR_RETURN(bool row, q->step());
        if (!row) break;
        const auto it = ledgers.find(Follower{q->text(0), q->text(1)});
        if (it == ledgers.end()) continue;  // not asked for
        Ledger& l = it->second;
        l.followed_before = true;
        if (q->int64(5) == 1) {
          l.open = true;
          l.open_id = q->int64(2);
          l.channel = q->is_null(3) ? 0 : q->int64(3);
          l.started_at = q->int64(4);
        }
      }
      q->reset();
    }
    return {};
  };
  // Whose ledger an event reads: a follow's or an unfollow's; a scan's only where a fission
  // campaign runs (its step asks whether the scanner followed before). A scan alone changes no
  // ledger and the domain decides it without one, and a batch of a template burst or a poster's
  // scans is mostly scans: no read of the subscriptions per scanner.
  auto campaigning = [&](const std::string& appid) {
    return campaigns && std::any_of(campaigns->begin(), campaigns->end(),
                                    [&](const domain::Campaign& c) { return c.appid == appid; });
  };
  auto needs_ledger = [&](const domain::Event& e) {
    return e.kind == domain::EventKind::kSubscribe || e.kind == domain::EventKind::kUnsubscribe ||
           (e.kind != domain::EventKind::kOther && campaigning(e.appid));
  };
  // One logged event: decided as the domain says, against the ledger as the batch has left it.
  auto apply = [&](const LoggedEvent& le, const std::string& follower) -> Status {
    const domain::Event& e = le.event;
    domain::IngestContext context;
    if (le.channel_id) {
      if (const domain::ChannelRef* c = directory->find(*le.channel_id)) {
        context.channel = *c;
      } else {
        domain::ChannelRef bare;  // made an instant ago elsewhere: credited, tagged at the next change
        bare.id = *le.channel_id;
        context.channel = bare;
      }
    }
    Ledger* ledger = nullptr;
    if (needs_ledger(e)) {
      ledger = &ledgers[{e.appid, follower}];
      context.followed_before = ledger->followed_before;
      if (ledger->open) {
        context.has_open_subscription = true;
        context.open_subscription_channel = ledger->channel;
        context.open_subscription_started_at = ledger->started_at;
      }
    }
    const domain::IngestPlan plan = domain::plan_ingest(e, context, options_.replies);
    event_rows.push_back(EventRow{&le, follower, plan.channel_id});

    if (plan.close_subscription && ledger != nullptr && ledger->open) {
      p.close_subscription.reset();
      QRSCENE_TRY(p.close_subscription.bind(1, e.create_time).bind(2, ledger->open_id).run());
      ledger->open = false;
    }
    if (plan.open_subscription) {
      p.insert_subscription.reset();
      p.insert_subscription.bind(1, e.appid).bind(2, follower).bind(3, plan.channel_id).bind(4, e.create_time);
      QRSCENE_ASSIGN_OR_RETURN(bool row, p.insert_subscription.step());
      if (!row) return unexpected(ErrorCode::kInternal, "a new subscription returned no id");
      *ledger = Ledger{true, true, p.insert_subscription.int64(0), plan.channel_id.value_or(0), e.create_time};
      p.insert_subscription.reset();
    }
    const std::int64_t day = domain::local_day(e.create_time, options_.utc_offset_seconds);
    if (plan.counters_channel) channel_days[{*plan.counters_channel, day}].counters += plan.counters;
    if (plan.counters_channel || plan.organic_follow || plan.organic_unfollow) {
      DayDelta& account = account_days[{e.appid, day}];
      if (plan.counters_channel) account.counters += plan.counters;
      account.organic_follows += plan.organic_follow ? 1 : 0;
      account.organic_unfollows += plan.organic_unfollow ? 1 : 0;
    }
    if (plan.cohort_channel) {
      // An unfollow: the follow's cohort (its channel and day) loses one within each horizon.
      const domain::CohortLosses losses = domain::cohort_loss(plan.cohort_followed_at, e.create_time);
      const std::int64_t cohort_day = domain::local_day(plan.cohort_followed_at, options_.utc_offset_seconds);
      channel_days[{*plan.cohort_channel, cohort_day}].losses += losses;
      account_days[{e.appid, cohort_day}].losses += losses;
    }
    if (plan.remember_follower) {
      p.remember_follower.reset();
      QRSCENE_TRY(p.remember_follower.bind(1, e.appid)
                      .bind(2, e.openid)
                      .bind(3, plan.channel_id)
                      .bind(4, e.create_time)
                      .bind(5, follower)
                      .run());
    }
    if (plan.forget_follower) {
      p.forget_follower.reset();
      QRSCENE_TRY(p.forget_follower.bind(1, e.appid).bind(2, e.openid).run());
      p.forget_jobs.reset();
      QRSCENE_TRY(p.forget_jobs.bind(1, e.appid).bind(2, follower).run());
      std::erase_if(job_rows, [&](const JobRow& j) { return j.appid == e.appid && j.subject == follower; });
      p.forget_bindings.reset();
      QRSCENE_TRY(p.forget_bindings.bind(1, e.appid).bind(2, e.openid).run());
      if (options_.unlink_on_unfollow) {
        p.unlink_events.reset();
        QRSCENE_TRY(p.unlink_events.bind(1, follower).bind(2, follower).run());
        p.unlink_subscriptions.reset();
        QRSCENE_TRY(p.unlink_subscriptions.bind(1, e.appid).bind(2, follower).run());
        for (EventRow& r : event_rows) {  // this batch's rows of the follower, not written yet
          if (r.le->event.appid == e.appid && r.who == follower) r.who = fmt::format("gone:{}", r.le->id);
        }
        if (ledger != nullptr) *ledger = Ledger{};  // no row is theirs any more
      }
    }
    // Tag and profile jobs name the follower (an unfollow drops them); a webhook names none.
    for (auto& payload : domain::plan_jobs(e, le.id, plan, job_rules)) {
      const bool theirs = domain::concerns_follower(payload);
      job_rows.push_back(JobRow{e.appid, std::string(domain::job_kind(payload)), theirs ? follower : std::string(),
                                encode_job(payload)});
    }
    if (campaigning(e.appid)) {
      // Fission campaigns: one step per event of an account that has any, after the ledger (an
      // invite's first follow is known).
      std::vector<CampaignStep::Job> jobs;
      const CampaignStep::Follower f{follower, pseudonym(e.appid, "followed-before:" + e.openid),
                                     context.followed_before};
      QRSCENE_TRY(p.campaigns->apply(*campaigns, e, f, plan.channel_id.value_or(0), jobs));
      for (auto& j : jobs) {
        job_rows.push_back(JobRow{j.appid, std::string(domain::job_kind(j.payload)), j.subject, encode_job(j.payload)});
      }
    }
    return {};
  };

  // Runs `bind_row` for each of `rows` in statements of up to kManyRows rows.
  auto write_many = [&](Projector::Many what, std::size_t rows, int columns,
                        const std::function<void(Statement&, std::size_t row, int at)>& bind_row) -> Status {
    for (std::size_t from = 0; from < rows; from += Projector::kManyRows) {
      const std::size_t n = std::min(Projector::kManyRows, rows - from);
      QRSCENE_ASSIGN_OR_RETURN(Statement * q, p.many(what, n));
      for (std::size_t r = 0; r < n; ++r) bind_row(*q, from + r, 1 + static_cast<int>(r) * columns);
      QRSCENE_TRY(q->run());
      q->reset();
    }
    return {};
  };
  // The key's parameters come first; from `at` on, the six counters, [the organic pair,] the four losses.
  auto bind_day = [](Statement& q, const DayDelta& d, int at, bool organic) {
    const auto& c = d.counters;
    const auto& l = d.losses;
    q.bind(at, c.scans).bind(at + 1, c.new_follows).bind(at + 2, c.first_follows).bind(at + 3, c.re_follows);
    q.bind(at + 4, c.existing_scans).bind(at + 5, c.unfollows);
    at += 6;
    if (organic) {
      q.bind(at, d.organic_follows).bind(at + 1, d.organic_unfollows);
      at += 2;
    }
    q.bind(at, l.within_5m).bind(at + 1, l.within_24h).bind(at + 2, l.within_7d).bind(at + 3, l.within_30d);
  };
  // The group and owner of each channel the batch counted for, read together.
  auto read_segments = [&]() -> Result<std::map<std::int64_t, std::array<std::string, 3>>> {
    std::vector<std::int64_t> ids;
    for (const auto& [key, d] : channel_days) {
      if (ids.empty() || ids.back() != key.first) ids.push_back(key.first);
    }
    std::map<std::int64_t, std::array<std::string, 3>> segments;  // id → appid, group, owner
    for (std::size_t from = 0; from < ids.size(); from += Projector::kManyRows) {
      QRSCENE_ASSIGN_OR_RETURN(Statement * q, p.many(Projector::Many::kSegments, Projector::kManyRows));
      for (std::size_t r = 0; r < Projector::kManyRows; ++r) {
        q->bind(static_cast<int>(r + 1), ids[std::min(from + r, ids.size() - 1)]);
      }
      for (;;) {
        QRSCENE_ASSIGN_OR_RETURN(bool row, q->step());
        if (!row) break;
        segments[q->int64(0)] = {q->text(1), q->text(2), q->text(3)};
      }
      q->reset();
    }
    for (std::int64_t id : ids) {
      if (!segments.contains(id)) return unexpected(ErrorCode::kInternal, fmt::format("channel {} is not in channels", id));
    }
    return segments;
  };

  auto apply_all = [&]() -> Status {
    // SQLite: a push the writer no longer remembered (store/recent_pushes.h) was logged again; its
    // key is applied once, in this batch or before it (the events' unique key).
    if (p.applied_key) {
      absl::flat_hash_set<std::pair<std::string_view, std::string_view>> here;  // into `batch`, unmoved
      std::vector<bool> keep(batch.size(), false);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const domain::Event& e = batch[i].event;
        if (!here.emplace(e.appid, e.dedup_key).second) continue;
        p.applied_key->reset();
        p.applied_key->bind(1, e.appid).bind(2, e.dedup_key);
        QRSCENE_ASSIGN_OR_RETURN(bool applied_before, p.applied_key->step());
        p.applied_key->reset();
        keep[i] = !applied_before;
      }
      here.clear();
      std::vector<LoggedEvent> fresh;
      fresh.reserve(batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (keep[i]) fresh.push_back(std::move(batch[i]));
      }
      batch = std::move(fresh);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      who[i] = pseudonym(batch[i].event.appid, batch[i].event.openid);
      if (needs_ledger(batch[i].event)) ledgers.try_emplace({batch[i].event.appid, who[i]});
    }
    QRSCENE_TRY(read_ledgers());
    for (std::size_t i = 0; i < batch.size(); ++i) QRSCENE_TRY(apply(batch[i], who[i]));
    QRSCENE_TRY(write_many(Projector::Many::kEvents, event_rows.size(), 12, [&](Statement& q, std::size_t i, int at) {
      const EventRow& r = event_rows[i];
      const domain::Event& e = r.le->event;
      q.bind(at, r.le->id)
          .bind(at + 1, e.appid)
          .bind(at + 2, e.dedup_key)
          .bind(at + 3, domain::to_string(e.kind))
          .bind(at + 4, e.name)
          .bind(at + 5, r.who)
          .bind(at + 6, r.channel_id)
          .bind(at + 7, e.scene)
          .bind(at + 8, e.ticket)
          .bind(at + 9, e.create_time)
          .bind(at + 10, r.le->received_at)
          .bind(at + 11, r.le->reply);
    }));
    QRSCENE_TRY(write_many(Projector::Many::kJobs, job_rows.size(), 6, [&](Statement& q, std::size_t i, int at) {
      const JobRow& j = job_rows[i];
      q.bind(at, j.appid).bind(at + 1, j.kind).bind(at + 2, j.subject).bind(at + 3, j.payload);
      q.bind(at + 4, now).bind(at + 5, now);
    }));
    if (!channel_days.empty() && p.segments_lock) {
      p.segments_lock->reset();
      QRSCENE_TRY(p.segments_lock->bind(1, kSegmentsLockKey).run());
    }
    QRSCENE_ASSIGN_OR_RETURN(const auto segments, read_segments());
    // (appid, axis, day, segment): the channels' days summed by their group and by their owner
    std::map<std::tuple<std::string, std::string_view, std::int64_t, std::string>, DayDelta> segment_days;
    for (const auto& [key, d] : channel_days) {
      const auto& [appid, group, owner] = segments.at(key.first);
      for (auto [axis, segment] : {std::pair<std::string_view, const std::string&>{"group", group}, {"owner", owner}}) {
        DayDelta& s = segment_days[{appid, axis, key.second, segment}];
        s.counters += d.counters;
        s.losses += d.losses;
      }
    }
    std::vector<const std::pair<const std::pair<std::int64_t, std::int64_t>, DayDelta>*> cd;
    for (const auto& kv : channel_days) cd.push_back(&kv);
    QRSCENE_TRY(write_many(Projector::Many::kChannelDays, cd.size(), 12, [&](Statement& q, std::size_t i, int at) {
      q.bind(at, cd[i]->first.first).bind(at + 1, cd[i]->first.second);
      bind_day(q, cd[i]->second, at + 2, false);
    }));
    std::vector<const std::pair<const std::pair<std::string, std::int64_t>, DayDelta>*> ad;
    for (const auto& kv : account_days) ad.push_back(&kv);
    QRSCENE_TRY(write_many(Projector::Many::kAccountDays, ad.size(), 14, [&](Statement& q, std::size_t i, int at) {
      q.bind(at, ad[i]->first.first).bind(at + 1, ad[i]->first.second);
      bind_day(q, ad[i]->second, at + 2, true);
    }));
    std::vector<const std::pair<const std::tuple<std::string, std::string_view, std::int64_t, std::string>, DayDelta>*>
        sd;
    for (const auto& kv : segment_days) sd.push_back(&kv);
    QRSCENE_TRY(write_many(Projector::Many::kSegmentDays, sd.size(), 14, [&](Statement& q, std::size_t i, int at) {
      const auto& [appid, axis, day, segment] = sd[i]->first;
      q.bind(at, appid).bind(at + 1, axis).bind(at + 2, day).bind(at + 3, segment);
      bind_day(q, sd[i]->second, at + 4, false);
    }));
    p.move_position.reset();
    QRSCENE_TRY(p.move_position.bind(1, last).bind(2, now).bind(3, p.position).run());
    if (db.changes() != 1) {
      return unexpected(ErrorCode::kUnavailable, "another projector moved the cursor: reading it again");
    }
    if (p.own_log) return Status{};  // cleared in the log's own transaction, once this one commits
    p.clear_log.reset();
    return p.clear_log.bind(1, p.position).bind(2, last).run();
  };

  std::unique_lock<std::mutex> turn;
  if (single_writer_) turn = std::unique_lock(database_turn_);
  QRSCENE_TRY(db.begin());
  Status applied = apply_all();
  p.reset_all();
  if (applied) applied = db.exec("COMMIT");
  if (!applied) {
    (void)db.exec("ROLLBACK");
    p.position = -1;  // read again: the database says where the projection stands
    return applied.error();
  }
  if (turn.owns_lock()) turn.unlock();
  p.position = last;
  // Handed to the writer (or cleared here once it stopped); a read waiting for the projection also
  // waits for the clearing (catch_up), so it finds no openid of what it waited for.
  QRSCENE_TRY(clear_applied(p));
  return publish(read);
}

// The log in a file of its own keeps an event's openid (and a text's content) only until the
// event is applied. While the writer runs it clears them (SqlStore::clear_slice); once it has
// stopped, the projector does, in a short transaction of the log's, its extent kept in the log.
Status SqlStore::clear_applied(Projector& p) {
  if (!p.own_log) return {};
  {
    std::lock_guard lock(mu_);
    if (!writers_stopped_) {
      if (p.position > clear_to_) {
        clear_to_ = p.position;
        wake_.notify_all();
      }
      p.cleared = -1;  // the writer moves it: read it again before clearing here
      return {};
    }
  }
  Database& log = *p.own_log;
  if (p.cleared < 0) {
    QRSCENE_ASSIGN_OR_RETURN(p.cleared, p.one_int(*p.read_cleared));
  }
  if (p.cleared >= p.position) return {};
  std::unique_lock<std::mutex> turn;
  if (single_writer_) turn = std::unique_lock(log_turn_);
  QRSCENE_TRY(log.begin_append());
  p.clear_log.reset();
  Status cleared = p.clear_log.bind(1, p.cleared).bind(2, p.position).run();
  if (cleared) {
    p.mark_cleared->reset();
    cleared = p.mark_cleared->bind(1, p.position).run();
  }
  p.clear_log.reset();
  p.mark_cleared->reset();
  if (cleared) cleared = log.exec("COMMIT");
  if (!cleared) {
    (void)log.exec("ROLLBACK");
    p.cleared = -1;
    return cleared.error();
  }
  p.cleared = p.position;
  {
    std::lock_guard lock(projection_mu_);
    log_cleared_ = std::max(log_cleared_, p.cleared);
  }
  projection_moved_.notify_all();
  return {};
}

Status SqlStore::catch_up(std::chrono::milliseconds bound) {
  const auto deadline = Clock::now() + bound;
  std::int64_t head = 0;
  {
    auto reader = (log_readers_ ? log_readers_ : readers_)->lease();
    QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT COALESCE(MAX(id), 0) FROM event_log"));
    QRSCENE_TRY(q.step());
    head = q.int64(0);
  }
  auto lagging = [&] {
    return unexpected(ErrorCode::kDeadlineExceeded,
                      fmt::format("the projection has not reached event {} of the log within {} ms", head,
                                  bound.count()));
  };
  {
    std::unique_lock lock(projection_mu_);
    if (projection_.leader) {
      ++catching_up_;
      projection_moved_.notify_all();  // a projector letting the log gather applies it now
      // The log apart: its openids cleared too (the writer clears them behind the projector).
      const bool reached = projection_moved_.wait_until(lock, deadline, [&] {
        return projection_.position >= head && (!log_apart_ || log_cleared_ >= head);
      });
      --catching_up_;
      if (reached) return {};
      return lagging();
    }
  }
  // Another instance projects: watch the cursor in the database.
  for (;;) {
    {
      auto reader = readers_->lease();
      QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT position FROM projections WHERE name = 'ingest'"));
      QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
      if (row && q.int64(0) >= head) return {};
    }
    if (Clock::now() >= deadline) return lagging();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void SqlStore::catch_up_for_read() {
  if (options_.read_wait.count() <= 0) return;
  // A lagging projection is served as it stands (the lag is in /metrics and /healthz).
  (void)catch_up(options_.read_wait);
}

}  // namespace qrscene::store
