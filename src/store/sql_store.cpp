#include "store/sql_store.h"

#include "store/sql_projector.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "base/encoding.h"
#include "base/log_text.h"
#include "base/thread_name.h"
#include "domain/analytics.h"
#include "store/job_codec.h"
#include "store/rollup_sql.h"

namespace qrscene::store {
namespace {

using Json = nlohmann::json;
using domain::ReplyChoice;

}  // namespace

std::string reply_to_json(const ReplyChoice& r) {
  Json j = Json::object();
  for (auto& [key, value] : domain::reply_fields(r)) j[std::string(key)] = std::move(value);
  return j.dump();
}

ReplyChoice reply_from_json(const std::string& text) {
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return {};
  auto read = [&j](std::string_view key) -> Result<std::optional<std::string>> {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::optional<std::string>();
    return std::optional<std::string>(it->get<std::string>());
  };
  return domain::reply_from_fields(read, "reply").value_or(ReplyChoice{});
}

namespace {

// HMAC-SHA256 of the parts of a message, on a context per thread kept set up with the last key:
// the one-shot HMAC() fetches the digest and sets the key up again for every message (1.7 us
// against 0.3 us here; every push is hashed on the writer and again on the projector).
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};

std::array<unsigned char, 32> hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  struct Keyed {
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx;
    std::string key;
    bool keyed = false;
  };
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  thread_local Keyed k;
  std::array<unsigned char, 32> out{};
  auto run = [&]() -> bool {
    if (mac == nullptr) return false;
    if (k.ctx == nullptr) k.ctx.reset(EVP_MAC_CTX_new(mac));
    if (k.ctx == nullptr) return false;
    // The same key again: HMAC starts over with it (OpenSSL 3.0.4 on, cmake asks for that).
    if (k.keyed && k.key == key) {
      if (EVP_MAC_init(k.ctx.get(), nullptr, 0, nullptr) != 1) return false;
    } else {
      k.keyed = false;
      char digest[] = "SHA256";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                   OSSL_PARAM_construct_end()};
      if (EVP_MAC_init(k.ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) {
        return false;
      }
      k.key = key;
      k.keyed = true;
    }
    for (std::string_view part : parts) {
      if (EVP_MAC_update(k.ctx.get(), reinterpret_cast<const unsigned char*>(part.data()), part.size()) != 1) {
        return false;
      }
    }
    std::size_t length = 0;
    return EVP_MAC_final(k.ctx.get(), out.data(), &length, out.size()) == 1 && length == out.size();
  };
  if (!run()) {  // the same figure the slow way
    k.keyed = false;
    std::string message;
    for (std::string_view part : parts) message += part;
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
         message.size(), out.data(), &length);
  }
  return out;
}

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

namespace {

// An event the writer appends with others in one statement (Writer::append_rows).
struct PlainAppend {
  std::size_t index = 0;  // in the batch
  domain::IngestPlan plan;
};

}  // namespace

// A write connection of the answer path and its statements, prepared once. It appends to the log
// and, for login scans and answers, writes the session's change (decided before the answer).
struct SqlStore::Writer {
  std::unique_ptr<Database> db;
  std::optional<Statement> append_lock;  // PostgreSQL: lets the projector see when the log has no gaps
  std::optional<Statement> find_event;   // PostgreSQL: by the log's unique dedup key
  std::optional<Statement> find_logged;  // SQLite: by id (a push RecentPushes remembers)
  Statement insert_event;
  Statement login_holder;
  Statement login_awaiting;
  Statement login_bound;
  Statement login_update;
  Statement login_release;
  Statement login_unbind_user;
  Statement login_bind;
  Statement savepoint;  // each event in a savepoint of its own, prepared once like the rest
  Statement release;
  Statement rollback_to;
  // PostgreSQL: plain events (no login session involved) appended up to kRowsPerAppend in one
  // statement, a duplicate skipped; prepared once per row count.
  std::map<std::size_t, Statement> append_rows;
  static constexpr std::size_t kRowsPerAppend = 64;
  static constexpr std::size_t kLogColumns = 13;
  // SQLite, the log in a file of its own: the writer clears the openids the projector applied
  // (SqlStore::clear_to_), in its own transactions. Prepared at the first clearing.
  std::optional<Statement> clear_log;
  std::optional<Statement> mark_cleared;
  std::optional<Statement> read_cleared;
  std::int64_t cleared = -1;  // the log is cleared up to here (-1: read it first)
  std::chrono::steady_clock::time_point clear_retry_at{};  // after a failed clearing: not before then

