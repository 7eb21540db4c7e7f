// SqlStore's projector connection and its prepared statements (sql_projector.cpp runs it; the
// store's constructor and destructor need the whole type). Internal to store/.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "store/campaign_step.h"
#include "store/rollup_sql.h"
#include "store/sql_store.h"

namespace qrscene::store {

// The projector's connection and its statements, prepared once.
struct SqlStore::Projector {
  std::unique_ptr<Database> db;
  // The log's own file (SQLite): read on this connection, in transactions apart from the
  // database's (and cleared here once the writer stopped; while it runs, the writer clears).
  // Null: the log is in `db` and cleared in its batch.
  std::unique_ptr<Database> own_log;
  std::optional<Statement> leader;  // PostgreSQL: the election
  std::optional<Statement> settle;  // PostgreSQL: no append in flight below the head
  std::optional<Statement> segments_lock;  // PostgreSQL: no channel changes group or owner meanwhile
  std::optional<Statement> applied_key;    // SQLite: a push logged again beyond the writer's memory
  Statement head;
  Statement oldest_waiting;
  Statement read_position;
  Statement move_position;
  Statement read_log;
  Statement clear_log;
  std::optional<Statement> read_cleared;  // own_log: how far the log is cleared
  std::optional<Statement> mark_cleared;
  Statement channels_version;
  Statement close_subscription;
  Statement insert_subscription;
  Statement remember_follower;
  Statement forget_follower;
  Statement forget_jobs;
  Statement forget_bindings;
  Statement unlink_events;
  Statement unlink_subscriptions;
  // The batch's reads and writes many rows to a statement (many()), prepared once per row count.
  enum class Many { kLedgers, kSegments, kEvents, kJobs, kChannelDays, kAccountDays, kSegmentDays };
  static constexpr std::size_t kManyRows = 64;
  std::map<std::pair<Many, std::size_t>, Statement> many_rows;
  bool leading = false;
  std::int64_t position = -1;  // -1: read it from the database first
  std::int64_t cleared = -1;   // own_log: the log is cleared up to here (-1: read it first)
  std::chrono::steady_clock::time_point version_checked{};
  std::optional<CampaignStep> campaigns;  // fission campaigns' step (set by start_projector)

