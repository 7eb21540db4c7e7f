// SqlStore's channels (domain::ChannelRepository): the channel rows, the history of what each scene
// and ticket meant (scene_history, for attribution as of an event's time), and the rollups a
// changed group or owner moves with it. A committed change marks the channel directory stale, so
// the next append reads it again (DESIGN.md section 3).
#include <fmt/format.h>

#include "store/rollup_sql.h"
#include "store/sql_store.h"

namespace qrscene::store {

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
    QRSCENE_TRY(hist.bind(1, c.appid).bind(2, c.scene).bind(3, c.id).bind(4, c.created_at).run());
    return channels_changed(db);
  });
  if (!made) return made.error();
  directory_stale_.store(true);  // committed: the next append reads the new directory
  return c;
}


namespace {

constexpr std::string_view kChannelColumns =
    "SELECT id, appid, name, grp, owner, kind, scene, scene_is_int, ticket, url, expires_at, status, "
    "reply_subscribe, reply_scan, wechat_tag_id, evergreen, created_at, COALESCE(retired_at, 0), spend_cents, "
    "renewal_failed_at, renewal_error, expiry_noticed FROM channels ";

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
  c.renewal_failed_at = q.int64(19);
  c.renewal_error = q.text(20);
  c.expiry_noticed = q.int64(21);
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
  const Status changed = in_transaction(db, [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(auto up, db.prepare("UPDATE channels SET status = ?, retired_at = CASE WHEN ? = 'retired' "
                                                 "THEN ? ELSE retired_at END WHERE id = ?"));
    QRSCENE_TRY(up.bind(1, domain::to_string(status)).bind(2, domain::to_string(status)).bind(3, now).bind(4, id).run());
    if (db.changes() == 0) return unexpected(ErrorCode::kNotFound, fmt::format("no channel {}", id));
    if (status == domain::ChannelStatus::kRetired) {
      // From now on the scene means nothing (until a new channel takes it).
      QRSCENE_ASSIGN_OR_RETURN(auto end, db.prepare("UPDATE scene_history SET valid_to = ? WHERE channel_id = ? AND "
                                                    "valid_to IS NULL"));
      QRSCENE_TRY(end.bind(1, now).bind(2, id).run());
    }
    return channels_changed(db);
  });
  if (changed) directory_stale_.store(true);
  return changed;
}

Status SqlStore::update_channel(const domain::Channel& c) {
  auto reader = readers_->lease();
  Database& db = *reader;
  const Status updated = in_transaction(db, [&]() -> Status {
    if (!db.key_lock_sql().empty()) {  // the projector credits no batch to the old segments meanwhile
      QRSCENE_ASSIGN_OR_RETURN(auto lock, db.prepare(db.key_lock_sql()));
      QRSCENE_TRY(lock.bind(1, kSegmentsLockKey).run());
    }
    QRSCENE_ASSIGN_OR_RETURN(auto was, db.prepare("SELECT appid, grp, owner FROM channels WHERE id = ?"));
    was.bind(1, c.id);
    QRSCENE_ASSIGN_OR_RETURN(bool found, was.step());
    if (!found) return unexpected(ErrorCode::kNotFound, fmt::format("no channel {}", c.id));
    const std::string appid = was.text(0), group = was.text(1), owner = was.text(2);
    was.reset();
    QRSCENE_ASSIGN_OR_RETURN(auto up, db.prepare("UPDATE channels SET name = ?, grp = ?, owner = ?, "
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
    if (group != c.group) QRSCENE_TRY(move_segment(db, c.id, appid, "group", group, c.group));
    if (owner != c.owner) QRSCENE_TRY(move_segment(db, c.id, appid, "owner", owner, c.owner));
    return channels_changed(db);
  });
  if (updated) directory_stale_.store(true);
  return updated;
}

Status SqlStore::move_segment(Database& db, std::int64_t channel_id, std::string_view appid, std::string_view axis,
                              std::string_view from, std::string_view to) {
  // The channel's days leave the old segment's rows (sign -1) and join the new one's (+1).
  const auto columns = rollup_columns();
  std::string signed_columns;
  for (std::string_view c : columns) signed_columns += fmt::format(", ? * d.{}", c);
  // SQLite parses an upsert after INSERT ... SELECT only when the SELECT has a WHERE clause.
  QRSCENE_ASSIGN_OR_RETURN(
      auto add, db.prepare(fmt::format("INSERT INTO segment_daily (appid, axis, segment, day, {}) SELECT ?, ?, ?, "
                                       "d.day{} FROM channel_daily d WHERE d.channel_id = ?{}",
                                       fmt::join(columns, ", "), signed_columns,
                                       on_conflict_adding("segment_daily", {"appid", "axis", "day", "segment"},
                                                          columns))));
  for (auto [segment, sign] : {std::pair{from, std::int64_t{-1}}, std::pair{to, std::int64_t{1}}}) {
    add.reset();
    add.bind(1, appid).bind(2, axis).bind(3, segment);
    for (std::size_t i = 0; i < columns.size(); ++i) add.bind(4 + static_cast<int>(i), sign);
    QRSCENE_TRY(add.bind(4 + static_cast<int>(columns.size()), channel_id).run());
  }
  // What the channel leaves behind is zero where it alone made the row.
  QRSCENE_ASSIGN_OR_RETURN(auto empty, db.prepare(fmt::format("DELETE FROM segment_daily WHERE appid = ? AND axis = ? "
                                                              "AND segment = ? AND {} = 0",
                                                              fmt::join(columns, " = 0 AND "))));
  return empty.bind(1, appid).bind(2, axis).bind(3, from).run();
}

Status SqlStore::set_ticket(std::int64_t id, std::string_view ticket, std::string_view url,
                               std::int64_t expires_at) {
  auto reader = readers_->lease();
  // A renewal that worked: the code lives on, and an earlier failure is over.
  QRSCENE_ASSIGN_OR_RETURN(auto up, reader->prepare("UPDATE channels SET ticket = ?, url = ?, expires_at = ?, "
                                                     "status = CASE WHEN status = 'expired' THEN 'active' ELSE status "
                                                     "END, renewal_failed_at = 0, renewal_error = '' WHERE id = ?"));
  QRSCENE_TRY(up.bind(1, ticket).bind(2, url).bind(3, expires_at).bind(4, id).run());
  if (reader->changes() == 0) return unexpected(ErrorCode::kNotFound, fmt::format("no channel {}", id));
  QRSCENE_TRY(channels_changed(*reader));
  directory_stale_.store(true);
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
  QRSCENE_ASSIGN_OR_RETURN(auto q,
                           reader->prepare("SELECT COUNT(DISTINCT scene) FROM channels WHERE appid = ? AND kind = 'permanent'"));
  q.bind(1, appid);
  QRSCENE_TRY(q.step());
  return q.int64(0);
}

Result<bool> SqlStore::permanent_scene_known(std::string_view appid, std::string_view scene) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT 1 FROM channels WHERE appid = ? AND kind = 'permanent' "
                                                    "AND scene = ? LIMIT 1"));
  q.bind(1, appid).bind(2, scene);
  return q.step();
}