  static Result<std::unique_ptr<Writer>> make(std::unique_ptr<Database> db) {
    auto p = [&db](std::string_view sql) { return db->prepare(sql); };
    std::optional<Statement> find_event, find_logged;
    if (db->log_keys_unique()) {
      QRSCENE_ASSIGN_OR_RETURN(auto f,
                               p("SELECT id, channel_id, reply FROM event_log WHERE appid = ? AND dedup_key = ?"));
      find_event.emplace(std::move(f));
    } else {
      QRSCENE_ASSIGN_OR_RETURN(auto f, p("SELECT id, channel_id, reply, appid, dedup_key FROM event_log WHERE id = ?"));
      find_logged.emplace(std::move(f));
    }
    QRSCENE_ASSIGN_OR_RETURN(
        auto insert_event,
        p("INSERT INTO event_log (appid, dedup_key, kind, name, openid, channel_id, scene, ticket, create_time, "
          "received_at, reply, content, event_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    // Login sessions: the session a login code is lent to (and the channel it credits), the session
    // waiting for this follower's answer, the website user the follower is bound to.
    QRSCENE_ASSIGN_OR_RETURN(
        auto login_holder,
        p("SELECT s.id, s.appid, s.purpose, s.user_id, s.secret_sha256, s.confirm_in_wechat, "
          "s.requester_ip, s.requester_agent, s.channel_id, s.scene, s.state, s.openid, s.reason, "
          "s.created_at, s.expires_at, s.delivered_at, s.version, c.channel_id, s.id IS NOT NULL "
          "FROM login_codes c LEFT JOIN login_sessions s ON s.id = c.session_id AND s.scene = c.scene "
          "WHERE c.appid = ? AND c.scene = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto login_awaiting,
                             p(std::string(kLoginSessionColumns) +
                               "WHERE appid = ? AND openid = ? AND state = 'scanned' AND expires_at > ? "
                               "ORDER BY created_at DESC LIMIT 1"));
    QRSCENE_ASSIGN_OR_RETURN(auto login_bound, p("SELECT user_id FROM login_bindings WHERE appid = ? AND openid = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto login_update,
                             p("UPDATE login_sessions SET state = ?, openid = ?, reason = ?, user_id = "
                               "CASE WHEN ? = '' THEN user_id ELSE ? END, decided_at = ?, "
                               "version = version + 1 WHERE id = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto login_release,
                             p("UPDATE login_codes SET held_until = ? WHERE session_id = ? AND held_until > ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto login_unbind_user, p("DELETE FROM login_bindings WHERE appid = ? AND user_id = ?"));
    QRSCENE_ASSIGN_OR_RETURN(auto login_bind,
                             p("INSERT INTO login_bindings (appid, openid, user_id, created_at) VALUES "
                               "(?, ?, ?, ?) ON CONFLICT (appid, openid) DO UPDATE SET user_id = "
                               "excluded.user_id, created_at = excluded.created_at"));
    QRSCENE_ASSIGN_OR_RETURN(auto savepoint, p("SAVEPOINT event"));
    QRSCENE_ASSIGN_OR_RETURN(auto release, p("RELEASE event"));
    QRSCENE_ASSIGN_OR_RETURN(auto rollback_to, p("ROLLBACK TO event"));
    std::optional<Statement> lock;
    if (!db->log_append_lock_sql().empty()) {
      QRSCENE_ASSIGN_OR_RETURN(auto l, p(db->log_append_lock_sql()));
      lock.emplace(std::move(l));
    }
    return std::unique_ptr<Writer>(new Writer{
        std::move(db), std::move(lock), std::move(find_event), std::move(find_logged), std::move(insert_event),
        std::move(login_holder),
        std::move(login_awaiting), std::move(login_bound), std::move(login_update), std::move(login_release),
        std::move(login_unbind_user), std::move(login_bind), std::move(savepoint), std::move(release),
        std::move(rollback_to), {}, {}, {}, {}, -1, {}});
  }

  // A statement left on a row keeps a read snapshot open after COMMIT; the next BEGIN IMMEDIATE
  // would then fail at once (SQLITE_BUSY_SNAPSHOT, no busy wait) if another connection wrote
  // meanwhile — the channel admin does. So every statement is reset before the transaction ends.
  void reset_all() {
    for (Statement* s : {&insert_event, &login_holder, &login_awaiting, &login_bound, &login_update, &login_release,
                         &login_unbind_user, &login_bind, &savepoint, &release, &rollback_to}) {
      s->reset();
    }
    for (auto* s : {&find_event, &find_logged}) {
      if (*s) (*s)->reset();
    }
    if (append_lock) append_lock->reset();
    for (auto& [rows, st] : append_rows) st.reset();
    for (auto* s : {&clear_log, &mark_cleared, &read_cleared}) {
      if (*s) (*s)->reset();
    }
  }

  Result<Statement*> appender(std::size_t rows) {
    auto it = append_rows.find(rows);
    if (it == append_rows.end()) {
      QRSCENE_ASSIGN_OR_RETURN(
          auto st, db->prepare("INSERT INTO event_log (appid, dedup_key, kind, name, openid, channel_id, scene, ticket, "
                               "create_time, received_at, reply, content, event_key) VALUES " +
                               value_rows(rows, kLogColumns) +
                               " ON CONFLICT (appid, dedup_key) DO NOTHING RETURNING id, appid, dedup_key"));
      it = append_rows.emplace(rows, std::move(st)).first;
    }
    it->second.reset();
    return &it->second;
  }

  // What a login scan or a text answer concerns; for a login scene also the channel it credits.
  Result<domain::LoginContext> login_context(const domain::Event& e, const domain::ChannelDirectory& directory,
                                             std::optional<domain::ChannelRef>& channel) {
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
        if (const domain::ChannelRef* c = directory.find(channel_id)) {
          channel = *c;
        } else if (channel_id != 0) {
          domain::ChannelRef bare;  // made since the directory was read: credited all the same
          bare.id = channel_id;
          channel = bare;
        }
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

namespace {

// Why writes fail, in a few fixed words for /healthz (public behind a balancer): never the
// database's own message, which may quote a statement or a value. SQLite's primary result codes
// travel in Error::detail.
std::string write_failure(const Error& e) {
  switch (e.detail & 0xff) {
    case 13: return "the disk is full";                       // SQLITE_FULL
    case 10: return "the disk reports I/O errors";             // SQLITE_IOERR
    case 8: return "the database file is read-only";           // SQLITE_READONLY
    case 14: return "the database file cannot be opened";      // SQLITE_CANTOPEN
    case 5: case 6: return "the database is locked by another process";  // SQLITE_BUSY, SQLITE_LOCKED
    default: break;
  }
  if (e.message.find("postgresql: ") != std::string::npos) return "PostgreSQL refuses writes or cannot be reached";
  return "writes fail";
}

}  // namespace

Status SqlStore::start(Database& setup, std::vector<std::unique_ptr<Database>> writers,
                       std::vector<std::unique_ptr<Database>> readers, LogConnections log) {
  if (options_.max_batch == 0) options_.max_batch = 1;
  name_ = setup.name();
  single_writer_ = setup.key_lock_sql().empty();
  QRSCENE_ASSIGN_OR_RETURN(pseudonym_key_, load_or_make_key(setup));
  QRSCENE_TRY(hash_followers(setup));
  QRSCENE_TRY(reload_directory(setup));
  // A store that cannot be written would answer every push 503: better not to start at all.
  if (auto probed = writers.empty() ? Status{} : probe_write(*writers.front()); !probed) {
    return unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("cannot write {}: {} ({})", name_, write_failure(probed.error()),
                                  probed.error().message));
  }
  if (options_.faults) {
    for (auto& db : writers) db = with_faults(std::move(db), options_.faults);
    for (auto& db : readers) db = with_faults(std::move(db), options_.faults);
  }
  if (options_.projector_faults) {
    log.projector = with_faults(std::move(log.projector), options_.projector_faults);
    if (log.projector_log) log.projector_log = with_faults(std::move(log.projector_log), options_.projector_faults);
  }
  if (!setup.log_keys_unique()) {
    // Retries are found in one writer's memory, not by a key the database holds.
    if (writers.size() > 1 || setup.appends_many_rows()) {
      return unexpected(ErrorCode::kInternal, "a log without unique keys needs one writer appending row by row");
    }
    QRSCENE_TRY(remember_recent(setup));
  }
  for (auto& db : writers) {
    QRSCENE_ASSIGN_OR_RETURN(auto w, Writer::make(std::move(db)));
    writers_.push_back(std::move(w));
  }
  readers_ = std::make_unique<ConnectionPool>(std::move(readers));
  if (log.log_reader) {
    std::vector<std::unique_ptr<Database>> log_readers;
    log_readers.push_back(std::move(log.log_reader));
    log_readers_ = std::make_unique<ConnectionPool>(std::move(log_readers));
  }
  log_apart_ = log.projector_log != nullptr;  // the writer's connection has the log attached
  QRSCENE_TRY(start_projector(std::move(log.projector), std::move(log.projector_log)));
  if (log_apart_) {
    std::lock_guard lock(projection_mu_);
    for (auto& w : writers_) w->cleared = log_cleared_;  // as start_projector read it
  }
  for (auto& w : writers_) threads_.emplace_back([this, &w = *w] { writer_loop(w); });
  return {};
}

// SQLite: the pushes appended within the window before this start, so that WeChat's retry of a
// push answered just before a restart (or a crash) is still answered as the first time.
Status SqlStore::remember_recent(Database& db) {
  const std::int64_t since = clock_.unix_seconds() - recent_.limits().window_seconds;
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT id, appid, dedup_key, received_at FROM event_log "
                                              "ORDER BY id DESC"));
  struct Row {
    std::int64_t id;
    std::string appid, dedup_key;
    std::int64_t received_at;
  };
  std::vector<Row> rows;
  while (rows.size() < recent_.limits().max_entries) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row || q.int64(3) < since) break;
    rows.push_back(Row{q.int64(0), q.text(1), q.text(2), q.int64(3)});
  }
  q.reset();
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    recent_.add(it->appid, it->dedup_key, it->id, it->received_at);
  }
  recent_size_.store(static_cast<std::int64_t>(recent_.size()));
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
  {
    std::lock_guard lock(mu_);
    writers_stopped_ = true;  // from here on the projector clears the log itself
  }
  stop_projector();  // after the writers: what they logged last is projected too
}

void SqlStore::submit(domain::Event event, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(Item{std::move(event), std::move(done)});
      // Wake a writer only when it has something to do now: one waiting for any push, or one
      // waiting for company once the queue holds as many as it wants. A busy writer takes the
      // queue when its group is done. Under the lock: once it is released, the push may be done
      // and the store gone.
      if (idle_writers_ > 0 || (company_waiters_ > 0 && queue_.size() >= company_at_)) wake_.notify_one();
      return;
    }
  }
  done(unexpected(ErrorCode::kUnavailable, "the store is stopping"));
}

void SqlStore::writer_loop(Writer& writer) {
  name_this_thread("qrs-writer");
  std::size_t last = 0;  // the last group's size
  // Pushes set aside while the projector held the database's turn (write_batch), tried first in
  // each group, every kAsideRetry, until kAsideAtMost after the first was set aside.
  std::vector<Item> aside;
  bool waiting_aside = false;                         // since aside_since
  std::chrono::steady_clock::time_point aside_since;
  for (;;) {
    std::vector<Item> batch;
    bool may_set_aside = false;
    {
      std::unique_lock lock(mu_);
      if (write_health_.ok && !aside.empty()) {
        // Try the pushes aside again in a moment, with whatever comes meanwhile.
        ++idle_writers_;
        wake_.wait_for(lock, kAsideRetry, [this] { return stopping_ || !queue_.empty(); });
        --idle_writers_;
      } else if (write_health_.ok) {
        // A clearing is due once the projector applied beyond it (after a failed one: once its
        // pause is over).
        const auto clear_pending = [&] { return log_apart_ && clear_to_ > writer.cleared; };
        const auto ready = [&] {
          return stopping_ || !queue_.empty() ||
                 (clear_pending() && std::chrono::steady_clock::now() >= writer.clear_retry_at);
        };
        ++idle_writers_;
        if (clear_pending()) {
          wake_.wait_until(lock, writer.clear_retry_at, ready);
        } else {
          wake_.wait(lock, ready);
        }
        --idle_writers_;
        if (!ready()) continue;
      } else {
        ++idle_writers_;
        const bool woken = wake_.wait_for(lock, std::chrono::seconds(1),
                                          [&] { return stopping_ || !queue_.empty() || !aside.empty(); });
        --idle_writers_;
        if (!woken) {
          lock.unlock();
          note_write(probe_write(*writer.db));  // failing, and no push to try with: see whether writes work again
          continue;
        }
      }
      if (queue_.empty() && aside.empty() && stopping_) return;  // everything submitted is done
      if (queue_.empty() && aside.empty()) {
        // No push waits: the applied events' openids, in a transaction of the writer's own.
        const std::int64_t to = clear_to_;
        lock.unlock();
        clear_alone(writer, to);
        continue;
      }
      // Under load (the last group had company), wait a moment for more of it: one commit and
      // one fsync for more pushes, fewer pages written per push (PostgreSQL's commit_delay).
      if (options_.commit_delay.count() > 0 && aside.empty() && last > 1 && queue_.size() < last) {
        ++company_waiters_;
        company_at_ = std::min(company_at_, last);
        wake_.wait_for(lock, options_.commit_delay, [&] { return stopping_ || queue_.size() >= last; });
        if (--company_waiters_ == 0) company_at_ = SIZE_MAX;
      }
      batch = std::move(aside);  // first: they came first
      aside.clear();
      // Pushes aside fill at most half a group: the other half is for those that came since (or
      // a group of them alone would be set aside again and again, with no wait in between).
      may_set_aside = write_health_.ok && !stopping_ && batch.size() < options_.max_batch / 2 &&
                      (!waiting_aside || std::chrono::steady_clock::now() - aside_since < kAsideAtMost);
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (batch.empty()) continue;  // another writer took the group while this one waited for company
    last = batch.size();
    auto results = write_batch(writer, batch, may_set_aside ? &aside : nullptr);
    if (aside.empty()) {
      waiting_aside = false;
    } else if (!waiting_aside) {
      waiting_aside = true;
      aside_since = std::chrono::steady_clock::now();
    }
    if (results.empty()) continue;  // the whole group waits aside
    const bool stored = std::any_of(results.begin(), results.end(), [](const auto& r) { return r.has_value(); });
    if (stored) {
      note_write(Status{});
    } else if (const Error& e = results.front().error();
               e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kInternal) {
      note_write(e);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto done = std::move(batch[i].done);  // released as soon as it ran
      done(std::move(results[i]));
    }
  }
}

std::string SqlStore::pseudonym(std::string_view appid, std::string_view openid) const {
  const auto mac = hmac_sha256(pseudonym_key_, {appid, "\n", openid});
  return to_hex(std::span<const std::uint8_t>(mac.data(), 16));  // 128 bits is plenty to tell followers apart
}

std::vector<Result<domain::IngestOutcome>> SqlStore::write_batch(Writer& w, std::vector<Item>& batch,
                                                                  std::vector<Item>* aside) {
  std::vector<Result<domain::IngestOutcome>> results;
  results.reserve(batch.size());
  if (auto fresh = refresh_directory(*w.db); !fresh) {
    results.assign(batch.size(), fresh.error());
    return results;
  }
  const auto directory = this->directory();
  const auto campaigns = campaign_directory();
  // A campaign's trigger, or a friend's code, is answered by the campaign (the poster is on its way).
  auto campaign_answer = [&](const domain::Event& e, domain::IngestPlan& plan) {
    if (!campaigns || campaigns->empty()) return;
    if (auto reply = domain::campaign_reply(*campaigns, e, plan.channel_id.value_or(0))) plan.reply = std::move(*reply);
  };
  // A group that may change a login session writes the database too; the others write the log
  // alone (where it has a file of its own, the projector's transactions never hold them back).
  bool touches_login = std::any_of(batch.begin(), batch.end(), [](const Item& item) {
    return !domain::login_free(item.event);
  });
  std::unique_lock<std::mutex> log_turn, database_turn;
  if (single_writer_) {
    log_turn = std::unique_lock(log_turn_);
    if (touches_login) {
      want_database_turn();  // the projector's transactions stay short for a while
      database_turn = std::unique_lock(database_turn_, std::try_to_lock);
      if (!database_turn.owns_lock() && aside != nullptr) {
        // The projector is in a transaction: the login pushes wait aside, not the others with them
        // — but for their senders' other pushes, which keep their order in the log with them (a
        // follow set aside, the unfollow after it appended first, would be applied the wrong way
        // round within a second).
        std::set<std::pair<std::string, std::string>> waiting;  // (appid, openid): copies, the partition moves
        for (const Item& item : batch) {
          if (!domain::login_free(item.event)) waiting.emplace(item.event.appid, item.event.openid);
        }
        const auto login = std::stable_partition(batch.begin(), batch.end(), [&](const Item& item) {
          return domain::login_free(item.event) && !waiting.contains({item.event.appid, item.event.openid});
        });
        std::move(login, batch.end(), std::back_inserter(*aside));
        batch.erase(login, batch.end());
        touches_login = false;
        if (batch.empty()) return results;
      } else if (!database_turn.owns_lock()) {
        database_turn = std::unique_lock(database_turn_);
      }
    }
  }
  if (auto begun = touches_login ? w.db->begin() : w.db->begin_append(); !begun) {
    results.assign(batch.size(), begun.error());
    return results;
  }
  if (w.append_lock) {
    w.append_lock->reset();
    if (auto locked = w.append_lock->run(); !locked) {
      w.reset_all();
      (void)w.db->exec("ROLLBACK");
      results.assign(batch.size(), locked.error());
      return results;
    }
  }
  const std::int64_t now = clock_.unix_seconds();
  const bool unique_keys = w.find_event.has_value();
  // The log's row of an event, from parameter `at` on (Writer::kLogColumns of them).
  auto bind_row = [&](Statement& q, int at, const domain::Event& e, const std::string& dedup,
                      const domain::IngestPlan& plan) {
    q.bind(at, e.appid)
        .bind(at + 1, dedup)
        .bind(at + 2, domain::to_string(e.kind))
        .bind(at + 3, e.name)
        .bind(at + 4, e.openid)
        .bind(at + 5, plan.channel_id)
        .bind(at + 6, e.scene)
        .bind(at + 7, e.ticket)
        .bind(at + 8, e.create_time)
        .bind(at + 9, now)
        .bind(at + 10, reply_to_json(plan.reply))
        .bind(at + 11, e.content)
        .bind(at + 12, e.key);
  };
  // A found duplicate: the first copy's id, channel and reply (columns 0..2 of `q`).
  auto duplicate = [](Statement& q) {
    domain::IngestOutcome o;
    o.event_id = q.int64(0);
    o.duplicate = true;
    if (!q.is_null(1)) o.channel_id = q.int64(1);
    o.reply = reply_from_json(q.text(2));
    return o;
  };
  results.assign(batch.size(), unexpected(ErrorCode::kInternal, "not applied"));
  // SQLite: the pushes this batch appended so far, (appid, dedup key) → index in the batch.
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> appended_here;
  // The dedup key holds the openid: only its keyed hash is stored, after the CreateTime that keeps
  // PostgreSQL's unique index in time order (migration 5).
  std::vector<std::string> dedups(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    dedups[i] = fmt::format("{:010d}", batch[i].event.create_time) + pseudonym(batch[i].event.appid,
                                                                                 batch[i].event.dedup_key);
  }
  // The first copy of this push, when it was stored before: by its unique key (PostgreSQL), or
  // (SQLite) earlier in this batch or among the pushes the writer appended lately.
  auto stored_before = [&](const domain::Event& e,
                           const std::string& dedup) -> Result<std::optional<domain::IngestOutcome>> {
    if (unique_keys) {
      Statement& find = *w.find_event;
      find.reset();
      find.bind(1, e.appid).bind(2, dedup);
      QRSCENE_ASSIGN_OR_RETURN(bool seen, find.step());
      std::optional<domain::IngestOutcome> o;
      if (seen) o = duplicate(find);
      find.reset();
      return o;
    }
    if (auto it = appended_here.find({e.appid, dedup}); it != appended_here.end() && results[it->second]) {
      domain::IngestOutcome o = *results[it->second];
      o.duplicate = true;
      o.login_session.clear();  // the session's change was the first copy's
      return std::optional<domain::IngestOutcome>(std::move(o));
    }
    std::optional<domain::IngestOutcome> o;
    if (const auto id = recent_.find(e.appid, dedup)) {
      Statement& find = *w.find_logged;
      find.reset();
      find.bind(1, *id);
      QRSCENE_ASSIGN_OR_RETURN(bool row, find.step());
      if (row && find.text(3) == e.appid && find.text(4) == dedup) o = duplicate(find);
      find.reset();
    }
    return o;
  };
  // Decide and append one event: nothing but the log (and a login session's change) before the
  // answer; in a savepoint of its own where it writes more than one row (below). Returns what
  // broke the batch, if anything did.
  auto alone = [&](std::size_t i) -> std::optional<Error> {
    const domain::Event& e = batch[i].event;
    const std::string& dedup = dedups[i];
    const bool scan = e.kind == domain::EventKind::kSubscribe || e.kind == domain::EventKind::kScan;
    auto apply = [&]() -> Result<domain::IngestOutcome> {
      QRSCENE_ASSIGN_OR_RETURN(auto first, stored_before(e, dedup));
      if (first) return std::move(*first);
      domain::IngestContext context;
      QRSCENE_ASSIGN_OR_RETURN(const domain::LoginContext login, w.login_context(e, *directory, context.channel));
      if (!login.login_scene && scan) context.channel = directory->attribute(e);
      // The reply and the channel depend on the code alone; the ledger is the projector's.
      domain::IngestPlan plan = domain::plan_ingest(e, context, options_.replies);
      const domain::LoginPlan login_plan = domain::plan_login(e, login, options_.login_texts);
      if (login_plan.handled) {
        plan.reply = login_plan.reply;  // the login's answer, not the channel's
      } else {
        campaign_answer(e, plan);
      }

      w.insert_event.reset();
      bind_row(w.insert_event, 1, e, dedup, plan);
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
      return o;
    };
    // SQLite, an event no login session hangs on: its one write is a single INSERT, atomic by
    // itself, so it needs no savepoint of its own (two statements fewer per push). Should it fail,
    // the whole group goes and WeChat sends each push again, rather than trust a transaction that
    // SQLite may have ended on that error (a full disk, an I/O error).
    if (!unique_keys && domain::login_free(e)) {
      Result<domain::IngestOutcome> r = apply();
      if (!r) return std::move(r.error());
      if (!r->duplicate) appended_here.emplace(std::pair{std::string_view(e.appid), std::string_view(dedup)}, i);
      results[i] = std::move(r);
      return std::nullopt;
    }
    // PostgreSQL: another writer (another instance) may have stored the same push since it was
    // looked for: its UNIQUE key then refuses this one, and the second try finds the duplicate.
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
    if (r && !r->duplicate && !unique_keys) {
      appended_here.emplace(std::pair{std::string_view(e.appid), std::string_view(dedup)}, i);
    }
    results[i] = std::move(r);
    return broken;
  };
  // PostgreSQL: the events that involve no login session are appended many to a statement; their
  // channel and reply come from the directory alone. Rows not returned were stored before (a
  // retry, a copy in this batch or one another writer stored) and are read back as duplicates.
  std::vector<PlainAppend> plain;
  auto append_plain = [&]() -> Status {
    std::map<std::pair<std::string, std::string>, std::int64_t> appended;  // (appid, dedup key) → id
    for (std::size_t from = 0; from < plain.size(); from += Writer::kRowsPerAppend) {
      const std::size_t rows = std::min(Writer::kRowsPerAppend, plain.size() - from);
      QRSCENE_ASSIGN_OR_RETURN(Statement * q, w.appender(rows));
      for (std::size_t r = 0; r < rows; ++r) {
        const PlainAppend& a = plain[from + r];
        bind_row(*q, 1 + static_cast<int>(r * Writer::kLogColumns), batch[a.index].event, dedups[a.index], a.plan);
      }
      for (;;) {
        QRSCENE_ASSIGN_OR_RETURN(bool row, q->step());
        if (!row) break;
        appended.emplace(std::pair{q->text(1), q->text(2)}, q->int64(0));
      }
      q->reset();
    }
    for (const PlainAppend& a : plain) {
      const domain::Event& e = batch[a.index].event;
      if (auto found = appended.extract(std::pair{e.appid, dedups[a.index]})) {
        domain::IngestOutcome o;
        o.event_id = found.mapped();
        o.channel_id = a.plan.channel_id;
        o.reply = a.plan.reply;
        results[a.index] = std::move(o);
        continue;
      }
      QRSCENE_ASSIGN_OR_RETURN(auto first, stored_before(e, dedups[a.index]));
      if (!first) return unexpected(ErrorCode::kUnavailable, "an appended push is neither new nor stored: retry");
      results[a.index] = std::move(*first);
    }
    return {};
  };
  // The rows gathered so far, in one savepoint; should that fail (one row PostgreSQL refuses), each
  // goes alone, so one bad push does not cost its neighbours their answers.
  auto flush = [&]() -> std::optional<Error> {
    if (plain.empty()) return std::nullopt;
    w.savepoint.reset();
    if (auto sp = w.savepoint.run(); !sp) return sp.error();
    const Status appended = append_plain();
    if (!appended) {
      w.reset_all();
      w.rollback_to.reset();
      if (auto back = w.rollback_to.run(); !back) return back.error();
    }
    w.release.reset();
    if (auto released = w.release.run(); !released) return released.error();
    if (!appended) {
      for (const PlainAppend& a : plain) {
        if (auto broken = alone(a.index)) return broken;
      }
    }
    plain.clear();
    return std::nullopt;
  };
  // In time order (CreateTime, then arrival): a follower's events keep their order in the log, and
  // two writers appending the same pushes take their keys in the same order (no deadlock).
  std::vector<std::size_t> order(batch.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const bool many = w.db->appends_many_rows();
  if (many) {
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(batch[a].event.appid, batch[a].event.create_time) <
             std::tie(batch[b].event.appid, batch[b].event.create_time);
    });
  }
  std::optional<Error> broken;
  for (std::size_t i : order) {
    const domain::Event& e = batch[i].event;
    const bool scan = e.kind == domain::EventKind::kSubscribe || e.kind == domain::EventKind::kScan;
    if (many && domain::login_free(e)) {
      domain::IngestContext context;
      if (scan) context.channel = directory->attribute(e);
      plain.push_back(PlainAppend{i, domain::plan_ingest(e, context, options_.replies)});
      campaign_answer(e, plain.back().plan);
      if (plain.size() == Writer::kRowsPerAppend && (broken = flush())) break;
      continue;
    }
    if ((broken = flush()) || (broken = alone(i))) break;  // the rows before it first: the log keeps the order
  }
  if (!broken) broken = flush();
  // The log in a file of its own: a slice of what the projector applied is cleared in this group's
  // transaction, so that no other connection takes the log's write lock while pushes wait.
  // In a savepoint: a clearing that fails is undone alone and tried again later, never at the
  // cost of the group's answers. At least as many rows as the group appended, so that it keeps up.
  std::int64_t cleared_to = -1;
  if (!broken && log_apart_) {
    std::int64_t to = 0;
    {
      std::lock_guard lock(mu_);
      to = clear_to_;
    }
    if (to > w.cleared && std::chrono::steady_clock::now() >= w.clear_retry_at) {
      const auto rows = std::max<std::int64_t>(kClearInGroup, 2 * static_cast<std::int64_t>(batch.size()));
      w.savepoint.reset();
      Status cleared = w.savepoint.run();
      const bool saved = static_cast<bool>(cleared);
      if (saved) {
        if (auto upto = clear_slice(w, to, rows)) {
          cleared_to = *upto;
        } else {
          cleared = upto.error();
          w.rollback_to.reset();
          if (auto back = w.rollback_to.run(); !back) broken = back.error();
        }
      }
      if (saved && !broken) {
        w.release.reset();
        if (auto released = w.release.run(); !released) broken = released.error();
      }
      if (!cleared && !broken) clearing_failed(w, cleared.error());
    }
  }
  if (broken) {
    // Half an event must never be committed: the whole batch goes, and nothing of it is
    // acknowledged (WeChat sends each push again).
    w.reset_all();
    (void)w.db->exec("ROLLBACK");
    broken->message = "the group was rolled back: " + broken->message;
    results.assign(batch.size(), *broken);
    return results;
  }
  w.reset_all();
  if (auto committed = w.db->exec("COMMIT"); !committed) {
    (void)w.db->exec("ROLLBACK");
    for (auto& r : results) r = committed.error();  // nothing of this batch is durable
    return results;
  }
  if (database_turn.owns_lock()) database_turn.unlock();
  if (log_turn.owns_lock()) log_turn.unlock();
  if (cleared_to >= 0) note_cleared(w, cleared_to);
  if (!unique_keys) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (results[i] && !results[i]->duplicate) {
        recent_.add(batch[i].event.appid, dedups[i], results[i]->event_id, now);
      }
    }
    recent_size_.store(static_cast<std::int64_t>(recent_.size()));
  }
  {
    std::lock_guard lock(mu_);
    ++commits_;
  }
  // SQLite (one writer, the one projector): the log's head as the writer left it, so that the lag
  // is live while the projector lets the log gather.
  std::int64_t appended = 0;
  for (const auto& r : results) {
    if (r && single_writer_) appended = std::max(appended, r->event_id);
  }
  bool wake_projector = false;
  {
    std::lock_guard lock(projection_mu_);
    log_grew_ = true;
    projection_.head = std::max(projection_.head, appended);
    wake_projector = projector_idle_;  // while it lets the log gather, a commit is no news to it
  }
  if (wake_projector) projection_moved_.notify_all();
  return results;
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

