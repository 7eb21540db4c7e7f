#include "store/sql_store.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "domain/analytics.h"

namespace qrscene::store {
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

}  // namespace

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

namespace {

Result<std::string> load_or_make_key(Database& db) {
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT value FROM settings WHERE key = 'pseudonym_key'"));
  QRSCENE_ASSIGN_OR_RETURN(bool found, q.step());
  if (found) return decode_base64(q.text(0));
  q.reset();
  std::array<std::uint8_t, 32> key{};
  secure_random_bytes(key);
  // Instances starting together: the first key stored is everyone's.
  QRSCENE_ASSIGN_OR_RETURN(auto ins, db.prepare("INSERT INTO settings (key, value) VALUES ('pseudonym_key', ?) "
                                                "ON CONFLICT (key) DO NOTHING"));
  QRSCENE_TRY(ins.bind(1, encode_base64(key)).run());
  QRSCENE_ASSIGN_OR_RETURN(found, q.step());
  if (!found) return unexpected(ErrorCode::kInternal, "the pseudonym key was stored but cannot be read back");
  return decode_base64(q.text(0));
}

}  // namespace

// A write connection and its statements, prepared once.
struct SqlStore::Writer {
  std::unique_ptr<Database> db;
  std::optional<Statement> lock_person;  // several writers: one follower's events one at a time
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
  Statement unlink_events;
  Statement unlink_subscriptions;
  Statement add_losses;
  Statement add_account;
  Statement channel_by_id;
  Statement login_holder;
  Statement login_awaiting;
  Statement login_bound;
  Statement login_update;
  Statement login_release;
  Statement login_unbind_user;
  Statement login_bind;
  Statement forget_bindings;
  Statement savepoint;  // each event in a savepoint of its own, prepared once like the rest
  Statement release;
  Statement rollback_to;

