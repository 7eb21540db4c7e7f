#include "store/sqlite/sqlite_store.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "store/sqlite/migrations.h"

namespace qrscene::store::sqlite {
namespace {

using Json = nlohmann::json;
using domain::ReplyChoice;

std::string_view kind_name(ReplyChoice::Kind k) {
  switch (k) {
    case ReplyChoice::Kind::kText: return "text";
    case ReplyChoice::Kind::kImage: return "image";
    case ReplyChoice::Kind::kNews: return "news";
    case ReplyChoice::Kind::kNone: break;
  }
  return "none";
}

std::string reply_to_json(const ReplyChoice& r) {
  if (r.kind == ReplyChoice::Kind::kNone) return "{}";
  Json j{{"kind", kind_name(r.kind)}};
  if (!r.text.empty()) j["text"] = r.text;
  if (!r.media_id.empty()) j["media_id"] = r.media_id;
  if (!r.title.empty()) j["title"] = r.title;
  if (!r.description.empty()) j["description"] = r.description;
  if (!r.url.empty()) j["url"] = r.url;
  if (!r.pic_url.empty()) j["pic_url"] = r.pic_url;
  return j.dump();
}

ReplyChoice reply_from_json(const std::string& text) {
  ReplyChoice r;
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return r;
  const std::string kind = j.value("kind", "none");
  r.kind = kind == "text" ? ReplyChoice::Kind::kText
           : kind == "image" ? ReplyChoice::Kind::kImage
           : kind == "news"  ? ReplyChoice::Kind::kNews
                             : ReplyChoice::Kind::kNone;
  r.text = j.value("text", "");
  r.media_id = j.value("media_id", "");
  r.title = j.value("title", "");
  r.description = j.value("description", "");
  r.url = j.value("url", "");
  r.pic_url = j.value("pic_url", "");
  return r;
}

Result<std::string> load_or_make_key(Database& db) {
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT value FROM settings WHERE key = 'pseudonym_key'"));
  QRSCENE_ASSIGN_OR_RETURN(bool found, q.step());
  if (found) return decode_base64(q.text(0));
  std::array<std::uint8_t, 32> key{};
  secure_random_bytes(key);
  QRSCENE_ASSIGN_OR_RETURN(auto ins, db.prepare("INSERT INTO settings (key, value) VALUES ('pseudonym_key', ?)"));
  QRSCENE_TRY(ins.bind(1, encode_base64(key)).run());
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

}  // namespace

// The write connection and its statements, prepared once.
struct SqliteStore::Writer {
  std::unique_ptr<Database> db;
  Statement find_event;
  Statement channel_by_ticket;
  Statement channel_by_scene;
  Statement open_subscription;
  Statement any_subscription;
  Statement insert_event;
  Statement close_subscription;
  Statement insert_subscription;
  Statement add_counters;
  Statement remember_follower;
  Statement forget_follower;
  Statement insert_job;
  Statement forget_jobs;

