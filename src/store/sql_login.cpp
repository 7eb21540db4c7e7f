// SqlStore's LoginRepository: the browser's side of login sessions, on the read connection.
// Scans and answers change sessions on the writer's connection, inside ingest (sql_store.cpp).
#include <fmt/format.h>

#include "store/sql_store.h"

namespace qrscene::store {

const char* const kLoginSessionColumns =
    "SELECT id, appid, purpose, user_id, secret_sha256, confirm_in_wechat, requester_ip, requester_agent, "
    "channel_id, scene, state, openid, reason, created_at, expires_at, delivered_at, version FROM login_sessions ";

domain::LoginSession read_login_session(const Statement& q) {
  domain::LoginSession s;
  s.id = q.text(0);
  s.appid = q.text(1);
  s.purpose = domain::login_purpose_from(q.text(2)).value_or(domain::LoginPurpose::kLogin);
  s.user_id = q.text(3);
  s.secret_sha256 = q.text(4);
  s.confirm_in_wechat = q.int64(5) != 0;
  s.requester_ip = q.text(6);
  s.requester_agent = q.text(7);
  s.channel_id = q.int64(8);
  s.scene = q.text(9);
  s.state = domain::login_state_from(q.text(10)).value_or(domain::LoginState::kPending);
  s.openid = q.text(11);
  s.reason = q.text(12);
  s.created_at = q.int64(13);
  s.expires_at = q.int64(14);
  s.delivered_at = q.int64(15);
  s.version = q.int64(16);
  return s;
}

Status SqlStore::create_login_session(const domain::LoginSession& s) {
  want_database_turn();  // its scan will: the projector's transactions stay short meanwhile
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(
      auto ins, reader->prepare("INSERT INTO login_sessions (id, appid, purpose, user_id, secret_sha256, "
                                 "confirm_in_wechat, requester_ip, requester_agent, channel_id, created_at, expires_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  return ins.bind(1, s.id)
      .bind(2, s.appid)
      .bind(3, domain::to_string(s.purpose))
      .bind(4, s.user_id)
      .bind(5, s.secret_sha256)
      .bind(6, std::int64_t{s.confirm_in_wechat})
      .bind(7, s.requester_ip)
      .bind(8, s.requester_agent)
      .bind(9, s.channel_id)
      .bind(10, s.created_at)
      .bind(11, s.expires_at)
      .run();
}

Result<domain::LoginSession> SqlStore::login_session(std::string_view id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(std::string(kLoginSessionColumns) + "WHERE id = ?"));
  q.bind(1, id);
  QRSCENE_ASSIGN_OR_RETURN(bool found, q.step());
  if (!found) return unexpected(ErrorCode::kNotFound, "no such login session (it may have ended and been purged)");
  return read_login_session(q);
}

Result<std::optional<domain::LoginCode>> SqlStore::lend_login_code(std::string_view session_id, std::int64_t now,
                                                                      std::int64_t needed_until,
                                                                      std::int64_t held_until) {
  auto reader = readers_->lease();
  Database& db = *reader;
  return in_transaction(db, [&]() -> Result<std::optional<domain::LoginCode>> {
    QRSCENE_ASSIGN_OR_RETURN(auto owner, db.prepare("SELECT appid, channel_id FROM login_sessions WHERE id = ?"));
    owner.bind(1, session_id);
    QRSCENE_ASSIGN_OR_RETURN(bool found, owner.step());
    if (!found) return unexpected(ErrorCode::kNotFound, "no such login session");
    const std::string appid = owner.text(0);
    const std::int64_t channel_id = owner.int64(1);
    owner.reset();
    // Asked again (the page reloaded its image): the code already lent, never another one.
    QRSCENE_ASSIGN_OR_RETURN(auto mine, db.prepare("SELECT c.scene, c.ticket, c.url, c.expires_at FROM login_sessions s "
                                                   "JOIN login_codes c ON c.appid = s.appid AND c.scene = s.scene AND "
                                                   "c.session_id = s.id WHERE s.id = ?"));
    mine.bind(1, session_id);
    QRSCENE_ASSIGN_OR_RETURN(bool held, mine.step());
    if (held) return std::optional(domain::LoginCode{appid, mine.text(0), mine.text(1), mine.text(2), mine.int64(3)});
    mine.reset();
    QRSCENE_ASSIGN_OR_RETURN(auto pick, db.prepare("SELECT id, scene, ticket, url, expires_at FROM login_codes WHERE "
                                                   "appid = ? AND held_until <= ? AND expires_at > ? "
                                                   "ORDER BY held_until LIMIT 1"));
    pick.bind(1, appid).bind(2, now).bind(3, needed_until);
    QRSCENE_ASSIGN_OR_RETURN(bool free, pick.step());
    if (!free) return std::optional<domain::LoginCode>();
    const std::int64_t code_id = pick.int64(0);
    domain::LoginCode code{appid, pick.text(1), pick.text(2), pick.text(3), pick.int64(4)};
    pick.reset();
    QRSCENE_ASSIGN_OR_RETURN(auto lend, db.prepare("UPDATE login_codes SET session_id = ?, channel_id = ?, "
                                                   "held_until = ? WHERE id = ?"));
    QRSCENE_TRY(lend.bind(1, session_id).bind(2, channel_id).bind(3, held_until).bind(4, code_id).run());
    QRSCENE_ASSIGN_OR_RETURN(auto mark, db.prepare("UPDATE login_sessions SET scene = ? WHERE id = ?"));
    QRSCENE_TRY(mark.bind(1, code.scene).bind(2, session_id).run());
    return std::optional(std::move(code));
  });
}

Status SqlStore::add_login_code(std::string_view session_id, const domain::LoginCode& code,
                                   std::int64_t held_until) {
  auto reader = readers_->lease();
  Database& db = *reader;
  return in_transaction(db, [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(
        auto ins, db.prepare("INSERT INTO login_codes (appid, scene, ticket, url, expires_at, session_id, channel_id, "
                             "held_until) SELECT ?, ?, ?, ?, ?, id, channel_id, ? FROM login_sessions WHERE id = ?"));
    QRSCENE_TRY(ins.bind(1, code.appid)
                    .bind(2, code.scene)
                    .bind(3, code.ticket)
                    .bind(4, code.url)
                    .bind(5, code.expires_at)
                    .bind(6, held_until)
                    .bind(7, session_id)
                    .run());
    if (db.changes() != 1) return unexpected(ErrorCode::kNotFound, "no such login session");
    QRSCENE_ASSIGN_OR_RETURN(auto mark, db.prepare("UPDATE login_sessions SET scene = ? WHERE id = ?"));
    return mark.bind(1, code.scene).bind(2, session_id).run();
  });
}

Result<bool> SqlStore::deliver_login_result(std::string_view id, std::int64_t now,
                                               std::string_view exchange_sha256) {
  auto reader = readers_->lease();
  Database& db = *reader;
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("UPDATE login_sessions SET delivered_at = ?, exchange_sha256 = ?, "
                                              "version = version + 1 WHERE id = ? AND delivered_at = 0"));
  q.bind(1, now).bind(3, id);
  if (exchange_sha256.empty()) {
    q.bind(2, std::nullopt);
  } else {
    q.bind(2, exchange_sha256);
  }
  QRSCENE_TRY(q.run());
  return db.changes() == 1;
}

Result<std::vector<std::pair<std::string, std::int64_t>>> SqlStore::login_versions(
    const std::vector<std::string>& ids) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  auto reader = readers_->lease();
  constexpr std::size_t kChunk = 200;
  for (std::size_t at = 0; at < ids.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, ids.size() - at);
    std::string sql = "SELECT id, version FROM login_sessions WHERE id IN (?";
    for (std::size_t i = 1; i < n; ++i) sql += ", ?";
    sql += ")";
    QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(sql));
    for (std::size_t i = 0; i < n; ++i) q.bind(static_cast<int>(i + 1), ids[at + i]);
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      out.emplace_back(q.text(0), q.int64(1));
    }
  }
  return out;
}