  static Result<std::unique_ptr<Writer>> make(std::unique_ptr<Database> db) {
    constexpr const char* kChannel =
        "SELECT id, name, scene, owner, status, reply_subscribe, reply_scan, wechat_tag_id FROM channels ";
    auto p = [&db](std::string_view sql) { return db->prepare(sql); };
    QRSCENE_ASSIGN_OR_RETURN(auto s1, p("SELECT id, channel_id, reply FROM events WHERE appid = ? AND dedup_key = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s2, p(std::string(kChannel) + "WHERE appid = ? AND ticket = ? AND status <> 'retired'"));
    // The channel the scene meant at the event's time, in one lookup.
    QRSCENE_ASSIGN_OR_RETURN(
        auto s3, p("SELECT c.id, c.name, c.scene, c.owner, c.status, c.reply_subscribe, c.reply_scan, "
                   "c.wechat_tag_id FROM scene_history h JOIN channels c ON c.id = h.channel_id "
                   "WHERE h.appid = ? AND h.scene = ? AND h.valid_from <= ? AND (h.valid_to IS NULL OR "
                   "h.valid_to > ?) ORDER BY h.valid_from DESC LIMIT 1"));
    QRSCENE_ASSIGN_OR_RETURN(auto s5, p("SELECT id, channel_id, started_at FROM subscriptions WHERE appid = ? AND openid_hash = ? "
                                        "AND ended_at IS NULL ORDER BY id DESC LIMIT 1"));
    QRSCENE_ASSIGN_OR_RETURN(auto s6, p("SELECT 1 FROM subscriptions WHERE appid = ? AND openid_hash = ? LIMIT 1"));
    QRSCENE_ASSIGN_OR_RETURN(
        auto s7, p("INSERT INTO events (appid, dedup_key, kind, name, openid_hash, channel_id, scene, ticket, "
                   "create_time, received_at, reply) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    QRSCENE_ASSIGN_OR_RETURN(auto s8, p("UPDATE subscriptions SET ended_at = ? WHERE id = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s9, p("INSERT INTO subscriptions (appid, openid_hash, channel_id, started_at) "
                                        "VALUES (?, ?, ?, ?)"));
    QRSCENE_ASSIGN_OR_RETURN(
        auto s10, p("INSERT INTO channel_daily (channel_id, day, scans, new_follows, first_follows, re_follows, "
                    "existing_scans, unfollows) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, day) DO UPDATE "
                    "SET scans = channel_daily.scans + excluded.scans, new_follows = channel_daily.new_follows + "
                    "excluded.new_follows, first_follows = channel_daily.first_follows + excluded.first_follows, "
                    "re_follows = channel_daily.re_follows + excluded.re_follows, existing_scans = "
                    "channel_daily.existing_scans + excluded.existing_scans, unfollows = channel_daily.unfollows + "
                    "excluded.unfollows"));
    QRSCENE_ASSIGN_OR_RETURN(
        auto s11, p("INSERT INTO followers (appid, openid, first_channel_id, subscribed_at, openid_hash) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (appid, openid) DO UPDATE SET subscribed_at = excluded.subscribed_at, "
                    "openid_hash = excluded.openid_hash"));
    QRSCENE_ASSIGN_OR_RETURN(auto s12, p("DELETE FROM followers WHERE appid = ? AND openid = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s13, p("INSERT INTO jobs (appid, kind, subject, payload, run_after, created_at) "
                                         "VALUES (?, ?, ?, ?, ?, ?)"));
    QRSCENE_ASSIGN_OR_RETURN(auto s14, p("DELETE FROM jobs WHERE appid = ? AND subject = ? AND state <> 'running'"));
    // privacy = "delete": the follower's rows keep no link to each other (a hash per row).
    QRSCENE_ASSIGN_OR_RETURN(auto s15, p("UPDATE events SET openid_hash = 'gone:' || id WHERE appid = ? AND "
                                         "openid_hash = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s16, p("UPDATE subscriptions SET openid_hash = 'gone:' || id WHERE appid = ? AND "
                                         "openid_hash = ?"));
    // An unfollow: the follow's cohort (channel, day of the follow) loses one within each horizon.
    QRSCENE_ASSIGN_OR_RETURN(
        auto s17, p("INSERT INTO channel_daily (channel_id, day, left_5m, left_24h, left_7d, left_30d) VALUES (?, ?, ?, "
                    "?, ?, ?) ON CONFLICT (channel_id, day) DO UPDATE SET left_5m = channel_daily.left_5m + "
                    "excluded.left_5m, left_24h = channel_daily.left_24h + excluded.left_24h, left_7d = "
                    "channel_daily.left_7d + excluded.left_7d, left_30d = channel_daily.left_30d + excluded.left_30d"));
    // The account's day: the same counters summed over its channels, plus organic follows.
    QRSCENE_ASSIGN_OR_RETURN(
        auto s18, p("INSERT INTO account_daily (appid, day, scans, new_follows, first_follows, re_follows, "
                    "existing_scans, unfollows, organic_follows, organic_unfollows, left_5m, left_24h, left_7d, "
                    "left_30d) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (appid, day) DO UPDATE SET "
                    "scans = account_daily.scans + excluded.scans, new_follows = account_daily.new_follows + "
                    "excluded.new_follows, first_follows = account_daily.first_follows + excluded.first_follows, "
                    "re_follows = account_daily.re_follows + excluded.re_follows, existing_scans = "
                    "account_daily.existing_scans + excluded.existing_scans, unfollows = account_daily.unfollows + "
                    "excluded.unfollows, organic_follows = account_daily.organic_follows + excluded.organic_follows, "
                    "organic_unfollows = account_daily.organic_unfollows + excluded.organic_unfollows, left_5m = "
                    "account_daily.left_5m + excluded.left_5m, left_24h = account_daily.left_24h + excluded.left_24h, "
                    "left_7d = account_daily.left_7d + excluded.left_7d, left_30d = account_daily.left_30d + "
                    "excluded.left_30d"));
    // Login sessions: the session a login code is lent to (and the channel it credits), the session
    // waiting for this follower's answer, the website user the follower is bound to.
    QRSCENE_ASSIGN_OR_RETURN(auto s19, p(std::string(kChannel) + "WHERE id = ?"));
    QRSCENE_ASSIGN_OR_RETURN(
        auto s20, p("SELECT s.id, s.appid, s.purpose, s.user_id, s.secret_sha256, s.confirm_in_wechat, "
                    "s.requester_ip, s.requester_agent, s.channel_id, s.scene, s.state, s.openid, s.reason, "
                    "s.created_at, s.expires_at, s.delivered_at, s.version, c.channel_id, s.id IS NOT NULL "
                    "FROM login_codes c LEFT JOIN login_sessions s ON s.id = c.session_id AND s.scene = c.scene "
                    "WHERE c.appid = ? AND c.scene = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s21, p(std::string(kLoginSessionColumns) +
                                         "WHERE appid = ? AND openid = ? AND state = 'scanned' AND expires_at > ? "
                                         "ORDER BY created_at DESC LIMIT 1"));
    QRSCENE_ASSIGN_OR_RETURN(auto s22, p("SELECT user_id FROM login_bindings WHERE appid = ? AND openid = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s23, p("UPDATE login_sessions SET state = ?, openid = ?, reason = ?, user_id = "
                                         "CASE WHEN ? = '' THEN user_id ELSE ? END, decided_at = ?, "
                                         "version = version + 1 WHERE id = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s24, p("UPDATE login_codes SET held_until = ? WHERE session_id = ? AND "
                                         "held_until > ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s25, p("DELETE FROM login_bindings WHERE appid = ? AND user_id = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s26, p("INSERT INTO login_bindings (appid, openid, user_id, created_at) VALUES "
                                         "(?, ?, ?, ?) ON CONFLICT (appid, openid) DO UPDATE SET user_id = "
                                         "excluded.user_id, created_at = excluded.created_at"));
    QRSCENE_ASSIGN_OR_RETURN(auto s27, p("DELETE FROM login_bindings WHERE appid = ? AND openid = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto s28, p("SAVEPOINT event"));
    QRSCENE_ASSIGN_OR_RETURN(auto s29, p("RELEASE event"));
    QRSCENE_ASSIGN_OR_RETURN(auto s30, p("ROLLBACK TO event"));
    std::optional<Statement> lock;
    if (!db->key_lock_sql().empty()) {
      QRSCENE_ASSIGN_OR_RETURN(auto s31, p(db->key_lock_sql()));
      lock.emplace(std::move(s31));
    }
    return std::unique_ptr<Writer>(new Writer{std::move(db), std::move(lock), std::move(s1), std::move(s2), std::move(s3),
                                              std::move(s5), std::move(s6), std::move(s7),
                                              std::move(s8), std::move(s9), std::move(s10), std::move(s11),
                                              std::move(s12), std::move(s13), std::move(s14), std::move(s15),
                                              std::move(s16), std::move(s17), std::move(s18), std::move(s19),
                                              std::move(s20), std::move(s21), std::move(s22), std::move(s23),
                                              std::move(s24), std::move(s25), std::move(s26), std::move(s27),
                                              std::move(s28), std::move(s29), std::move(s30)});
  }

  // A statement left on a row keeps a read snapshot open after COMMIT; the next BEGIN IMMEDIATE
  // would then fail at once (SQLITE_BUSY_SNAPSHOT, no busy wait) if another connection wrote
  // meanwhile — the channel admin does. So every statement is reset before the transaction ends.
  void reset_all() {
    for (Statement* s : {&find_event, &channel_by_ticket, &channel_by_scene, &open_subscription, &any_subscription,
                         &insert_event, &close_subscription, &insert_subscription, &add_counters, &remember_follower,
                         &forget_follower, &insert_job, &forget_jobs, &unlink_events, &unlink_subscriptions,
                         &add_losses, &add_account, &channel_by_id, &login_holder, &login_awaiting, &login_bound,
                         &login_update, &login_release, &login_unbind_user, &login_bind, &forget_bindings, &savepoint,
                         &release, &rollback_to}) {
      s->reset();
    }
    if (lock_person) lock_person->reset();
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

  // What a login scan or a text answer concerns; for a login scene also the channel it credits.
  Result<domain::LoginContext> login_context(const domain::Event& e, std::optional<domain::ChannelRef>& channel) {
    domain::LoginContext login;
    const bool scan = e.kind == domain::EventKind::kSubscribe || e.kind == domain::EventKind::kScan;
    if (scan && e.scene.starts_with(domain::kLoginScenePrefix)) {
      login.login_scene = true;
      login_holder.reset();
      login_holder.bind(1, e.appid).bind(2, e.scene);
      QRSCENE_ASSIGN_OR_RETURN(bool code, login_holder.step());
      if (code) {
        if (login_holder.int64(18) != 0) login.session = read_login_session(login_holder);
        const std::int64_t channel_id = login_holder.int64(17);
        channel_by_id.reset();
        channel_by_id.bind(1, channel_id);
        QRSCENE_ASSIGN_OR_RETURN(bool row, channel_by_id.step());
        if (row) channel = channel_from(channel_by_id);
      }
    } else if (e.kind == domain::EventKind::kOther && e.name == "text") {
      login_awaiting.reset();
      login_awaiting.bind(1, e.appid).bind(2, e.openid).bind(3, e.create_time);
      QRSCENE_ASSIGN_OR_RETURN(bool row, login_awaiting.step());
      if (row) login.session = read_login_session(login_awaiting);
    }
    if (login.session) {
      login_bound.reset();
      login_bound.bind(1, e.appid).bind(2, e.openid);
      QRSCENE_ASSIGN_OR_RETURN(bool row, login_bound.step());
      if (row) login.bound_user = login_bound.text(0);
    }
    return login;
  }

  // Writes what a scan or an answer did to a login session.
  Status apply_login(const domain::Event& e, const domain::LoginSession& session, const domain::LoginPlan& plan,
                     std::int64_t now, std::int64_t cooldown) {
    login_update.reset();
    login_update.bind(1, domain::to_string(plan.state))
        .bind(2, plan.openid)
        .bind(3, plan.reason)
        .bind(4, plan.user_id)
        .bind(5, plan.user_id)
        .bind(6, domain::is_final(plan.state) ? now : std::int64_t{0})
        .bind(7, session.id);
    QRSCENE_TRY(login_update.run());
    if (plan.release_code) {
      login_release.reset();
      login_release.bind(1, now + cooldown).bind(2, session.id).bind(3, now + cooldown);
      QRSCENE_TRY(login_release.run());
    }
    if (plan.write_binding) {
      // One WeChat user per website user: binding again replaces the user's earlier binding.
      login_unbind_user.reset();
      login_unbind_user.bind(1, e.appid).bind(2, plan.user_id);
      QRSCENE_TRY(login_unbind_user.run());
      login_bind.reset();
      login_bind.bind(1, e.appid).bind(2, e.openid).bind(3, plan.user_id).bind(4, now);
      QRSCENE_TRY(login_bind.run());
    }
    return {};
  }
};

void ConnectionPool::give_back(std::unique_ptr<Database> db) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(db));
  }
  freed_.notify_one();
}

ConnectionPool::Lease ConnectionPool::lease() {
  std::unique_lock lock(mu_);
  freed_.wait(lock, [this] { return !free_.empty(); });
  auto db = std::move(free_.back());
  free_.pop_back();
  return Lease(*this, std::move(db));
}

Status SqlStore::start(Database& setup, std::vector<std::unique_ptr<Database>> writers,
                       std::vector<std::unique_ptr<Database>> readers) {
  if (options_.max_batch == 0) options_.max_batch = 1;
  name_ = setup.name();
  QRSCENE_ASSIGN_OR_RETURN(pseudonym_key_, load_or_make_key(setup));
  QRSCENE_TRY(hash_followers(setup));
  if (options_.faults) {
    for (auto& db : writers) db = with_faults(std::move(db), options_.faults);
    for (auto& db : readers) db = with_faults(std::move(db), options_.faults);
  }
  for (auto& db : writers) {
    QRSCENE_ASSIGN_OR_RETURN(auto w, Writer::make(std::move(db)));
    writers_.push_back(std::move(w));
  }
  readers_ = std::make_unique<ConnectionPool>(std::move(readers));
  for (auto& w : writers_) threads_.emplace_back([this, &w = *w] { writer_loop(w); });
  return {};
}

// Followers stored before migration 4 get the keyed hash that joins them to their follows.
Status SqlStore::hash_followers(Database& db) const {
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT appid, openid FROM followers WHERE openid_hash = ''"));
  std::vector<std::pair<std::string, std::string>> missing;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    missing.emplace_back(q.text(0), q.text(1));
  }
  q.reset();
  if (missing.empty()) return {};
  return in_transaction(db, [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(auto u, db.prepare("UPDATE followers SET openid_hash = ? WHERE appid = ? AND openid = ?"));
    for (const auto& [appid, openid] : missing) {
      u.reset();
      QRSCENE_TRY(u.bind(1, pseudonym(appid, openid)).bind(2, appid).bind(3, openid).run());
    }
    return {};
  });
}

SqlStore::SqlStore(StoreOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}

SqlStore::~SqlStore() { stop(); }

void SqlStore::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void SqlStore::submit(domain::Event event, Done done) {
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

void SqlStore::writer_loop(Writer& writer) {
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
    auto results = write_batch(writer, batch);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto done = std::move(batch[i].done);  // released as soon as it ran
      done(std::move(results[i]));
    }
  }
}

std::string SqlStore::pseudonym(std::string_view appid, std::string_view openid) const {
  const std::string message = fmt::format("{}\n{}", appid, openid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), pseudonym_key_.data(), static_cast<int>(pseudonym_key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &length);
  return to_hex(std::span<const std::uint8_t>(mac.data(), 16));  // 128 bits is plenty to tell followers apart
}

std::vector<Result<domain::IngestOutcome>> SqlStore::write_batch(Writer& w, std::vector<Item>& batch) {
  std::vector<Result<domain::IngestOutcome>> results;
  results.reserve(batch.size());
  if (auto begun = w.db->begin(); !begun) {
    for (std::size_t i = 0; i < batch.size(); ++i) results.emplace_back(begun.error());
    return results;
  }
  const std::int64_t now = clock_.unix_seconds();
  for (auto& item : batch) {
    const domain::Event& e = item.event;
    // Each event in its own savepoint: a failure undoes that event only.
    auto apply = [&]() -> Result<domain::IngestOutcome> {
      // The dedup key holds the openid: only its keyed hash is stored, after the CreateTime that
      // keeps the index in time order (migration 5).
      const std::string dedup = fmt::format("{:010d}", e.create_time) + pseudonym(e.appid, e.dedup_key);
      const std::string who = pseudonym(e.appid, e.openid);
      if (w.lock_person) {  // until the commit, no other writer touches this follower's rows
        w.lock_person->reset();
        QRSCENE_TRY(w.lock_person->bind(1, who).run());
      }
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
      domain::IngestContext context;
      QRSCENE_ASSIGN_OR_RETURN(const domain::LoginContext login, w.login_context(e, context.channel));
      if (!login.login_scene && (e.kind == domain::EventKind::kSubscribe || e.kind == domain::EventKind::kScan)) {
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
          context.open_subscription_started_at = w.open_subscription.int64(2);
        }
        if (open) {
          context.followed_before = true;
        } else {
          w.any_subscription.reset();
          w.any_subscription.bind(1, e.appid).bind(2, who);
          QRSCENE_ASSIGN_OR_RETURN(context.followed_before, w.any_subscription.step());
        }
      }
      domain::IngestPlan plan = domain::plan_ingest(e, context, options_.replies);
      const domain::LoginPlan login_plan = domain::plan_login(e, login, options_.login_texts);
      if (login_plan.handled) plan.reply = login_plan.reply;  // the login's answer, not the channel's

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
      QRSCENE_TRY(w.insert_event.step());
      domain::IngestOutcome o;
      o.event_id = w.insert_event.int64(0);
      w.insert_event.reset();
      o.channel_id = plan.channel_id;
      o.reply = plan.reply;
      if (login_plan.change) {
        QRSCENE_TRY(w.apply_login(e, *login.session, login_plan, now, options_.login_code_cooldown));
        o.login_session = login.session->id;
      }

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
      domain::CohortLosses losses;
      std::int64_t cohort_day = 0;
      if (plan.cohort_channel) {
        losses = domain::cohort_loss(plan.cohort_followed_at, e.create_time);
        cohort_day = domain::local_day(plan.cohort_followed_at, options_.utc_offset_seconds);
        w.add_losses.reset();
        w.add_losses.bind(1, *plan.cohort_channel)
            .bind(2, cohort_day)
            .bind(3, losses.within_5m)
            .bind(4, losses.within_24h)
            .bind(5, losses.within_7d)
            .bind(6, losses.within_30d);
        QRSCENE_TRY(w.add_losses.run());
      }
      const std::int64_t day = domain::local_day(e.create_time, options_.utc_offset_seconds);
      auto add_account = [&](std::int64_t at, const domain::Counters& c, std::int64_t organic_follows,
                             std::int64_t organic_unfollows, const domain::CohortLosses& l) -> Status {
        w.add_account.reset();
        w.add_account.bind(1, e.appid)
            .bind(2, at)
            .bind(3, c.scans)
            .bind(4, c.new_follows)
            .bind(5, c.first_follows)
            .bind(6, c.re_follows)
            .bind(7, c.existing_scans)
            .bind(8, c.unfollows)
            .bind(9, organic_follows)
            .bind(10, organic_unfollows)
            .bind(11, l.within_5m)
            .bind(12, l.within_24h)
            .bind(13, l.within_7d)
            .bind(14, l.within_30d);
        return w.add_account.run();
      };
      if (plan.counters_channel || plan.organic_follow || plan.organic_unfollow) {
        const domain::Counters none;
        QRSCENE_TRY(add_account(day, plan.counters_channel ? plan.counters : none, plan.organic_follow ? 1 : 0,
                                plan.organic_unfollow ? 1 : 0, {}));
      }
      if (plan.cohort_channel) QRSCENE_TRY(add_account(cohort_day, {}, 0, 0, losses));
      if (plan.remember_follower) {
        w.remember_follower.reset();
        w.remember_follower.bind(1, e.appid)
            .bind(2, e.openid)
            .bind(3, plan.channel_id)
            .bind(4, e.create_time)
            .bind(5, who);
        QRSCENE_TRY(w.remember_follower.run());
        if (options_.profile_followers) {  // unionid and tags for the follower list (JobRunner)
          w.insert_job.reset();
          w.insert_job.bind(1, e.appid)
              .bind(2, "profile")
              .bind(3, who)
              .bind(4, Json{{"openid", e.openid}}.dump())
              .bind(5, now)
              .bind(6, now);
          QRSCENE_TRY(w.insert_job.run());
        }
      }
      if (plan.forget_follower) {
        w.forget_follower.reset();
        w.forget_follower.bind(1, e.appid).bind(2, e.openid);
        QRSCENE_TRY(w.forget_follower.run());
        w.forget_jobs.reset();
        w.forget_jobs.bind(1, e.appid).bind(2, who);
        QRSCENE_TRY(w.forget_jobs.run());
        w.forget_bindings.reset();
        w.forget_bindings.bind(1, e.appid).bind(2, e.openid);
        QRSCENE_TRY(w.forget_bindings.run());
      }
      if (plan.forget_follower && options_.unlink_on_unfollow) {
        for (Statement* st : {&w.unlink_events, &w.unlink_subscriptions}) {
          st->reset();
          st->bind(1, e.appid).bind(2, who);
          QRSCENE_TRY(st->run());
        }
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
      const bool forward_kind = std::find(options_.forward_kinds.begin(), options_.forward_kinds.end(), e.name) !=
                                options_.forward_kinds.end();
      if (options_.forward_events && (plan.channel_id || forward_kind)) {
        // Not tied to the follower (no subject): the backend is told of the unfollow too.
        const Json forward{{"event_id", o.event_id},
                           {"appid", e.appid},
                           {"openid", e.openid},
                           {"event", e.name},
                           {"kind", domain::to_string(e.kind)},
                           {"channel_id", plan.channel_id ? Json(*plan.channel_id) : Json()},
                           {"scene", e.scene},
                           {"ticket", e.ticket},
                           {"key", e.key},
                           {"create_time", e.create_time}};
        w.insert_job.reset();
        w.insert_job.bind(1, e.appid).bind(2, "webhook").bind(3, "").bind(4, forward.dump()).bind(5, now).bind(6, now);
        QRSCENE_TRY(w.insert_job.run());
      }
      return o;
    };
    // Another writer (another instance) may have stored the same push since it was looked for:
    // its UNIQUE key then refuses this one, and the second try finds the duplicate.
    Result<domain::IngestOutcome> r = unexpected(ErrorCode::kInternal, "not applied");
    std::optional<Error> broken;  // this event's writes could not be told apart from the batch's
    for (int attempt = 0; attempt < 2; ++attempt) {
      w.savepoint.reset();
      if (auto sp = w.savepoint.run(); !sp) {
        r = sp.error();
        break;
      }
      r = apply();
      if (!r) {
        w.reset_all();
        w.rollback_to.reset();
        if (auto back = w.rollback_to.run(); !back) broken = back.error();
      }
      w.release.reset();
      if (auto released = w.release.run(); !released && !broken) broken = released.error();
      if (broken || r || r.error().code != ErrorCode::kAlreadyExists) break;
    }
    if (broken) {
      // Half an event must never be committed: the whole batch goes, and nothing of it is
      // acknowledged (WeChat sends each push again).
      w.reset_all();
      (void)w.db->exec("ROLLBACK");
      broken->message = "undoing a failed event: " + broken->message;
      results.assign(batch.size(), *broken);
      return results;
    }
    results.push_back(std::move(r));
  }
  w.reset_all();
  if (auto committed = w.db->exec("COMMIT"); !committed) {
    (void)w.db->exec("ROLLBACK");
    for (auto& r : results) r = committed.error();  // nothing of this batch is durable
    return results;
  }
  std::lock_guard lock(mu_);
  ++commits_;
  return results;
}

Result<domain::Channel> SqlStore::create_channel(domain::Channel c) {
  auto reader = readers_->lease();
  Database& db = *reader;
  c.created_at = clock_.unix_seconds();
  const Status made = in_transaction(db, [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(auto held, db.prepare("SELECT id, name FROM channels WHERE appid = ? AND status <> "
                                                   "'retired' AND (scene = ? OR ticket = ?)"));
    held.bind(1, c.appid).bind(2, c.scene).bind(3, c.ticket);
    QRSCENE_ASSIGN_OR_RETURN(bool taken, held.step());
    if (taken) {
      return unexpected(ErrorCode::kAlreadyExists,
                        fmt::format("scene '{}' belongs to channel {} ({}): retire that channel first, or choose "
                                    "another scene", c.scene, held.int64(0), held.text(1)));
    }
    QRSCENE_ASSIGN_OR_RETURN(
        auto ins, db.prepare("INSERT INTO channels (appid, name, grp, owner, kind, scene, scene_is_int, ticket, url, "
                             "expires_at, status, reply_subscribe, reply_scan, wechat_tag_id, evergreen, created_at, spend_cents) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
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
        .bind(16, c.created_at)
        .bind(17, c.spend_cents);
    if (c.ticket.empty()) {
      ins.bind(8, std::nullopt);
    } else {
      ins.bind(8, c.ticket);
    }
    QRSCENE_TRY(ins.step());
    c.id = ins.int64(0);
    ins.reset();
    // The scene means this channel from now on; whatever it meant before ends now.
    QRSCENE_ASSIGN_OR_RETURN(auto end, db.prepare("UPDATE scene_history SET valid_to = ? WHERE appid = ? AND scene = ? "
                                                  "AND valid_to IS NULL"));
    QRSCENE_TRY(end.bind(1, c.created_at).bind(2, c.appid).bind(3, c.scene).run());
    QRSCENE_ASSIGN_OR_RETURN(auto hist, db.prepare("INSERT INTO scene_history (appid, scene, channel_id, valid_from) "
                                                   "VALUES (?, ?, ?, ?)"));
    return hist.bind(1, c.appid).bind(2, c.scene).bind(3, c.id).bind(4, c.created_at).run();
  });
  if (!made) return made.error();
  return c;
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

namespace {

constexpr std::string_view kChannelColumns =
    "SELECT id, appid, name, grp, owner, kind, scene, scene_is_int, ticket, url, expires_at, status, "
    "reply_subscribe, reply_scan, wechat_tag_id, evergreen, created_at, COALESCE(retired_at, 0), spend_cents "
    "FROM channels ";

domain::Channel read_channel(const Statement& q) {
  domain::Channel c;
  c.id = q.int64(0);
  c.appid = q.text(1);
  c.name = q.text(2);
  c.group = q.text(3);
  c.owner = q.text(4);
  c.kind = domain::channel_kind_from(q.text(5)).value_or(domain::ChannelKind::kTemporary);
  c.scene = q.text(6);
  c.scene_is_int = q.int64(7) != 0;
  c.ticket = q.is_null(8) ? "" : q.text(8);
  c.url = q.text(9);
  c.expires_at = q.int64(10);
  c.status = domain::channel_status_from(q.text(11)).value_or(domain::ChannelStatus::kActive);
  c.on_subscribe = reply_from_json(q.text(12));
  c.on_scan = reply_from_json(q.text(13));
  c.wechat_tag_id = q.int64(14);
  c.evergreen = q.int64(15) != 0;
  c.created_at = q.int64(16);
  c.retired_at = q.int64(17);
  c.spend_cents = q.int64(18);
  return c;
}


}  // namespace

Result<domain::Channel> SqlStore::channel(std::int64_t id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(std::string(kChannelColumns) + "WHERE id = ?"));
  q.bind(1, id);
  QRSCENE_ASSIGN_OR_RETURN(bool found, q.step());
  if (!found) return unexpected(ErrorCode::kNotFound, fmt::format("no channel {}: 'qrscene channel list' shows them", id));
  return read_channel(q);
}

Result<std::vector<domain::Channel>> SqlStore::channels(std::string_view appid) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(std::string(kChannelColumns) +
                                                    "WHERE ? = '' OR appid = ? ORDER BY id"));
  q.bind(1, appid).bind(2, appid);
  std::vector<domain::Channel> out;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    out.push_back(read_channel(q));
  }
  return out;
}

Status SqlStore::set_status(std::int64_t id, domain::ChannelStatus status) {
  auto reader = readers_->lease();
  Database& db = *reader;
  const std::int64_t now = clock_.unix_seconds();
  return in_transaction(db, [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(auto up, db.prepare("UPDATE channels SET status = ?, retired_at = CASE WHEN ? = 'retired' "
                                                 "THEN ? ELSE retired_at END WHERE id = ?"));
    QRSCENE_TRY(up.bind(1, domain::to_string(status)).bind(2, domain::to_string(status)).bind(3, now).bind(4, id).run());
    if (db.changes() == 0) return unexpected(ErrorCode::kNotFound, fmt::format("no channel {}", id));
    if (status != domain::ChannelStatus::kRetired) return {};
    // From now on the scene means nothing (until a new channel takes it).
    QRSCENE_ASSIGN_OR_RETURN(auto end, db.prepare("UPDATE scene_history SET valid_to = ? WHERE channel_id = ? AND "
                                                  "valid_to IS NULL"));
    return end.bind(1, now).bind(2, id).run();
  });
}

Status SqlStore::update_channel(const domain::Channel& c) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto up, reader->prepare("UPDATE channels SET name = ?, grp = ?, owner = ?, "
                                                     "reply_subscribe = ?, reply_scan = ?, wechat_tag_id = ?, "
                                                     "evergreen = ?, spend_cents = ? WHERE id = ?"));
  QRSCENE_TRY(up.bind(1, c.name)
                  .bind(2, c.group)
                  .bind(3, c.owner)
                  .bind(4, reply_to_json(c.on_subscribe))
                  .bind(5, reply_to_json(c.on_scan))
                  .bind(6, c.wechat_tag_id)
                  .bind(7, std::int64_t{c.evergreen})
                  .bind(8, c.spend_cents)
                  .bind(9, c.id)
                  .run());
  if (reader->changes() == 0) return unexpected(ErrorCode::kNotFound, fmt::format("no channel {}", c.id));
  return {};
}

