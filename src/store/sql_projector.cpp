// The projector and the channel directory of SqlStore (sql_store.h): everything behind the answer.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "base/thread_name.h"
#include "domain/analytics.h"
#include "store/sql_projector.h"

namespace qrscene::store {
namespace {

using Clock = std::chrono::steady_clock;

using Json = nlohmann::json;

constexpr auto kVersionPoll = std::chrono::milliseconds(500);  // other instances' channel changes
constexpr auto kIdlePoll = std::chrono::milliseconds(250);     // the log, when no local append wakes us
constexpr auto kDrainOnStop = std::chrono::seconds(10);
constexpr auto kMaxRetryPause = std::chrono::seconds(5);

domain::EventKind kind_from(std::string_view text) {
  if (text == "subscribe") return domain::EventKind::kSubscribe;
  if (text == "scan") return domain::EventKind::kScan;
  if (text == "unsubscribe") return domain::EventKind::kUnsubscribe;
  return domain::EventKind::kOther;
}

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

Status SqlStore::reload_directory(Database& db) {
  QRSCENE_ASSIGN_OR_RETURN(auto fresh, load_directory(db));
  std::lock_guard lock(directory_mu_);
  directory_ = std::move(fresh);
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

Status SqlStore::start_projector(std::unique_ptr<Database> db) {
  QRSCENE_TRY(db->relax_durability());
  QRSCENE_ASSIGN_OR_RETURN(projector_, Projector::make(std::move(db)));
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
    auto applied = project_once(*projector_);
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
    if (*applied > 0) continue;
    if (projector_stopping_) return;  // caught up with everything logged
    projection_moved_.wait_for(lock, kIdlePoll, [this] { return log_grew_ || projector_stopping_; });
    log_grew_ = false;
  }
}

Result<std::size_t> SqlStore::project_once(Projector& p) {
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
  // The head below which no append is still in flight (several writers: wait for theirs).
  std::int64_t head = 0;
  if (p.settle) {
    QRSCENE_TRY(db.begin());
    p.settle->reset();
    auto settled = p.settle->run();
    auto read = settled ? p.one_int(p.head) : Result<std::int64_t>(settled.error());
    p.reset_all();
    if (!read) {
      (void)db.exec("ROLLBACK");
      return read.error();
    }
    QRSCENE_TRY(db.exec("COMMIT"));
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
      projection_.head = head;
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
  p.read_log.bind(1, p.position).bind(2, head).bind(3, static_cast<std::int64_t>(options_.project_batch));
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
    le.event.kind = kind_from(p.read_log.text(3));
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

  const auto directory = this->directory();
  const std::int64_t now = clock_.unix_seconds();
  std::map<std::pair<std::int64_t, std::int64_t>, DayDelta> channel_days;  // (channel, day), in key order
  std::map<std::pair<std::string, std::int64_t>, DayDelta> account_days;   // (appid, day)

  // One logged event: decided as the domain says, against the ledger as the batch has left it.
  auto apply = [&](const LoggedEvent& le) -> Status {
    const domain::Event& e = le.event;
    const std::string who = pseudonym(e.appid, e.openid);
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
    std::int64_t open_id = 0;
    if (e.kind != domain::EventKind::kOther) {
      p.last_subscription.reset();
      p.last_subscription.bind(1, e.appid).bind(2, who);
      QRSCENE_ASSIGN_OR_RETURN(context.followed_before, p.last_subscription.step());
      if (context.followed_before && p.last_subscription.int64(3) == 1) {
        context.has_open_subscription = true;
        open_id = p.last_subscription.int64(0);
        context.open_subscription_channel = p.last_subscription.is_null(1) ? 0 : p.last_subscription.int64(1);
        context.open_subscription_started_at = p.last_subscription.int64(2);
      }
      p.last_subscription.reset();
    }
    const domain::IngestPlan plan = domain::plan_ingest(e, context, options_.replies);

    p.insert_event.reset();
    p.insert_event.bind(1, le.id)
        .bind(2, e.appid)
        .bind(3, e.dedup_key)
        .bind(4, domain::to_string(e.kind))
        .bind(5, e.name)
        .bind(6, who)
        .bind(7, plan.channel_id)
        .bind(8, e.scene)
        .bind(9, e.ticket)
        .bind(10, e.create_time)
        .bind(11, le.received_at)
        .bind(12, le.reply);
    QRSCENE_TRY(p.insert_event.run());
    if (db.changes() == 0) return {};  // stored before the log existed (or by an older qrscene): applied then
    if (plan.close_subscription && open_id != 0) {
      p.close_subscription.reset();
      QRSCENE_TRY(p.close_subscription.bind(1, e.create_time).bind(2, open_id).run());
    }
    if (plan.open_subscription) {
      p.insert_subscription.reset();
      QRSCENE_TRY(
          p.insert_subscription.bind(1, e.appid).bind(2, who).bind(3, plan.channel_id).bind(4, e.create_time).run());
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
    auto job = [&](std::string_view kind, std::string_view subject, const Json& payload) -> Status {
      p.insert_job.reset();
      return p.insert_job.bind(1, e.appid)
          .bind(2, kind)
          .bind(3, subject)
          .bind(4, payload.dump())
          .bind(5, now)
          .bind(6, now)
          .run();
    };
    if (plan.remember_follower) {
      p.remember_follower.reset();
      QRSCENE_TRY(p.remember_follower.bind(1, e.appid)
                      .bind(2, e.openid)
                      .bind(3, plan.channel_id)
                      .bind(4, e.create_time)
                      .bind(5, who)
                      .run());
      // unionid and tags for the follower list (JobRunner)
      if (options_.profile_followers) QRSCENE_TRY(job("profile", who, Json{{"openid", e.openid}}));
    }
    if (plan.forget_follower) {
      p.forget_follower.reset();
      QRSCENE_TRY(p.forget_follower.bind(1, e.appid).bind(2, e.openid).run());
      p.forget_jobs.reset();
      QRSCENE_TRY(p.forget_jobs.bind(1, e.appid).bind(2, who).run());
      p.forget_bindings.reset();
      QRSCENE_TRY(p.forget_bindings.bind(1, e.appid).bind(2, e.openid).run());
      if (options_.unlink_on_unfollow) {
        for (Statement* st : {&p.unlink_events, &p.unlink_subscriptions}) {
          st->reset();
          QRSCENE_TRY(st->bind(1, e.appid).bind(2, who).run());
        }
      }
    }
    if (plan.tag_job != 0) QRSCENE_TRY(job("tag", who, Json{{"openid", e.openid}, {"tag_id", plan.tag_job}}));
    const bool forward_kind =
        std::find(options_.forward_kinds.begin(), options_.forward_kinds.end(), e.name) != options_.forward_kinds.end();
    if (options_.forward_events && (plan.channel_id || forward_kind)) {
      // Not tied to the follower (no subject): the backend is told of the unfollow too.
      QRSCENE_TRY(job("webhook", "",
                      Json{{"event_id", le.id},
                           {"appid", e.appid},
                           {"openid", e.openid},
                           {"event", e.name},
                           {"kind", domain::to_string(e.kind)},
                           {"channel_id", plan.channel_id ? Json(*plan.channel_id) : Json()},
                           {"scene", e.scene},
                           {"ticket", e.ticket},
                           {"key", e.key},
                           {"create_time", e.create_time}}));
    }
    return {};
  };

  auto apply_all = [&]() -> Status {
    for (const auto& le : batch) QRSCENE_TRY(apply(le));
    // The key's parameters come first; from `at` on, the six counters, [the organic pair,] the four losses.
    auto bind_day = [](Statement& q, const DayDelta& d, int at, bool organic) -> Statement& {
      const auto& c = d.counters;
      const auto& l = d.losses;
      q.bind(at, c.scans).bind(at + 1, c.new_follows).bind(at + 2, c.first_follows).bind(at + 3, c.re_follows);
      q.bind(at + 4, c.existing_scans).bind(at + 5, c.unfollows);
      at += 6;
      if (organic) {
        q.bind(at, d.organic_follows).bind(at + 1, d.organic_unfollows);
        at += 2;
      }
      return q.bind(at, l.within_5m).bind(at + 1, l.within_24h).bind(at + 2, l.within_7d).bind(at + 3, l.within_30d);
    };
    if (!channel_days.empty() && p.segments_lock) {
      p.segments_lock->reset();
      QRSCENE_TRY(p.segments_lock->bind(1, kSegmentsLockKey).run());
    }
    // (appid, axis, day, segment): the channels' days summed by their group and by their owner
    std::map<std::tuple<std::string, std::string_view, std::int64_t, std::string>, DayDelta> segment_days;
    std::int64_t segments_known_for = 0;
    std::string appid, group, owner;
    for (const auto& [key, d] : channel_days) {
      p.add_channel_day.reset();
      QRSCENE_TRY(bind_day(p.add_channel_day.bind(1, key.first).bind(2, key.second), d, 3, false).run());
      if (segments_known_for != key.first) {  // the map is in channel order: one lookup per channel
        p.segments_of.reset();
        p.segments_of.bind(1, key.first);
        QRSCENE_ASSIGN_OR_RETURN(bool found, p.segments_of.step());
        if (!found) return unexpected(ErrorCode::kInternal, fmt::format("channel {} is not in channels", key.first));
        appid = p.segments_of.text(0);
        group = p.segments_of.text(1);
        owner = p.segments_of.text(2);
        p.segments_of.reset();
        segments_known_for = key.first;
      }
      for (auto [axis, segment] : {std::pair<std::string_view, const std::string&>{"group", group}, {"owner", owner}}) {
        DayDelta& s = segment_days[{appid, axis, key.second, segment}];
        s.counters += d.counters;
        s.losses += d.losses;
      }
    }
    for (const auto& [key, d] : segment_days) {
      const auto& [segment_appid, axis, day, segment] = key;
      p.add_segment_day.reset();
      QRSCENE_TRY(bind_day(p.add_segment_day.bind(1, segment_appid).bind(2, axis).bind(3, day).bind(4, segment), d,
                           5, false)
                      .run());
    }
    for (const auto& [key, d] : account_days) {
      p.add_account_day.reset();
      QRSCENE_TRY(bind_day(p.add_account_day.bind(1, key.first).bind(2, key.second), d, 3, true).run());
    }
    p.move_position.reset();
    QRSCENE_TRY(p.move_position.bind(1, last).bind(2, now).bind(3, p.position).run());
    if (db.changes() != 1) {
      return unexpected(ErrorCode::kUnavailable, "another projector moved the cursor: reading it again");
    }
    p.clear_log.reset();
    return p.clear_log.bind(1, p.position).bind(2, last).run();
  };

  std::unique_lock<std::mutex> turn;
  if (single_writer_) turn = std::unique_lock(single_writer_mu_);
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
  return publish(batch.size());
}

Status SqlStore::catch_up(std::chrono::milliseconds bound) {
  const auto deadline = Clock::now() + bound;
  std::int64_t head = 0;
  {
    auto reader = readers_->lease();
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
      if (projection_moved_.wait_until(lock, deadline, [&] { return projection_.position >= head; })) return {};
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