Result<domain::Counters> SqlStore::channel_counters(std::int64_t channel_id, std::int64_t first_day,
                                                       std::int64_t last_day) {
  catch_up_for_read();
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
  catch_up_for_read();
  auto reader = readers_->lease();
  return count(*reader, "SELECT COUNT(*) FROM events WHERE appid = ?", appid);
}

Result<std::int64_t> SqlStore::follower_count(std::string_view appid) {
  catch_up_for_read();
  auto reader = readers_->lease();
  return count(*reader, "SELECT COUNT(*) FROM followers WHERE appid = ?", appid);
}

Result<std::map<std::string, std::int64_t>> SqlStore::newest_pushes(const std::vector<std::string>& appids,
                                                                     std::size_t window) {
  std::map<std::string, std::int64_t> out;
  if (appids.empty() || window == 0) return out;
  auto reader = (log_readers_ ? log_readers_ : readers_)->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT appid, received_at FROM event_log ORDER BY id DESC LIMIT ?"));
  q.bind(1, static_cast<std::int64_t>(window));
  while (out.size() < appids.size()) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    std::string appid = q.text(0);
    if (std::find(appids.begin(), appids.end(), appid) == appids.end()) continue;
    auto& at = out[std::move(appid)];
    at = std::max(at, q.int64(1));
  }
  q.reset();
  return out;
}