Status SqlStore::set_ticket(std::int64_t id, std::string_view ticket, std::string_view url,
                               std::int64_t expires_at) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto up, reader->prepare("UPDATE channels SET ticket = ?, url = ?, expires_at = ?, "
                                                     "status = CASE WHEN status = 'expired' THEN 'active' ELSE status "
                                                     "END WHERE id = ?"));
  QRSCENE_TRY(up.bind(1, ticket).bind(2, url).bind(3, expires_at).bind(4, id).run());
  if (reader->changes() == 0) return unexpected(ErrorCode::kNotFound, fmt::format("no channel {}", id));
  return {};
}

Result<std::int64_t> SqlStore::highest_int_scene(std::string_view appid, std::int64_t low, std::int64_t high) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT COALESCE(MAX(n), 0) FROM (SELECT CASE WHEN scene_is_int = 1 "
                                                    "THEN CAST(scene AS BIGINT) END AS n FROM channels WHERE appid = ? "
                                                    "AND scene_is_int = 1) s WHERE n BETWEEN ? AND ?"));
  q.bind(1, appid).bind(2, low).bind(3, high);
  QRSCENE_TRY(q.step());
  return q.int64(0);
}

Result<std::int64_t> SqlStore::permanent_scenes_used(std::string_view appid) {
  auto reader = readers_->lease();
  return count(*reader, "SELECT COUNT(DISTINCT scene) FROM channels WHERE appid = ? AND kind = 'permanent'", appid);
}