  static Result<std::unique_ptr<Projector>> make(std::unique_ptr<Database> db, std::unique_ptr<Database> own_log) {
    auto p = [&db](std::string_view sql) { return db->prepare(sql); };
    Database& log_db = own_log ? *own_log : *db;
    auto on_log = [&log_db](std::string_view sql) { return log_db.prepare(sql); };
    std::optional<Statement> leader, settle;
    std::optional<Statement> segments_lock;
    if (!db->key_lock_sql().empty()) {
      QRSCENE_ASSIGN_OR_RETURN(auto l, p(db->key_lock_sql()));
      segments_lock.emplace(std::move(l));
    }
    if (!db->leader_lock_sql().empty()) {
      QRSCENE_ASSIGN_OR_RETURN(auto l, p(db->leader_lock_sql()));
      leader.emplace(std::move(l));
      QRSCENE_ASSIGN_OR_RETURN(auto s, p(db->log_settle_lock_sql()));
      settle.emplace(std::move(s));
    }
    std::optional<Statement> applied_key;
    if (!db->log_keys_unique()) {
      QRSCENE_ASSIGN_OR_RETURN(auto a, p("SELECT 1 FROM events WHERE appid = ? AND dedup_key = ?"));
      applied_key.emplace(std::move(a));
    }
    QRSCENE_ASSIGN_OR_RETURN(auto head, on_log("SELECT COALESCE(MAX(id), 0) FROM event_log"));
    QRSCENE_ASSIGN_OR_RETURN(auto oldest_waiting,
                             on_log("SELECT received_at FROM event_log WHERE id > ? ORDER BY id LIMIT 1"));
    QRSCENE_ASSIGN_OR_RETURN(auto read_position, p("SELECT position FROM projections WHERE name = 'ingest'"));
    // The cursor moves only from where this projector left it: a second projector cannot apply twice.
    QRSCENE_ASSIGN_OR_RETURN(auto move_position, p("UPDATE projections SET position = ?, updated_at = ? WHERE name = "
                                                   "'ingest' AND position = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto read_log,
                             on_log("SELECT id, appid, dedup_key, kind, name, openid, channel_id, scene, ticket, "
                               "create_time, received_at, reply, content, event_key FROM event_log WHERE id > ? AND "
                               "id <= ? ORDER BY id LIMIT ?"));
    // Applied: the log keeps no openid (privacy) — only the key WeChat's retries are found by.
    QRSCENE_ASSIGN_OR_RETURN(auto clear_log, on_log("UPDATE event_log SET openid = '', content = '', event_key = '' "
                                                    "WHERE id > ? AND id <= ?"));
    std::optional<Statement> read_cleared, mark_cleared;
    if (own_log) {
      QRSCENE_ASSIGN_OR_RETURN(auto r, on_log("SELECT position FROM log_cleared"));
      read_cleared.emplace(std::move(r));
      QRSCENE_ASSIGN_OR_RETURN(auto m, on_log("UPDATE log_cleared SET position = ?"));
      mark_cleared.emplace(std::move(m));
    }
    QRSCENE_ASSIGN_OR_RETURN(auto channels_version, p("SELECT value FROM settings WHERE key = 'channels_version'"));
    QRSCENE_ASSIGN_OR_RETURN(auto close_subscription, p("UPDATE subscriptions SET ended_at = ? WHERE id = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto insert_subscription, p("INSERT INTO subscriptions (appid, openid_hash, channel_id, "
                                                         "started_at) VALUES (?, ?, ?, ?) RETURNING id"));
    QRSCENE_ASSIGN_OR_RETURN(
        auto remember_follower,
        p("INSERT INTO followers (appid, openid, first_channel_id, subscribed_at, openid_hash) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT (appid, openid) DO UPDATE SET subscribed_at = excluded.subscribed_at, "
          "openid_hash = excluded.openid_hash"));
    QRSCENE_ASSIGN_OR_RETURN(auto forget_follower, p("DELETE FROM followers WHERE appid = ? AND openid = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto forget_jobs,
                             p("DELETE FROM jobs WHERE appid = ? AND subject = ? AND state <> 'running'"));
    QRSCENE_ASSIGN_OR_RETURN(auto forget_bindings, p("DELETE FROM login_bindings WHERE appid = ? AND openid = ?"));
    // privacy = "delete": the follower's rows keep no link to each other (a hash per row).
    // By the prefix index (migration 12); the hash names the account too.
    QRSCENE_ASSIGN_OR_RETURN(auto unlink_events, p("UPDATE events SET openid_hash = 'gone:' || id WHERE "
                                                   "substr(openid_hash, 1, 8) = substr(?, 1, 8) AND openid_hash = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto unlink_subscriptions, p("UPDATE subscriptions SET openid_hash = 'gone:' || id WHERE "
                                                          "appid = ? AND openid_hash = ?"));
    return std::unique_ptr<Projector>(new Projector{
        std::move(db), std::move(own_log), std::move(leader), std::move(settle), std::move(segments_lock), std::move(applied_key),
        std::move(head), std::move(oldest_waiting), std::move(read_position), std::move(move_position),
        std::move(read_log), std::move(clear_log), std::move(read_cleared), std::move(mark_cleared),
        std::move(channels_version), std::move(close_subscription),
        std::move(insert_subscription),
        std::move(remember_follower), std::move(forget_follower), std::move(forget_jobs), std::move(forget_bindings),
        std::move(unlink_events), std::move(unlink_subscriptions), {}, false, -1, -1, {}, std::nullopt});
  }

  // See Writer::reset_all: no statement may keep a read snapshot open past its transaction.
  void reset_all() {
    for (Statement* s :
         {&head, &oldest_waiting, &read_position, &move_position, &read_log, &clear_log, &channels_version,
          &close_subscription, &insert_subscription, &remember_follower, &forget_follower, &forget_jobs,
          &forget_bindings, &unlink_events, &unlink_subscriptions}) {
      s->reset();
    }
    for (auto& [key, st] : many_rows) st.reset();
    if (campaigns) campaigns->reset_all();
    if (leader) leader->reset();
    if (settle) settle->reset();
    if (segments_lock) segments_lock->reset();
    if (applied_key) applied_key->reset();
    if (read_cleared) read_cleared->reset();
    if (mark_cleared) mark_cleared->reset();
  }

  // The statement for `what` over `rows` rows (reads take kManyRows keys, padded by the caller).
  Result<Statement*> many(Many what, std::size_t rows) {
    auto it = many_rows.find({what, rows});
    if (it == many_rows.end()) {
      QRSCENE_ASSIGN_OR_RETURN(auto st, db->prepare(many_sql(what, rows)));
      it = many_rows.emplace(std::pair{what, rows}, std::move(st)).first;
    }
    it->second.reset();
    return &it->second;
  }

  static std::string many_sql(Many what, std::size_t rows) {
    auto values = [rows](int columns) { return value_rows(rows, static_cast<std::size_t>(columns)); };
    switch (what) {
      case Many::kLedgers:  // each follower's open subscription if any, else their latest
        return "SELECT s.appid, s.openid_hash, s.id, s.channel_id, s.started_at, CASE WHEN s.ended_at IS NULL THEN 1 "
               "ELSE 0 END FROM subscriptions s WHERE s.id IN (SELECT (SELECT x.id FROM subscriptions x WHERE "
               "x.appid = v.column1 AND x.openid_hash = v.column2 ORDER BY CASE WHEN x.ended_at IS NULL THEN 1 ELSE "
               "0 END DESC, x.id DESC LIMIT 1) FROM (VALUES " + values(2) + ") v)";
      case Many::kSegments:
        return "SELECT id, appid, grp, owner FROM channels WHERE id IN " + value_rows(1, rows);  // one row: a list
      // Every event in `events` came through the log once (migration 6 copied those from before
      // it, an older qrscene refuses the newer schema, the cursor commits with the rows); a row put
      // there by hand (a restore) keeps its place rather than stop the projector for good.
      case Many::kEvents:
        return "INSERT INTO events (id, appid, dedup_key, kind, name, openid_hash, channel_id, scene, ticket, "
               "create_time, received_at, reply) VALUES " + values(12) + " ON CONFLICT DO NOTHING";
      case Many::kJobs:
        return "INSERT INTO jobs (appid, kind, subject, payload, run_after, created_at) VALUES " + values(6);
      case Many::kChannelDays:  // a delta per key, summed over the batch (rollup_sql.h)
        return upsert_adding("channel_daily", {"channel_id", "day"}, rollup_columns(), rows);
      case Many::kAccountDays:
        return upsert_adding("account_daily", {"appid", "day"}, rollup_columns({"organic_follows", "organic_unfollows"}),
                           rows);
      case Many::kSegmentDays:
        return upsert_adding("segment_daily", {"appid", "axis", "day", "segment"}, rollup_columns(), rows);
    }
    return "";
  }

  Result<std::int64_t> one_int(Statement& q) {
    q.reset();
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    const std::int64_t value = row ? q.int64(0) : 0;
    q.reset();
    return value;
  }
};

}  // namespace qrscene::store
