// SqlStore's follower list and conversions (domain::FollowerRepository). A follower row is a
// subscription through a channel; the openid, unionid and tags come from `followers`, which holds a
// row only while the person follows — so a row after an unfollow is the pseudonym alone.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "store/channel_where.h"
#include "store/sql_store.h"

namespace qrscene::store {
namespace {

using Json = nlohmann::json;

std::vector<std::string> tag_names(const std::string& text) {
  std::vector<std::string> out;
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& t : j) {
    if (t.is_string()) out.push_back(t.get<std::string>());
  }
  return out;
}

}  // namespace

Result<domain::FollowerPage> SqlStore::follower_page(const domain::FollowerQuery& query) {
  catch_up_for_read();
  const Where w = channel_where(domain::ChannelFilter{query.appid, query.channel_ids, query.group, query.owner});
  std::string where = w.sql;
  std::vector<std::variant<std::int64_t, std::string>> args = w.args;
  if (query.following) where += *query.following ? " AND s.ended_at IS NULL" : " AND s.ended_at IS NOT NULL";
  if (query.followed_from != 0) {
    where += " AND s.started_at >= ?";
    args.emplace_back(query.followed_from);
  }
  if (query.followed_to != 0) {
    where += " AND s.started_at < ?";
    args.emplace_back(query.followed_to);
  }
  if (!query.openid.empty()) {
    where += " AND s.openid_hash = ?";
    args.emplace_back(pseudonym(query.appid, query.openid));
  }
  const Where all{where, args};
  const char* dir = query.descending ? "DESC" : "ASC";
  std::string order;
  switch (query.sort) {
    case domain::FollowerSort::kFollowedAt: order = fmt::format("s.started_at {0}, s.id {0}", dir); break;
    case domain::FollowerSort::kLeftAt: order = fmt::format("s.ended_at IS NULL, s.ended_at {0}, s.id {0}", dir); break;
    case domain::FollowerSort::kChannel: order = fmt::format("c.name {0}, s.started_at DESC, s.id DESC", dir); break;
    case domain::FollowerSort::kValue: order = fmt::format("value {0}, s.started_at DESC, s.id DESC", dir); break;
  }
  auto reader = readers_->lease();
  domain::FollowerPage page;
  {
    QRSCENE_ASSIGN_OR_RETURN(
        auto q, reader->prepare(fmt::format(
                    "SELECT COUNT(*) FROM subscriptions s JOIN channels c ON c.id = s.channel_id WHERE {}", all.sql)));
    bind_where(q, all, 1);
    QRSCENE_TRY(q.step());
    page.total = q.int64(0);
  }
  QRSCENE_ASSIGN_OR_RETURN(
      auto q,
      reader->prepare(fmt::format(
          "SELECT s.id, c.id, c.name, c.grp, c.owner, s.started_at, s.ended_at, s.openid_hash, "
          "NOT EXISTS (SELECT 1 FROM subscriptions p WHERE p.appid = s.appid AND p.openid_hash = s.openid_hash "
          "AND p.id < s.id), f.openid, f.unionid, f.tags, "
          "(SELECT COUNT(*) FROM conversions v WHERE v.appid = s.appid AND v.openid_hash = s.openid_hash), "
          "(SELECT COALESCE(SUM(CASE WHEN v.value_cents > 1000000000000 THEN 1000000000000 ELSE v.value_cents END), 0) "
          "FROM conversions v WHERE v.appid = s.appid AND "
          "v.openid_hash = s.openid_hash AND v.currency = ?) AS value "
          "FROM subscriptions s JOIN channels c ON c.id = s.channel_id "
          "LEFT JOIN followers f ON s.ended_at IS NULL AND f.appid = s.appid AND f.openid_hash = s.openid_hash "
          "WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
          all.sql, order)));
  q.bind(1, query.currency);
  const int next = bind_where(q, all, 2);
  q.bind(next, query.limit).bind(next + 1, query.offset);
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    domain::FollowerRow r;
    r.follow_id = q.int64(0);
    r.channel_id = q.int64(1);
    r.channel = q.text(2);
    r.group = q.text(3);
    r.owner = q.text(4);
    r.followed_at = q.int64(5);
    if (!q.is_null(6)) r.left_at = q.int64(6);
    r.pseudonym = q.text(7);
    // privacy "delete" unlinked the rows: no pseudonym, and no telling a first follow from a re-follow
    if (r.pseudonym.starts_with("gone:")) r.pseudonym.clear();
    r.first_follow = q.int64(8) != 0;
    if (!q.is_null(9)) {
      r.openid = q.text(9);
      r.unionid = q.text(10);
      r.tags = tag_names(q.text(11));
    }
    r.conversions = q.int64(12);
    r.value_cents = q.int64(13);
    page.rows.push_back(std::move(r));
  }
  return page;
}