Result<bool> SqlStore::permanent_scene_known(std::string_view appid, std::string_view scene) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT 1 FROM channels WHERE appid = ? AND kind = 'permanent' "
                                                    "AND scene = ? LIMIT 1"));
  q.bind(1, appid).bind(2, scene);
  return q.step();
}

Result<std::optional<std::int64_t>> SqlStore::scene_meant(std::string_view appid, std::string_view scene,
                                                             std::int64_t at) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT channel_id FROM scene_history WHERE appid = ? AND scene = ? "
                                                    "AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) "
                                                    "ORDER BY valid_from DESC LIMIT 1"));
  q.bind(1, appid).bind(2, scene).bind(3, at).bind(4, at);
  QRSCENE_ASSIGN_OR_RETURN(bool found, q.step());
  if (!found) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(q.int64(0));
}

Result<std::vector<domain::Job>> SqlStore::claim_jobs(std::int64_t now, std::size_t limit, std::int64_t stale_after) {
  auto reader = readers_->lease();
  Database& db = *reader;
  return in_transaction(db, [&]() -> Result<std::vector<domain::Job>> {
    QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT id, appid, kind, payload, attempts FROM jobs WHERE "
                                                "(state = 'pending' AND run_after <= ?) OR (state = 'running' AND "
                                                "run_after <= ?) ORDER BY run_after, id LIMIT ?"));
    q.bind(1, now).bind(2, now - stale_after).bind(3, static_cast<std::int64_t>(limit));
    std::vector<domain::Job> jobs;
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      jobs.push_back(domain::Job{q.int64(0), q.text(1), q.text(2), q.text(3), static_cast<int>(q.int64(4))});
    }
    // run_after of a running job is when it was claimed: how staleness is told.
    QRSCENE_ASSIGN_OR_RETURN(auto up, db.prepare("UPDATE jobs SET state = 'running', run_after = ? WHERE id = ?"));
    for (const auto& j : jobs) {
      up.reset();
      QRSCENE_TRY(up.bind(1, now).bind(2, j.id).run());
    }
    return jobs;
  });
}

