#include "store/migrations.h"

#include <ctime>

#include <fmt/format.h>

namespace qrscene::store {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kAll = {
      {1, "channels, events, subscriptions, followers, rollups, jobs", R"sql(
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE channels (
  id              INTEGER PRIMARY KEY,
  appid           TEXT NOT NULL,
  name            TEXT NOT NULL,
  grp             TEXT NOT NULL DEFAULT '',
  owner           TEXT NOT NULL DEFAULT '',
  kind            TEXT NOT NULL CHECK (kind IN ('temporary', 'permanent')),
  scene           TEXT NOT NULL,
  scene_is_int    INTEGER NOT NULL DEFAULT 0,
  ticket          TEXT,
  url             TEXT NOT NULL DEFAULT '',
  expires_at      INTEGER NOT NULL DEFAULT 0,
  status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'expired', 'retired')),
  reply_subscribe TEXT NOT NULL DEFAULT '{}',
  reply_scan      TEXT NOT NULL DEFAULT '{}',
  wechat_tag_id   INTEGER NOT NULL DEFAULT 0,
  evergreen       INTEGER NOT NULL DEFAULT 0,
  spend_cents     INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  retired_at      INTEGER
);
-- A scene and a ticket mean one channel at a time; a retired channel lets them go.
CREATE UNIQUE INDEX channels_by_ticket ON channels (appid, ticket) WHERE ticket IS NOT NULL AND status <> 'retired';
CREATE UNIQUE INDEX channels_live_scene ON channels (appid, scene) WHERE status <> 'retired';
CREATE INDEX channels_by_account ON channels (appid, status);

CREATE TABLE scene_history (
  appid      TEXT NOT NULL,
  scene      TEXT NOT NULL,
  channel_id INTEGER NOT NULL REFERENCES channels (id),
  valid_from INTEGER NOT NULL,
  valid_to   INTEGER
);
CREATE INDEX scene_history_lookup ON scene_history (appid, scene, valid_from);

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  appid       TEXT NOT NULL,
  dedup_key   TEXT NOT NULL,  -- keyed hash of make_dedup_key(), which holds the openid
  kind        TEXT NOT NULL,
  name        TEXT NOT NULL,
  openid_hash TEXT NOT NULL,
  channel_id  INTEGER REFERENCES channels (id),
  scene       TEXT NOT NULL DEFAULT '',
  ticket      TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  reply       TEXT NOT NULL DEFAULT '{}',
  UNIQUE (appid, dedup_key)
);
CREATE INDEX events_by_channel ON events (channel_id, create_time);

CREATE TABLE subscriptions (
  id          INTEGER PRIMARY KEY,
  appid       TEXT NOT NULL,
  openid_hash TEXT NOT NULL,
  channel_id  INTEGER REFERENCES channels (id),
  started_at  INTEGER NOT NULL,
  ended_at    INTEGER
);
CREATE INDEX subscriptions_by_follower ON subscriptions (appid, openid_hash, id);
CREATE INDEX subscriptions_by_channel ON subscriptions (channel_id, started_at);

CREATE TABLE followers (
  appid            TEXT NOT NULL,
  openid           TEXT NOT NULL,
  first_channel_id INTEGER REFERENCES channels (id),
  subscribed_at    INTEGER NOT NULL,
  PRIMARY KEY (appid, openid)
);

CREATE TABLE channel_daily (
  channel_id     INTEGER NOT NULL REFERENCES channels (id),
  day            INTEGER NOT NULL,
  scans          INTEGER NOT NULL DEFAULT 0,
  new_follows    INTEGER NOT NULL DEFAULT 0,
  first_follows  INTEGER NOT NULL DEFAULT 0,
  re_follows     INTEGER NOT NULL DEFAULT 0,
  existing_scans INTEGER NOT NULL DEFAULT 0,
  unfollows      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (channel_id, day)
);