Result<std::int64_t> SqlStore::open_subscriptions(std::string_view appid, std::int64_t channel_id) {
  catch_up_for_read();
  auto reader = readers_->lease();
  return count(*reader,
               "SELECT COUNT(*) FROM subscriptions WHERE appid = ? AND COALESCE(channel_id, 0) = ? AND ended_at IS NULL",
               appid, channel_id);
}

std::int64_t SqlStore::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}


SqlStore::WriteHealth SqlStore::write_health() const {
  std::lock_guard lock(mu_);
  return write_health_;
}

// Within the writer's open transaction: the log's openids (and a text's content, a menu key) of
// events the projector applied, from where the clearing stands up to `to`, at most `rows` of them.
// Returns how far the log is cleared once the transaction commits.
Result<std::int64_t> SqlStore::clear_slice(Writer& w, std::int64_t to, std::int64_t rows) {
  auto prepared = [&w](std::optional<Statement>& st, std::string_view sql) -> Result<Statement*> {
    if (!st) {
      QRSCENE_ASSIGN_OR_RETURN(auto made, w.db->prepare(sql));
      st.emplace(std::move(made));
    }
    st->reset();
    return &*st;
  };
  if (w.cleared < 0) {
    QRSCENE_ASSIGN_OR_RETURN(Statement * q, prepared(w.read_cleared, "SELECT position FROM log_cleared"));
    QRSCENE_ASSIGN_OR_RETURN(bool row, q->step());
    if (!row) return unexpected(ErrorCode::kInternal, "the log has no log_cleared row");
    w.cleared = q->int64(0);
    q->reset();
  }
  const std::int64_t upto = std::min(to, w.cleared + rows);
  if (upto <= w.cleared) return w.cleared;
  QRSCENE_ASSIGN_OR_RETURN(
      Statement * clear,
      prepared(w.clear_log, "UPDATE event_log SET openid = '', content = '', event_key = '' WHERE id > ? AND id <= ?"));
  QRSCENE_TRY(clear->bind(1, w.cleared).bind(2, upto).run());
  QRSCENE_ASSIGN_OR_RETURN(Statement * mark, prepared(w.mark_cleared, "UPDATE log_cleared SET position = ?"));
  QRSCENE_TRY(mark->bind(1, upto).run());
  return upto;
}