  static Result<std::unique_ptr<Writer>> make(std::unique_ptr<Database> db) {
    constexpr const char* kChannel =
        "SELECT id, name, scene, owner, status, reply_subscribe, reply_scan, wechat_tag_id FROM channels ";
    auto p = [&db](std::string_view sql) { return db->prepare(sql); };
    QRSCENE_ASSIGN_OR_RETURN(auto s1, p("SELECT id, channel_id, reply FROM events WHERE appid = ? AND dedup_key = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s2, p(std::string(kChannel) + "WHERE appid = ? AND ticket = ?"));
    // The channel the scene meant at the event's time, in one lookup.
    QRSCENE_ASSIGN_OR_RETURN(
        auto s3, p("SELECT c.id, c.name, c.scene, c.owner, c.status, c.reply_subscribe, c.reply_scan, "
                   "c.wechat_tag_id FROM scene_history h JOIN channels c ON c.id = h.channel_id "
                   "WHERE h.appid = ? AND h.scene = ? AND h.valid_from <= ? AND (h.valid_to IS NULL OR "
                   "h.valid_to > ?) ORDER BY h.valid_from DESC LIMIT 1"));
    QRSCENE_ASSIGN_OR_RETURN(auto s5, p("SELECT id, channel_id FROM subscriptions WHERE appid = ? AND openid_hash = ? "
                                        "AND ended_at IS NULL ORDER BY id DESC LIMIT 1"));
    QRSCENE_ASSIGN_OR_RETURN(auto s6, p("SELECT 1 FROM subscriptions WHERE appid = ? AND openid_hash = ? LIMIT 1"));
    QRSCENE_ASSIGN_OR_RETURN(
        auto s7, p("INSERT INTO events (appid, dedup_key, kind, name, openid_hash, channel_id, scene, ticket, "
                   "create_time, received_at, reply) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    QRSCENE_ASSIGN_OR_RETURN(auto s8, p("UPDATE subscriptions SET ended_at = ? WHERE id = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s9, p("INSERT INTO subscriptions (appid, openid_hash, channel_id, started_at) "
                                        "VALUES (?, ?, ?, ?)"));
    QRSCENE_ASSIGN_OR_RETURN(
        auto s10, p("INSERT INTO channel_daily (channel_id, day, scans, new_follows, first_follows, re_follows, "
                    "existing_scans, unfollows) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, day) DO "
                    "UPDATE SET scans = scans + excluded.scans, new_follows = new_follows + excluded.new_follows, "
                    "first_follows = first_follows + excluded.first_follows, re_follows = re_follows + "
                    "excluded.re_follows, existing_scans = existing_scans + excluded.existing_scans, "
                    "unfollows = unfollows + excluded.unfollows"));
    QRSCENE_ASSIGN_OR_RETURN(
        auto s11, p("INSERT INTO followers (appid, openid, first_channel_id, subscribed_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (appid, openid) DO UPDATE SET subscribed_at = excluded.subscribed_at"));
    QRSCENE_ASSIGN_OR_RETURN(auto s12, p("DELETE FROM followers WHERE appid = ? AND openid = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s13, p("INSERT INTO jobs (appid, kind, subject, payload, run_after, created_at) "
                                         "VALUES (?, ?, ?, ?, ?, ?)"));
    QRSCENE_ASSIGN_OR_RETURN(auto s14, p("DELETE FROM jobs WHERE appid = ? AND subject = ? AND state <> 'running'"));
    return std::unique_ptr<Writer>(new Writer{std::move(db), std::move(s1), std::move(s2), std::move(s3),
                                              std::move(s5), std::move(s6), std::move(s7),
                                              std::move(s8), std::move(s9), std::move(s10), std::move(s11),
                                              std::move(s12), std::move(s13), std::move(s14)});
  }

  // Reads the channel row the statement stands on.
  static domain::ChannelRef channel_from(const Statement& s) {
    domain::ChannelRef c;
    c.id = s.int64(0);
    c.name = s.text(1);
    c.scene = s.text(2);
    c.owner = s.text(3);
    c.active = s.text(4) == "active";
    c.on_subscribe = reply_from_json(s.text(5));
    c.on_scan = reply_from_json(s.text(6));
    c.wechat_tag_id = s.int64(7);
    return c;
  }

  Result<std::optional<domain::ChannelRef>> attribute(const domain::Event& e) {
    if (!e.ticket.empty()) {
      channel_by_ticket.reset();
      channel_by_ticket.bind(1, e.appid).bind(2, e.ticket);
      QRSCENE_ASSIGN_OR_RETURN(bool row, channel_by_ticket.step());
      if (row) return std::optional(channel_from(channel_by_ticket));
    }
    if (e.scene.empty()) return std::optional<domain::ChannelRef>();
    channel_by_scene.reset();
    channel_by_scene.bind(1, e.appid).bind(2, e.scene).bind(3, e.create_time).bind(4, e.create_time);
    QRSCENE_ASSIGN_OR_RETURN(bool row, channel_by_scene.step());
    if (!row) return std::optional<domain::ChannelRef>();
    return std::optional(channel_from(channel_by_scene));
  }
};

SqliteStore::SqliteStore(SqliteStoreOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(SqliteStoreOptions options, const Clock& clock) {
  if (options.max_batch == 0) options.max_batch = 1;
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, clock));
  DatabaseOptions db_options;
  db_options.durable = options.durable;
  QRSCENE_ASSIGN_OR_RETURN(auto db, Database::open(options.path, db_options));
  QRSCENE_TRY(migrate(*db));
  QRSCENE_ASSIGN_OR_RETURN(store->pseudonym_key_, load_or_make_key(*db));
  QRSCENE_ASSIGN_OR_RETURN(store->writer_, Writer::make(std::move(db)));
  QRSCENE_ASSIGN_OR_RETURN(store->reader_, Database::open(options.path, db_options));
  store->thread_ = std::thread([s = store.get()] { s->writer_loop(); });
  return store;
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SqliteStore::submit(domain::Event event, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(Item{std::move(event), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(unexpected(ErrorCode::kUnavailable, "the store is stopping"));
}

void SqliteStore::writer_loop() {
  for (;;) {
    std::vector<Item> batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything submitted is done
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    auto results = write_batch(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
  }
}

std::string SqliteStore::pseudonym(std::string_view appid, std::string_view openid) const {
  const std::string message = fmt::format("{}\n{}", appid, openid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), pseudonym_key_.data(), static_cast<int>(pseudonym_key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &length);
  return to_hex(std::span<const std::uint8_t>(mac.data(), 16));  // 128 bits is plenty to tell followers apart
}

std::vector<Result<domain::IngestOutcome>> SqliteStore::write_batch(std::vector<Item>& batch) {
  Writer& w = *writer_;
  std::vector<Result<domain::IngestOutcome>> results;
  results.reserve(batch.size());
  if (auto begun = w.db->exec("BEGIN IMMEDIATE"); !begun) {
    for (std::size_t i = 0; i < batch.size(); ++i) results.emplace_back(begun.error());
    return results;
  }
  const std::int64_t now = clock_.unix_seconds();
  for (auto& item : batch) {
    const domain::Event& e = item.event;
    // Each event in its own savepoint: a failure undoes that event only.
    auto apply = [&]() -> Result<domain::IngestOutcome> {
      // The dedup key holds the openid: only its keyed hash is stored.
      const std::string dedup = pseudonym(e.appid, e.dedup_key);
      w.find_event.reset();
      w.find_event.bind(1, e.appid).bind(2, dedup);
      QRSCENE_ASSIGN_OR_RETURN(bool seen, w.find_event.step());
      if (seen) {
        domain::IngestOutcome o;
        o.event_id = w.find_event.int64(0);
        o.duplicate = true;
        if (!w.find_event.is_null(1)) o.channel_id = w.find_event.int64(1);
        o.reply = reply_from_json(w.find_event.text(2));
        return o;
      }
      const std::string who = pseudonym(e.appid, e.openid);
      domain::IngestContext context;
      if (e.kind == domain::EventKind::kSubscribe || e.kind == domain::EventKind::kScan) {
        QRSCENE_ASSIGN_OR_RETURN(context.channel, w.attribute(e));
      }
      std::int64_t open_id = 0;
      if (e.kind != domain::EventKind::kOther) {
        w.open_subscription.reset();
        w.open_subscription.bind(1, e.appid).bind(2, who);
        QRSCENE_ASSIGN_OR_RETURN(bool open, w.open_subscription.step());
        if (open) {
          context.has_open_subscription = true;
          open_id = w.open_subscription.int64(0);
          context.open_subscription_channel = w.open_subscription.is_null(1) ? 0 : w.open_subscription.int64(1);
        }
        if (open) {
          context.followed_before = true;
        } else {
          w.any_subscription.reset();
          w.any_subscription.bind(1, e.appid).bind(2, who);
          QRSCENE_ASSIGN_OR_RETURN(context.followed_before, w.any_subscription.step());
        }
      }
      const domain::IngestPlan plan = domain::plan_ingest(e, context, options_.replies);

      w.insert_event.reset();
      w.insert_event.bind(1, e.appid)
          .bind(2, dedup)
          .bind(3, domain::to_string(e.kind))
          .bind(4, e.name)
          .bind(5, who)
          .bind(6, plan.channel_id)
          .bind(7, e.scene)
          .bind(8, e.ticket)
          .bind(9, e.create_time)
          .bind(10, now)
          .bind(11, reply_to_json(plan.reply));
      QRSCENE_TRY(w.insert_event.run());
      domain::IngestOutcome o;
      o.event_id = w.db->last_insert_id();
      o.channel_id = plan.channel_id;
      o.reply = plan.reply;

      if (plan.close_subscription && open_id != 0) {
        w.close_subscription.reset();
        w.close_subscription.bind(1, e.create_time).bind(2, open_id);
        QRSCENE_TRY(w.close_subscription.run());
      }
      if (plan.open_subscription) {
        w.insert_subscription.reset();
        w.insert_subscription.bind(1, e.appid).bind(2, who).bind(3, plan.channel_id).bind(4, e.create_time);
        QRSCENE_TRY(w.insert_subscription.run());
      }
      if (plan.counters_channel) {
        const auto& c = plan.counters;
        w.add_counters.reset();
        w.add_counters.bind(1, *plan.counters_channel)
            .bind(2, domain::local_day(e.create_time, options_.utc_offset_seconds))
            .bind(3, c.scans)
            .bind(4, c.new_follows)
            .bind(5, c.first_follows)
            .bind(6, c.re_follows)
            .bind(7, c.existing_scans)
            .bind(8, c.unfollows);
        QRSCENE_TRY(w.add_counters.run());
      }
      if (plan.remember_follower) {
        w.remember_follower.reset();
        w.remember_follower.bind(1, e.appid).bind(2, e.openid).bind(3, plan.channel_id).bind(4, e.create_time);
        QRSCENE_TRY(w.remember_follower.run());
      }
      if (plan.forget_follower) {
        w.forget_follower.reset();
        w.forget_follower.bind(1, e.appid).bind(2, e.openid);
        QRSCENE_TRY(w.forget_follower.run());
        w.forget_jobs.reset();
        w.forget_jobs.bind(1, e.appid).bind(2, who);
        QRSCENE_TRY(w.forget_jobs.run());
      }
      if (plan.tag_job != 0) {
        w.insert_job.reset();
        w.insert_job.bind(1, e.appid)
            .bind(2, "tag")
            .bind(3, who)
            .bind(4, Json{{"openid", e.openid}, {"tag_id", plan.tag_job}}.dump())
            .bind(5, now)
            .bind(6, now);
        QRSCENE_TRY(w.insert_job.run());
      }
      return o;
    };
    if (auto sp = w.db->exec("SAVEPOINT event"); !sp) {
      results.emplace_back(sp.error());
      continue;
    }
    auto r = apply();
    if (!r) (void)w.db->exec("ROLLBACK TO event");
    (void)w.db->exec("RELEASE event");
    results.push_back(std::move(r));
  }
  if (auto committed = w.db->exec("COMMIT"); !committed) {
    (void)w.db->exec("ROLLBACK");
    for (auto& r : results) r = committed.error();  // nothing of this batch is durable
    return results;
  }
  std::lock_guard lock(mu_);
  ++commits_;
  return results;
}

Result<domain::Channel> SqliteStore::create_channel(domain::Channel c) {
  std::lock_guard lock(reader_mu_);
  Database& db = *reader_;
  c.created_at = clock_.unix_seconds();
  QRSCENE_TRY(db.exec("BEGIN IMMEDIATE"));
  auto done = [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(
        auto ins, db.prepare("INSERT INTO channels (appid, name, grp, owner, kind, scene, scene_is_int, ticket, url, "
                             "expires_at, status, reply_subscribe, reply_scan, wechat_tag_id, evergreen, created_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    ins.bind(1, c.appid)
        .bind(2, c.name)
        .bind(3, c.group)
        .bind(4, c.owner)
        .bind(5, domain::to_string(c.kind))
        .bind(6, c.scene)
        .bind(7, std::int64_t{c.scene_is_int})
        .bind(9, c.url)
        .bind(10, c.expires_at)
        .bind(11, domain::to_string(c.status))
        .bind(12, reply_to_json(c.on_subscribe))
        .bind(13, reply_to_json(c.on_scan))
        .bind(14, c.wechat_tag_id)
        .bind(15, std::int64_t{c.evergreen})
        .bind(16, c.created_at);
    if (c.ticket.empty()) {
      ins.bind(8, std::nullopt);
    } else {
      ins.bind(8, c.ticket);
    }
    QRSCENE_TRY(ins.run());
    c.id = db.last_insert_id();
    // The scene means this channel from now on; whatever it meant before ends now.
    QRSCENE_ASSIGN_OR_RETURN(auto end, db.prepare("UPDATE scene_history SET valid_to = ? WHERE appid = ? AND scene = ? "
                                                  "AND valid_to IS NULL"));
    QRSCENE_TRY(end.bind(1, c.created_at).bind(2, c.appid).bind(3, c.scene).run());
    QRSCENE_ASSIGN_OR_RETURN(auto hist, db.prepare("INSERT INTO scene_history (appid, scene, channel_id, valid_from) "
                                                   "VALUES (?, ?, ?, ?)"));
    return hist.bind(1, c.appid).bind(2, c.scene).bind(3, c.id).bind(4, c.created_at).run();
  }();
  if (!done) {
    (void)db.exec("ROLLBACK");
    return done.error();
  }
  QRSCENE_TRY(db.exec("COMMIT"));
  return c;
}

Result<domain::Counters> SqliteStore::channel_counters(std::int64_t channel_id, std::int64_t first_day,
                                                       std::int64_t last_day) {
  std::lock_guard lock(reader_mu_);
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader_->prepare("SELECT COALESCE(SUM(scans), 0), COALESCE(SUM(new_follows), 0), "
                               "COALESCE(SUM(first_follows), 0), COALESCE(SUM(re_follows), 0), "
                               "COALESCE(SUM(existing_scans), 0), COALESCE(SUM(unfollows), 0) FROM channel_daily "
                               "WHERE channel_id = ? AND day BETWEEN ? AND ?"));
  q.bind(1, channel_id).bind(2, first_day).bind(3, last_day);
  QRSCENE_TRY(q.step());
  return domain::Counters{q.int64(0), q.int64(1), q.int64(2), q.int64(3), q.int64(4), q.int64(5)};
}

namespace {
Result<std::int64_t> count(Database& db, std::string_view sql, std::string_view appid,
                           std::optional<std::int64_t> channel = std::nullopt) {
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare(sql));
  q.bind(1, appid);
  if (channel) q.bind(2, *channel);
  QRSCENE_TRY(q.step());
  return q.int64(0);
}
}  // namespace

Result<std::int64_t> SqliteStore::event_count(std::string_view appid) {
  std::lock_guard lock(reader_mu_);
  return count(*reader_, "SELECT COUNT(*) FROM events WHERE appid = ?", appid);
}

Result<std::int64_t> SqliteStore::follower_count(std::string_view appid) {
  std::lock_guard lock(reader_mu_);
  return count(*reader_, "SELECT COUNT(*) FROM followers WHERE appid = ?", appid);
}

Result<std::int64_t> SqliteStore::open_subscriptions(std::string_view appid, std::int64_t channel_id) {
  std::lock_guard lock(reader_mu_);
  return count(*reader_,
               "SELECT COUNT(*) FROM subscriptions WHERE appid = ? AND COALESCE(channel_id, 0) = ? AND ended_at IS NULL",
               appid, channel_id);
}

std::int64_t SqliteStore::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

}  // namespace qrscene::store::sqlite