Status SqlStore::finish_job(std::int64_t id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto up, reader->prepare("UPDATE jobs SET state = 'done', payload = '{}', attempts = "
                                                     "attempts + 1, last_error = '' WHERE id = ?"));
  return up.bind(1, id).run();
}

Status SqlStore::retry_job(std::int64_t id, std::string_view error, std::optional<std::int64_t> run_after) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto up, reader->prepare("UPDATE jobs SET state = ?, attempts = attempts + 1, "
                                                     "last_error = ?, run_after = ? WHERE id = ?"));
  return up.bind(1, run_after ? "pending" : "failed")
      .bind(2, error)
      .bind(3, run_after.value_or(clock_.unix_seconds()))
      .bind(4, id)
      .run();
}

Result<domain::JobCounts> SqlStore::job_counts(std::string_view appid) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT COUNT(CASE WHEN state = 'pending' THEN 1 END), "
                                                    "COUNT(CASE WHEN state = 'running' THEN 1 END), "
                                                    "COUNT(CASE WHEN state = 'done' THEN 1 END), "
                                                    "COUNT(CASE WHEN state = 'failed' THEN 1 END) FROM jobs WHERE ? = '' OR "
                                                    "appid = ?"));
  q.bind(1, appid).bind(2, appid);
  QRSCENE_TRY(q.step());
  return domain::JobCounts{q.int64(0), q.int64(1), q.int64(2), q.int64(3)};
}