Result<std::optional<std::string>> SqlStore::reusable_permanent_scene(std::string_view appid) {
  auto reader = readers_->lease();
  // The scene retired longest ago (its posters the likeliest to be gone) that no live channel
  // holds; among equals the lowest number.
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare("SELECT r.scene FROM channels r WHERE r.appid = ? AND r.kind = 'permanent' AND "
                              "r.scene_is_int = 1 AND r.status = 'retired' AND NOT EXISTS (SELECT 1 FROM channels l "
                              "WHERE l.appid = r.appid AND l.scene = r.scene AND l.status <> 'retired') "
                              "GROUP BY r.scene ORDER BY MAX(r.retired_at), length(r.scene), r.scene LIMIT 1"));
  q.bind(1, appid);
  QRSCENE_ASSIGN_OR_RETURN(bool found, q.step());
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(q.text(0));
}

Status SqlStore::set_renewal_failure(std::int64_t id, std::int64_t at, std::string_view error) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto up,
                           reader->prepare("UPDATE channels SET renewal_failed_at = ?, renewal_error = ? WHERE id = ?"));
  QRSCENE_TRY(up.bind(1, error.empty() ? 0 : at).bind(2, error).bind(3, id).run());
  if (reader->changes() == 0) return unexpected(ErrorCode::kNotFound, fmt::format("no channel {}", id));
  return {};
}

Status SqlStore::set_expiry_noticed(std::int64_t id, std::int64_t expires_at) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto up, reader->prepare("UPDATE channels SET expiry_noticed = ? WHERE id = ?"));
  QRSCENE_TRY(up.bind(1, expires_at).bind(2, id).run());
  if (reader->changes() == 0) return unexpected(ErrorCode::kNotFound, fmt::format("no channel {}", id));
  return {};
}

Result<domain::ChannelRepository::QuotaRecord> SqlStore::quota_record(std::string_view appid) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q,
                           reader->prepare("SELECT external_permanent, refused_at FROM account_quota WHERE appid = ?"));
  q.bind(1, appid);
  QRSCENE_ASSIGN_OR_RETURN(bool found, q.step());
  if (!found) return QuotaRecord{};
  return QuotaRecord{q.int64(0), q.int64(1)};
}

namespace {

// One column of an account's account_quota row, the row made when it is missing.
Status set_quota_column(Database& db, std::string_view column, std::string_view appid, std::int64_t value) {
  return in_transaction(db, [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(auto make,
                             db.prepare("INSERT INTO account_quota (appid) VALUES (?) ON CONFLICT (appid) DO NOTHING"));
    QRSCENE_TRY(make.bind(1, appid).run());
    QRSCENE_ASSIGN_OR_RETURN(auto up,
                             db.prepare(fmt::format("UPDATE account_quota SET {} = ? WHERE appid = ?", column)));
    return up.bind(1, value).bind(2, appid).run();
  });
}

}  // namespace

Status SqlStore::set_external_permanent(std::string_view appid, std::int64_t count) {
  auto reader = readers_->lease();
  return set_quota_column(*reader, "external_permanent", appid, count);
}

Status SqlStore::set_quota_refused(std::string_view appid, std::int64_t at) {
  auto reader = readers_->lease();
  return set_quota_column(*reader, "refused_at", appid, at);
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

}  // namespace qrscene::store