CREATE TABLE jobs (
  id         INTEGER PRIMARY KEY,
  appid      TEXT NOT NULL,
  kind       TEXT NOT NULL,
  subject    TEXT NOT NULL DEFAULT '',  -- the follower's pseudonym, so an unfollow can drop the job
  payload    TEXT NOT NULL,
  state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts   INTEGER NOT NULL DEFAULT 0,
  run_after  INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_after);
)sql"},
      {2, "cohort losses and the account's daily rollup", R"sql(
-- Follows of the row's day that unfollowed within 5 minutes / 24 hours / 7 / 30 days.
ALTER TABLE channel_daily ADD COLUMN left_5m INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channel_daily ADD COLUMN left_24h INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channel_daily ADD COLUMN left_7d INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channel_daily ADD COLUMN left_30d INTEGER NOT NULL DEFAULT 0;

-- The account's days: channel counters summed, plus follows and unfollows without a channel.
CREATE TABLE account_daily (
  appid             TEXT NOT NULL,
  day               INTEGER NOT NULL,
  scans             INTEGER NOT NULL DEFAULT 0,
  new_follows       INTEGER NOT NULL DEFAULT 0,
  first_follows     INTEGER NOT NULL DEFAULT 0,
  re_follows        INTEGER NOT NULL DEFAULT 0,
  existing_scans    INTEGER NOT NULL DEFAULT 0,
  unfollows         INTEGER NOT NULL DEFAULT 0,
  organic_follows   INTEGER NOT NULL DEFAULT 0,
  organic_unfollows INTEGER NOT NULL DEFAULT 0,
  left_5m           INTEGER NOT NULL DEFAULT 0,
  left_24h          INTEGER NOT NULL DEFAULT 0,
  left_7d           INTEGER NOT NULL DEFAULT 0,
  left_30d          INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (appid, day)
);
-- Days before this version: the channels' part (organic follows were not counted then).
INSERT INTO account_daily (appid, day, scans, new_follows, first_follows, re_follows, existing_scans, unfollows)
  SELECT c.appid, d.day, SUM(d.scans), SUM(d.new_follows), SUM(d.first_follows), SUM(d.re_follows),
         SUM(d.existing_scans), SUM(d.unfollows)
  FROM channel_daily d JOIN channels c ON c.id = d.channel_id GROUP BY c.appid, d.day;
CREATE INDEX channels_by_group ON channels (appid, grp);
CREATE INDEX channels_by_owner ON channels (appid, owner);
CREATE INDEX channel_daily_by_day ON channel_daily (day, channel_id);
)sql"},
      {3, "login and bind sessions, their codes, bindings", R"sql(
-- One row per browser session (docs/login.md). The browser's secret and the exchange code are kept
-- as SHA-256 only; openid is personal data and the row is purged a day after the session ended.
CREATE TABLE login_sessions (
  id                TEXT PRIMARY KEY,
  appid             TEXT NOT NULL,
  purpose           TEXT NOT NULL CHECK (purpose IN ('login', 'bind')),
  user_id           TEXT NOT NULL DEFAULT '',
  secret_sha256     TEXT NOT NULL,
  confirm_in_wechat INTEGER NOT NULL DEFAULT 0,
  requester_ip      TEXT NOT NULL DEFAULT '',
  requester_agent   TEXT NOT NULL DEFAULT '',
  channel_id        INTEGER NOT NULL REFERENCES channels (id),
  scene             TEXT NOT NULL DEFAULT '',
  state             TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'scanned', 'confirmed', 'denied', 'expired')),
  openid            TEXT NOT NULL DEFAULT '',
  reason            TEXT NOT NULL DEFAULT '',
  created_at        INTEGER NOT NULL,
  expires_at        INTEGER NOT NULL,
  decided_at        INTEGER NOT NULL DEFAULT 0,
  delivered_at      INTEGER NOT NULL DEFAULT 0,
  exchange_sha256   TEXT,
  exchanged_at      INTEGER NOT NULL DEFAULT 0,
  version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX login_sessions_awaiting ON login_sessions (appid, openid) WHERE state = 'scanned';