Result<domain::Counters> SqlStore::channel_counters(std::int64_t channel_id, std::int64_t first_day,
                                                       std::int64_t last_day) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare("SELECT COALESCE(SUM(scans), 0), COALESCE(SUM(new_follows), 0), "
                               "COALESCE(SUM(first_follows), 0), COALESCE(SUM(re_follows), 0), "
                               "COALESCE(SUM(existing_scans), 0), COALESCE(SUM(unfollows), 0) FROM channel_daily "
                               "WHERE channel_id = ? AND day BETWEEN ? AND ?"));
  q.bind(1, channel_id).bind(2, first_day).bind(3, last_day);
  QRSCENE_TRY(q.step());
  return domain::Counters{q.int64(0), q.int64(1), q.int64(2), q.int64(3), q.int64(4), q.int64(5)};
}


Result<std::int64_t> SqlStore::event_count(std::string_view appid) {
  auto reader = readers_->lease();
  return count(*reader, "SELECT COUNT(*) FROM events WHERE appid = ?", appid);
}

Result<std::int64_t> SqlStore::follower_count(std::string_view appid) {
  auto reader = readers_->lease();
  return count(*reader, "SELECT COUNT(*) FROM followers WHERE appid = ?", appid);
}

Result<std::int64_t> SqlStore::open_subscriptions(std::string_view appid, std::int64_t channel_id) {
  auto reader = readers_->lease();
  return count(*reader,
               "SELECT COUNT(*) FROM subscriptions WHERE appid = ? AND COALESCE(channel_id, 0) = ? AND ended_at IS NULL",
               appid, channel_id);
}

std::int64_t SqlStore::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

}  // namespace qrscene::store