Result<domain::LoginSession> SqlStore::redeem_login_exchange(std::string_view exchange_sha256, std::int64_t now,
                                                                std::int64_t not_before) {
  auto reader = readers_->lease();
  Database& db = *reader;
  return in_transaction(db, [&]() -> Result<domain::LoginSession> {
    QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare(std::string(kLoginSessionColumns) +
                                                "WHERE exchange_sha256 = ? AND exchanged_at = 0 AND state = "
                                                "'confirmed' AND delivered_at >= ?"));
    q.bind(1, exchange_sha256).bind(2, not_before);
    QRSCENE_ASSIGN_OR_RETURN(bool found, q.step());
    if (!found) {
      return unexpected(ErrorCode::kNotFound,
                        "no confirmed login with this code: it is wrong, used already, or older than its life");
    }
    auto session = read_login_session(q);
    q.reset();
    QRSCENE_ASSIGN_OR_RETURN(auto use, db.prepare("UPDATE login_sessions SET exchanged_at = ? WHERE id = ?"));
    QRSCENE_TRY(use.bind(1, now).bind(2, session.id).run());
    return session;
  });
}

Result<std::vector<domain::LoginBinding>> SqlStore::login_bindings(std::string_view appid, std::string_view user_id,
                                                                      std::string_view openid) {
  catch_up_for_read();
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT appid, openid, user_id, created_at FROM login_bindings "
                                                    "WHERE appid = ? AND (? = '' OR user_id = ?) AND (? = '' OR "
                                                    "openid = ?) ORDER BY created_at, user_id LIMIT 10000"));
  q.bind(1, appid).bind(2, user_id).bind(3, user_id).bind(4, openid).bind(5, openid);
  std::vector<domain::LoginBinding> out;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    out.push_back({q.text(0), q.text(1), q.text(2), q.int64(3)});
  }
  return out;
}

Result<bool> SqlStore::remove_login_binding(std::string_view appid, std::string_view user_id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("DELETE FROM login_bindings WHERE appid = ? AND user_id = ?"));
  QRSCENE_TRY(q.bind(1, appid).bind(2, user_id).run());
  return reader->changes() == 1;
}

Result<std::int64_t> SqlStore::purge_login_sessions(std::int64_t before) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("DELETE FROM login_sessions WHERE expires_at < ?"));
  QRSCENE_TRY(q.bind(1, before).run());
  return std::int64_t{reader->changes()};
}

}  // namespace qrscene::store