CREATE INDEX login_sessions_by_expiry ON login_sessions (expires_at);
CREATE UNIQUE INDEX login_sessions_by_exchange ON login_sessions (exchange_sha256) WHERE exchange_sha256 IS NOT NULL;

-- Temporary string-scene codes made for login sessions and lent to one session at a time, so
-- that WeChat is asked for a code only when the pool has none free (held_until passed) that lives
-- long enough.
CREATE TABLE login_codes (
  id         INTEGER PRIMARY KEY,
  appid      TEXT NOT NULL,
  scene      TEXT NOT NULL,
  ticket     TEXT NOT NULL,
  url        TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  session_id TEXT NOT NULL,           -- the last session it was lent to
  channel_id INTEGER NOT NULL REFERENCES channels (id),
  held_until INTEGER NOT NULL,
  UNIQUE (appid, scene)
);
CREATE INDEX login_codes_free ON login_codes (appid, held_until);

-- A WeChat follower bound to a website user: one each way.
CREATE TABLE login_bindings (
  appid      TEXT NOT NULL,
  openid     TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (appid, openid),
  UNIQUE (appid, user_id)
);
)sql"},
      {4, "follower details and conversions", R"sql(
-- What the follower list shows while someone follows: the keyed hash that joins their follows,
-- and what WeChat's user/info said (unionid, tag names as a JSON array). Filled in when the store
-- opens (openid_hash) and by the profile job; the row still goes on an unfollow.
ALTER TABLE followers ADD COLUMN openid_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE followers ADD COLUMN unionid TEXT NOT NULL DEFAULT '';
ALTER TABLE followers ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE followers ADD COLUMN profiled_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX followers_by_hash ON followers (appid, openid_hash);
CREATE INDEX followers_by_unionid ON followers (appid, unionid) WHERE unionid <> '';
-- A person's scans in time order: the last touch before a conversion.
CREATE INDEX events_by_follower ON events (appid, openid_hash, create_time);

-- Conversions sent by the account's backend, credited when recorded (docs/metrics.md). The person
-- is kept as the keyed hash of the openid, never the openid or unionid.
CREATE TABLE conversions (
  id               INTEGER PRIMARY KEY,
  appid            TEXT NOT NULL,
  external_id      TEXT NOT NULL,
  kind             TEXT NOT NULL,
  value_cents      INTEGER NOT NULL CHECK (value_cents >= 0),
  currency         TEXT NOT NULL,
  occurred_at      INTEGER NOT NULL,
  identified_by    TEXT NOT NULL CHECK (identified_by IN ('openid', 'unionid')),
  subject_hash     TEXT NOT NULL,             -- keyed hash of what identified the person
  openid_hash      TEXT NOT NULL DEFAULT '',  -- '' when the person is unknown
  first_channel_id INTEGER REFERENCES channels (id),
  first_touch_at   INTEGER NOT NULL DEFAULT 0,
  last_channel_id  INTEGER REFERENCES channels (id),
  last_touch_at    INTEGER NOT NULL DEFAULT 0,
  received_at      INTEGER NOT NULL,
  UNIQUE (appid, external_id)
);
CREATE INDEX conversions_by_time ON conversions (appid, currency, occurred_at);
CREATE INDEX conversions_by_person ON conversions (appid, openid_hash);
)sql"},
      {5, "dedup keys in time order", R"sql(
-- The dedup key leads with the push's CreateTime (10 digits; a retry carries the same), so a new
-- event goes to the end of the unique index, not to a random page of it: one page less to write
-- per event (docs/benchmarks.md).
UPDATE events SET dedup_key = printf('%010d', create_time) || dedup_key;
)sql"},
      {6, "the event log first, projections behind it", R"sql(
-- The answer path appends here and nowhere else (DESIGN.md §3): one row per push, found again by
-- its dedup key, with the channel and reply decided before the answer. No index keyed by a
-- person: new rows and new keys go to the right-most pages. The openid, a text's content and a
-- menu key stay only until the projector has applied the event.
CREATE TABLE event_log (
  id          INTEGER PRIMARY KEY,
  appid       TEXT NOT NULL,
  dedup_key   TEXT NOT NULL,
  kind        TEXT NOT NULL,
  name        TEXT NOT NULL,
  openid      TEXT NOT NULL DEFAULT '',
  channel_id  INTEGER,
  scene       TEXT NOT NULL DEFAULT '',
  ticket      TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  reply       TEXT NOT NULL DEFAULT '{}',
  content     TEXT NOT NULL DEFAULT '',
  event_key   TEXT NOT NULL DEFAULT '',
  UNIQUE (appid, dedup_key)
);
-- The events stored so far are the log's beginning, already applied.
INSERT INTO event_log (id, appid, dedup_key, kind, name, channel_id, scene, ticket, create_time, received_at, reply)
  SELECT id, appid, dedup_key, kind, name, channel_id, scene, ticket, create_time, received_at, reply FROM events;
-- on postgres: SELECT setval(pg_get_serial_sequence('event_log', 'id'), GREATEST((SELECT MAX(id) FROM event_log), 1));
-- Where each projection stands in the log; it moves in the transaction that applies the events.
CREATE TABLE projections (
  name       TEXT PRIMARY KEY,
  position   INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
INSERT INTO projections (name, position, updated_at) SELECT 'ingest', COALESCE(MAX(id), 0), 0 FROM events;
-- Bumped by every channel change: each instance reloads its channel directory when it moves.
INSERT INTO settings (key, value) VALUES ('channels_version', '0') ON CONFLICT (key) DO NOTHING;
)sql"},
      {7, "rollups per group and per owner", R"sql(
-- A group's or an owner's days: its channels' rows summed, kept by the projector beside
-- channel_daily, and moved with a channel when the channel changes group or owner, so a
-- leaderboard reads one row per segment-day rather than one per channel-day: a range of days is
-- one run of the key, read without a second lookup per row (SQLite: WITHOUT ROWID).
CREATE TABLE segment_daily (
  appid          TEXT NOT NULL,
  axis           TEXT NOT NULL CHECK (axis IN ('group', 'owner')),
  segment        TEXT NOT NULL,
  day            INTEGER NOT NULL,
  scans          INTEGER NOT NULL DEFAULT 0,
  new_follows    INTEGER NOT NULL DEFAULT 0,
  first_follows  INTEGER NOT NULL DEFAULT 0,
  re_follows     INTEGER NOT NULL DEFAULT 0,
  existing_scans INTEGER NOT NULL DEFAULT 0,
  unfollows      INTEGER NOT NULL DEFAULT 0,
  left_5m        INTEGER NOT NULL DEFAULT 0,
  left_24h       INTEGER NOT NULL DEFAULT 0,
  left_7d        INTEGER NOT NULL DEFAULT 0,
  left_30d       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (appid, axis, day, segment)
) WITHOUT ROWID;
INSERT INTO segment_daily
  SELECT c.appid, 'group', c.grp, d.day, SUM(d.scans), SUM(d.new_follows), SUM(d.first_follows), SUM(d.re_follows),
         SUM(d.existing_scans), SUM(d.unfollows), SUM(d.left_5m), SUM(d.left_24h), SUM(d.left_7d), SUM(d.left_30d)
  FROM channel_daily d JOIN channels c ON c.id = d.channel_id GROUP BY c.appid, c.grp, d.day;
INSERT INTO segment_daily
  SELECT c.appid, 'owner', c.owner, d.day, SUM(d.scans), SUM(d.new_follows), SUM(d.first_follows), SUM(d.re_follows),
         SUM(d.existing_scans), SUM(d.unfollows), SUM(d.left_5m), SUM(d.left_24h), SUM(d.left_7d), SUM(d.left_30d)
  FROM channel_daily d JOIN channels c ON c.id = d.channel_id GROUP BY c.appid, c.owner, d.day;
-- The leaderboard's channel counts and spend per group or owner, read from the index alone.
DROP INDEX channels_by_group;
DROP INDEX channels_by_owner;
CREATE INDEX channels_by_group ON channels (appid, grp, spend_cents);
CREATE INDEX channels_by_owner ON channels (appid, owner, spend_cents);
)sql"},
      {8, "renewal failures, the quota beyond our own codes", R"sql(
-- The last failed renewal of an evergreen code: when, and WeChat's words (cleared by a success).
ALTER TABLE channels ADD COLUMN renewal_failed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN renewal_error TEXT NOT NULL DEFAULT '';
-- The expiry the account's backend was told of (webhook channel.expiring): once per expiry.
ALTER TABLE channels ADD COLUMN expiry_noticed INTEGER NOT NULL DEFAULT 0;
-- Per account: permanent codes made outside qrscene (entered by the operator), and the last time
-- WeChat refused a new permanent code as over quota (45029).
CREATE TABLE account_quota (
  appid              TEXT PRIMARY KEY,
  external_permanent INTEGER NOT NULL DEFAULT 0,
  refused_at         INTEGER NOT NULL DEFAULT 0
);
)sql"},
      {9, "SQLite: the log's dedup key without a unique index", R"sql(
-- SQLite has one writer, which finds WeChat's retries among the pushes it appended lately
-- (store/recent_pushes.h); a unique index keyed by a hash put every new key on a page of its own
-- (4 KB written per push). The projector applies a key once all the same. PostgreSQL, several
-- writers and instances, keeps its unique key.
-- sqlite only {
CREATE TABLE event_log_9 (
  id          INTEGER PRIMARY KEY,
  appid       TEXT NOT NULL,
  dedup_key   TEXT NOT NULL,
  kind        TEXT NOT NULL,
  name        TEXT NOT NULL,
  openid      TEXT NOT NULL DEFAULT '',
  channel_id  INTEGER,
  scene       TEXT NOT NULL DEFAULT '',
  ticket      TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  reply       TEXT NOT NULL DEFAULT '{}',
  content     TEXT NOT NULL DEFAULT '',
  event_key   TEXT NOT NULL DEFAULT ''
);
INSERT INTO event_log_9 SELECT id, appid, dedup_key, kind, name, openid, channel_id, scene, ticket, create_time,
  received_at, reply, content, event_key FROM event_log;
DROP TABLE event_log;
ALTER TABLE event_log_9 RENAME TO event_log;
-- } sqlite only
-- on postgres: SELECT 1;
)sql"},
      {10, "fission campaigns: campaigns, participants, invites, rewards", R"sql(
-- A campaign: its rules as JSON (store/campaign_codec.h), its poster's background apart (base64),
-- so that the directory every instance keeps in memory stays small.
CREATE TABLE campaigns (
  id          INTEGER PRIMARY KEY,
  appid       TEXT NOT NULL,
  name        TEXT NOT NULL,
  starts_at   INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL,
  status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
  spec        TEXT NOT NULL,
  background  TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX campaigns_by_account ON campaigns (appid, status);
-- A participant: `who` is the follower's keyed hash (as subscriptions'), `openid` is '' once they
-- unfollowed (their identity goes, their counts stay).
CREATE TABLE campaign_participants (
  id               INTEGER PRIMARY KEY,
  campaign_id      INTEGER NOT NULL REFERENCES campaigns (id),
  appid            TEXT NOT NULL,
  who              TEXT NOT NULL,
  openid           TEXT NOT NULL DEFAULT '',
  joined_at        INTEGER NOT NULL,
  last_seen_at     INTEGER NOT NULL,
  invited_by       INTEGER NOT NULL DEFAULT 0,
  generation       INTEGER NOT NULL DEFAULT 1,
  counted          INTEGER NOT NULL DEFAULT 0,
  taken_back       INTEGER NOT NULL DEFAULT 0,
  rewarded_invites INTEGER NOT NULL DEFAULT 0,
  scene            TEXT NOT NULL DEFAULT '',
  ticket           TEXT NOT NULL DEFAULT '',
  url              TEXT NOT NULL DEFAULT '',
  code_expires_at  INTEGER NOT NULL DEFAULT 0,
  media_id         TEXT NOT NULL DEFAULT '',
  media_expires_at INTEGER NOT NULL DEFAULT 0,
  posters_sent     INTEGER NOT NULL DEFAULT 0,
  left_at          INTEGER NOT NULL DEFAULT 0,
  -- The last poster asked for (a keyword sent again within a minute asks for none) and the last
  -- renewal the hourly upkeep queued (one per six hours, whichever instance runs it).
  poster_requested_at INTEGER NOT NULL DEFAULT 0,
  renew_requested_at  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX campaign_participants_by_who ON campaign_participants (campaign_id, who);
CREATE INDEX campaign_participants_by_follower ON campaign_participants (appid, who);
CREATE INDEX campaign_participants_by_count ON campaign_participants (campaign_id, counted);
-- A follow through a participant's code, counted or not (outcome: domain::InviteOutcome).
CREATE TABLE campaign_invites (
  id             INTEGER PRIMARY KEY,
  campaign_id    INTEGER NOT NULL,
  participant_id INTEGER NOT NULL,
  appid          TEXT NOT NULL,
  invitee_who    TEXT NOT NULL,
  followed_at    INTEGER NOT NULL,
  outcome        TEXT NOT NULL,
  position       INTEGER NOT NULL DEFAULT 0,
  taken_back_at  INTEGER NOT NULL DEFAULT 0,
  left_at        INTEGER NOT NULL DEFAULT 0  -- when the friend unfollowed (retention, fraud signals)
);
CREATE INDEX campaign_invites_by_invitee ON campaign_invites (appid, invitee_who);
CREATE INDEX campaign_invites_by_participant ON campaign_invites (participant_id, followed_at);
CREATE INDEX campaign_invites_by_campaign ON campaign_invites (campaign_id, outcome);
-- A tier granted once per participant: granted, then delivered or failed.
CREATE TABLE campaign_rewards (
  id             INTEGER PRIMARY KEY,
  campaign_id    INTEGER NOT NULL,
  participant_id INTEGER NOT NULL,
  tier_invites   INTEGER NOT NULL,
  reward_code    TEXT NOT NULL DEFAULT '',
  reward_text    TEXT NOT NULL DEFAULT '',
  granted_at     INTEGER NOT NULL,
  state          TEXT NOT NULL DEFAULT 'granted' CHECK (state IN ('granted', 'delivered', 'failed')),
  error          TEXT NOT NULL DEFAULT '',
  updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX campaign_rewards_once ON campaign_rewards (participant_id, tier_invites);
CREATE INDEX campaign_rewards_by_campaign ON campaign_rewards (campaign_id, state);
-- Whoever was seen leaving, as a keyed hash of its own (not the ledger's, so that nothing links it
-- to the follower's other rows): a friend who left is never a first-ever follow again, even after
-- privacy "delete" unlinked their ledger, and a follower from before qrscene who left and comes
-- back through a code does not count either.
CREATE TABLE followed_markers (
  appid  TEXT NOT NULL,
  marker TEXT NOT NULL,
  PRIMARY KEY (appid, marker)
) WITHOUT ROWID;
)sql"},
      {11, "SQLite: the event log in a file of its own", R"sql(
-- SQLite has one write lock per file: with the log in the database, the writer that answers WeChat
-- waited for every projection batch. The log now lives beside the database (qrscene-log.db,
-- store/sqlite/sqlite_store.h), which copied this table's rows there, ids kept, before this
-- migration runs. PostgreSQL keeps its log where it is.
-- sqlite only {
SELECT position FROM log.log_cleared LIMIT 0;  -- fails, and drops nothing, without the log's file attached
DROP TABLE main.event_log;
-- } sqlite only
-- on postgres: SELECT 1;
)sql"},
      {12, "a person's events by a short prefix of their hash", R"sql(
-- Every new event goes to a random place of this index (the person's): the projector's batch made
-- a page of it dirty per few events, and the page's cost grew with the index (docs/benchmarks.md).
-- A 32-bit prefix of the keyed hash makes entries a fifth of (appid, hash, time)'s; the hash itself
-- is checked on the row. The hash is an HMAC over the AppID and the openid: it names one follower
-- of one account on its own.
DROP INDEX events_by_follower;
CREATE INDEX events_by_follower ON events (substr(openid_hash, 1, 8));
)sql"},
  };
  return kAll;
}

namespace {

constexpr std::string_view kLockKey = "qrscene schema migrations";

Status create_table(Database& db) {
  return in_transaction(db, [&]() -> Status {
    if (!db.key_lock_sql().empty()) {
      QRSCENE_ASSIGN_OR_RETURN(auto lock, db.prepare(db.key_lock_sql()));
      QRSCENE_TRY(lock.bind(1, kLockKey).run());
    }
    return db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                   "applied_at BIGINT NOT NULL)");
  });
}

int newest(const std::vector<Migration>& all) { return all.empty() ? 0 : all.back().version; }

Status refuse_newer(Database& db, int at, const std::vector<Migration>& all) {
  if (at <= newest(all)) return {};
  return unexpected(ErrorCode::kFailedPrecondition,
                    fmt::format("{} is at schema version {}, newer than this qrscene knows ({}): upgrade qrscene",
                                db.name(), at, newest(all)));
}

}  // namespace

Result<int> schema_version(Database& db) {
  QRSCENE_TRY(create_table(db));
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  QRSCENE_TRY(q.step());
  return static_cast<int>(q.int64(0));
}

Status check_migrated(Database& db, const std::vector<Migration>& all) {
  QRSCENE_ASSIGN_OR_RETURN(const int at, schema_version(db));
  QRSCENE_TRY(refuse_newer(db, at, all));
  if (at == newest(all)) return {};
  return unexpected(ErrorCode::kFailedPrecondition,
                    fmt::format("{} is at schema version {}, this qrscene needs {}: run 'qrscene migrate' first "
                                "(or set [store] auto_migrate = true)",
                                db.name(), at, newest(all)));
}

Result<int> migrate(Database& db, const std::vector<Migration>& all) {
  QRSCENE_ASSIGN_OR_RETURN(int at, schema_version(db));
  QRSCENE_TRY(refuse_newer(db, at, all));
  for (const auto& m : all) {
    if (m.version <= at) continue;
    // Under the lock, the version is read again: another instance may have applied it meanwhile.
    const Status applied = in_transaction(db, [&]() -> Status {
      if (!db.key_lock_sql().empty()) {
        QRSCENE_ASSIGN_OR_RETURN(auto lock, db.prepare(db.key_lock_sql()));
        QRSCENE_TRY(lock.bind(1, kLockKey).run());
      }
      QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?"));
      q.bind(1, std::int64_t{m.version});
      QRSCENE_ASSIGN_OR_RETURN(bool done, q.step());
      q.reset();
      if (done) return {};
      QRSCENE_TRY(db.exec(m.sql));
      QRSCENE_ASSIGN_OR_RETURN(auto record,
                               db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"));
      return record.bind(1, std::int64_t{m.version})
          .bind(2, m.name)
          .bind(3, static_cast<std::int64_t>(std::time(nullptr)))
          .run();
    });
    if (!applied) {
      return unexpected(applied.error().code,
                        fmt::format("migration {} ({}): {}", m.version, m.name, applied.error().message));
    }
    at = m.version;
  }
  return at;
}

}  // namespace qrscene::store