void SqlStore::clearing_failed(Writer& w, const Error& error) {
  w.cleared = -1;  // read again
  w.clear_retry_at = std::chrono::steady_clock::now() + kClearRetry;
  spdlog::warn("store clear_failed error={} — the log's applied openids are cleared at the next try",
               log_text(error.message));
}

// No push waits: a clearing in a transaction of the writer's own.
void SqlStore::clear_alone(Writer& w, std::int64_t to) {
  std::unique_lock turn(log_turn_);
  Result<std::int64_t> upto = w.cleared;
  Status done = w.db->begin_append();
  if (done) {
    upto = clear_slice(w, to, kClearAlone);
    if (!upto) done = upto.error();
  }
  w.reset_all();
  if (done) done = w.db->exec("COMMIT");
  if (!done) {
    (void)w.db->exec("ROLLBACK");
    turn.unlock();
    clearing_failed(w, done.error());
    return;
  }
  turn.unlock();
  note_cleared(w, *upto);
}

void SqlStore::note_cleared(Writer& w, std::int64_t upto) {
  w.cleared = upto;
  {
    std::lock_guard lock(projection_mu_);
    if (upto <= log_cleared_) return;
    log_cleared_ = upto;
  }
  projection_moved_.notify_all();  // a read waiting in catch_up
}

void SqlStore::note_write(const Status& outcome) {
  std::lock_guard lock(mu_);
  if (outcome) {
    write_health_ = WriteHealth{};
    return;
  }
  write_health_ = WriteHealth{false, write_failure(outcome.error())};
}

Status SqlStore::probe_write(Database& db) {
  QRSCENE_TRY(db.begin());
  Status wrote = db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (-1, 'write probe', 0)");
  if (wrote) wrote = db.exec("DELETE FROM schema_migrations WHERE version = -1");
  // The log's own file too: it is the one the answers write.
  if (wrote && db.log_apart()) wrote = db.exec("INSERT INTO log.log_meta (key, value) VALUES ('write probe', '')");
  if (wrote && db.log_apart()) wrote = db.exec("DELETE FROM log.log_meta WHERE key = 'write probe'");
  if (wrote) wrote = db.exec("COMMIT");
  if (!wrote) (void)db.exec("ROLLBACK");
  return wrote;
}

}  // namespace qrscene::store