Status SqlStore::set_follower_profiles(std::string_view appid, std::span<const domain::FollowerProfile> profiles,
                                          std::int64_t now) {
  catch_up_for_read();  // the follower's row comes from the projector
  auto reader = readers_->lease();
  return in_transaction(*reader, [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(
        auto u, reader->prepare("UPDATE followers SET unionid = ?, tags = ?, profiled_at = ? WHERE appid = ? AND openid = ?"));
    for (const auto& p : profiles) {
      u.reset();
      QRSCENE_TRY(u.bind(1, p.unionid).bind(2, Json(p.tags).dump()).bind(3, now).bind(4, appid).bind(5, p.openid).run());
    }
    return {};
  });
}

Result<domain::RecordedConversion> SqlStore::record_conversion(const domain::ConversionInput& input,
                                                                  std::int64_t now) {
  catch_up_for_read();
  const bool by_openid = !input.openid.empty();
  const std::string subject = by_openid ? pseudonym(input.appid, input.openid)
                                        : pseudonym(input.appid, "unionid:" + input.unionid);
  auto reader = readers_->lease();
  domain::RecordedConversion out;
  out.input = input;
  auto touch = [](const Statement& q, int column, std::optional<domain::TouchPoint>& point) {
    if (!q.is_null(column)) point = domain::TouchPoint{q.int64(column), q.int64(column + 1)};
  };
  auto body = [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(auto seen, reader->prepare(
                                            "SELECT id, kind, value_cents, currency, occurred_at, subject_hash, "
                                            "openid_hash, first_channel_id, first_touch_at, last_channel_id, "
                                            "last_touch_at FROM conversions WHERE appid = ? AND external_id = ?"));
    seen.bind(1, input.appid).bind(2, input.external_id);
    QRSCENE_ASSIGN_OR_RETURN(bool found, seen.step());
    if (found) {
      if (seen.text(1) != input.kind || seen.int64(2) != input.value_cents || seen.text(3) != input.currency ||
          seen.int64(4) != input.occurred_at || seen.text(5) != subject) {
        return unexpected(ErrorCode::kAlreadyExists,
                          fmt::format("external_id: '{}' was recorded with other values (kind, value, currency, time "
                                      "or person); a new conversion needs a new external id",
                                      input.external_id));
      }
      out.id = seen.int64(0);
      out.duplicate = true;
      out.known_person = !seen.text(6).empty();
      touch(seen, 7, out.first_touch);
      touch(seen, 9, out.last_touch);
      return {};
    }
    std::string person;
    if (by_openid) {
      person = subject;
    } else {
      QRSCENE_ASSIGN_OR_RETURN(
          auto f, reader->prepare("SELECT openid_hash FROM followers WHERE appid = ? AND unionid = ? LIMIT 1"));
      f.bind(1, input.appid).bind(2, input.unionid);
      QRSCENE_ASSIGN_OR_RETURN(bool row, f.step());
      if (row) person = f.text(0);
    }
    if (!person.empty()) {
      QRSCENE_ASSIGN_OR_RETURN(
          auto first, reader->prepare("SELECT channel_id, started_at FROM subscriptions WHERE appid = ? AND "
                                       "openid_hash = ? AND channel_id IS NOT NULL AND started_at <= ? "
                                       "ORDER BY started_at, id LIMIT 1"));
      first.bind(1, input.appid).bind(2, person).bind(3, input.occurred_at);
      QRSCENE_ASSIGN_OR_RETURN(bool has_first, first.step());
      if (has_first) touch(first, 0, out.first_touch);
      QRSCENE_ASSIGN_OR_RETURN(
          // By the prefix index (migration 12), in a subquery: SQLite would otherwise put the hash
          // for the column in the prefix's expression and read every event.
          auto last, reader->prepare("SELECT channel_id, create_time FROM events WHERE id IN (SELECT id FROM events "
                                      "WHERE substr(openid_hash, 1, 8) = substr(?, 1, 8)) AND openid_hash = ? "
                                      "AND channel_id IS NOT NULL AND kind IN ('subscribe', 'scan') AND "
                                      "create_time <= ? ORDER BY create_time DESC, id DESC LIMIT 1"));
      last.bind(1, person).bind(2, person).bind(3, input.occurred_at);
      QRSCENE_ASSIGN_OR_RETURN(bool has_last, last.step());
      if (has_last) touch(last, 0, out.last_touch);
      QRSCENE_ASSIGN_OR_RETURN(
          auto known, reader->prepare("SELECT 1 FROM subscriptions WHERE appid = ? AND openid_hash = ? LIMIT 1"));
      known.bind(1, input.appid).bind(2, person);
      QRSCENE_ASSIGN_OR_RETURN(out.known_person, known.step());
    }
    QRSCENE_ASSIGN_OR_RETURN(
        auto ins, reader->prepare("INSERT INTO conversions (appid, external_id, kind, value_cents, currency, "
                                   "occurred_at, identified_by, subject_hash, openid_hash, first_channel_id, "
                                   "first_touch_at, last_channel_id, last_touch_at, received_at) VALUES "
                                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    auto channel = [](const std::optional<domain::TouchPoint>& p) {
      return p ? std::optional<std::int64_t>(p->channel_id) : std::nullopt;
    };
    ins.bind(1, input.appid)
        .bind(2, input.external_id)
        .bind(3, input.kind)
        .bind(4, input.value_cents)
        .bind(5, input.currency)
        .bind(6, input.occurred_at)
        .bind(7, by_openid ? "openid" : "unionid")
        .bind(8, subject)
        .bind(9, person)
        .bind(10, channel(out.first_touch))
        .bind(11, out.first_touch ? out.first_touch->at : 0)
        .bind(12, channel(out.last_touch))
        .bind(13, out.last_touch ? out.last_touch->at : 0)
        .bind(14, now);
    QRSCENE_TRY(ins.step());
    out.id = ins.int64(0);
    ins.reset();
    return {};
  };
  QRSCENE_TRY(in_transaction(*reader, body));
  return out;
}

Result<std::vector<domain::CreditedConversion>> SqlStore::credited_conversions(
    const domain::ChannelFilter& filter, domain::Breakdown by, domain::Touch touch, std::string_view currency,
    std::int64_t from, std::int64_t to) {
  catch_up_for_read();
  const bool account = filter.whole_account();
  const Where w = account ? Where{"1 = 1", {}} : channel_where(filter);
  const std::string_view prefix = touch == domain::Touch::kFirst ? "first" : "last";
  const char* key = by == domain::Breakdown::kChannel ? "c.name" : by == domain::Breakdown::kGroup ? "c.grp" : "c.owner";
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(
      auto q, reader->prepare(fmt::format(
                  "SELECT c.id IS NOT NULL, COALESCE({0}, ''), COALESCE(c.id, 0), v.openid_hash, v.occurred_at, "
                  "v.{1}_touch_at, v.value_cents FROM conversions v LEFT JOIN channels c ON c.id = v.{1}_channel_id "
                  "WHERE v.appid = ? AND v.currency = ? AND v.occurred_at >= ? AND v.occurred_at < ? AND {2} "
                  "ORDER BY v.occurred_at, v.id",
                  key, prefix, w.sql)));
  q.bind(1, filter.appid).bind(2, currency).bind(3, from).bind(4, to);
  bind_where(q, w, 5);
  std::vector<domain::CreditedConversion> out;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    domain::CreditedConversion c;
    c.attributed = q.int64(0) != 0;
    c.key = q.text(1);
    c.channel_id = by == domain::Breakdown::kChannel ? q.int64(2) : 0;
    c.person = q.text(3);
    c.occurred_at = q.int64(4);
    c.touch_at = c.attributed ? q.int64(5) : 0;
    c.value_cents = q.int64(6);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace qrscene::store
