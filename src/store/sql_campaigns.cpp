// SqlStore's fission campaigns (domain::CampaignRepository): the campaigns, their participants and
// rewards as the API and the jobs read and change them. Joins, invites and take-backs are the
// projector's (store/campaign_step.h). A campaign written bumps the directory's version, so every
// instance answers its triggers at once.
#include <fmt/format.h>

#include <functional>
#include <type_traits>
#include <initializer_list>

#include "base/encoding.h"
#include "store/campaign_codec.h"
#include "store/campaign_step.h"
#include "store/sql_store.h"

namespace qrscene::store {
namespace {

// A renewal queued is not queued again for this long (WeChat may be refusing it meanwhile).
constexpr std::int64_t kRenewAgainSeconds = 6 * 3600;

constexpr std::string_view kCampaignColumns =
    "SELECT id, appid, name, starts_at, ends_at, status, spec, created_at FROM campaigns ";

Result<domain::Campaign> read_campaign(const Statement& q) {
  domain::Campaign c;
  c.id = q.int64(0);
  c.appid = q.text(1);
  c.name = q.text(2);
  c.starts_at = q.int64(3);
  c.ends_at = q.int64(4);
  c.status = q.text(5);
  QRSCENE_TRY(decode_campaign_spec(q.text(6), c));
  c.created_at = q.int64(7);
  return c;
}

constexpr std::string_view kParticipantColumns =
    "SELECT id, campaign_id, appid, openid, joined_at, last_seen_at, invited_by, generation, counted, taken_back, "
    "rewarded_invites, scene, ticket, url, code_expires_at, media_id, media_expires_at, posters_sent, left_at "
    "FROM campaign_participants ";

domain::Participant read_participant(const Statement& q) {
  domain::Participant p;
  p.id = q.int64(0);
  p.campaign_id = q.int64(1);
  p.appid = q.text(2);
  p.openid = q.text(3);
  p.joined_at = q.int64(4);
  p.last_seen_at = q.int64(5);
  p.invited_by = q.int64(6);
  p.generation = static_cast<int>(q.int64(7));
  p.counted = static_cast<int>(q.int64(8));
  p.taken_back = static_cast<int>(q.int64(9));
  p.rewarded_invites = static_cast<int>(q.int64(10));
  p.scene = q.text(11);
  p.ticket = q.text(12);
  p.url = q.text(13);
  p.code_expires_at = q.int64(14);
  p.media_id = q.text(15);
  p.media_expires_at = q.int64(16);
  p.posters_sent = q.int64(17);
  p.left_at = q.int64(18);
  return p;
}

constexpr std::string_view kRewardColumns =
    "SELECT r.id, r.campaign_id, r.participant_id, p.openid, COALESCE(f.unionid, ''), r.tier_invites, "
    "r.reward_code, r.reward_text, r.granted_at, r.state, r.error, r.updated_at FROM campaign_rewards r "
    "JOIN campaign_participants p ON p.id = r.participant_id "
    "LEFT JOIN followers f ON f.appid = p.appid AND f.openid = p.openid AND p.openid <> '' ";

domain::CampaignReward read_reward(const Statement& q) {
  domain::CampaignReward r;
  r.id = q.int64(0);
  r.campaign_id = q.int64(1);
  r.participant_id = q.int64(2);
  r.openid = q.text(3);
  r.unionid = q.text(4);
  r.tier_invites = static_cast<int>(q.int64(5));
  r.reward_code = q.text(6);
  r.reward_text = q.text(7);
  r.granted_at = q.int64(8);
  r.state = q.text(9);
  r.error = q.text(10);
  r.updated_at = q.int64(11);
  return r;
}

// Every row `q` answers, each read by `read` (a T, or a Result<T> whose error stops the reading).
template <typename T, typename Read>
Result<std::vector<T>> all_rows(Statement& q, Read read) {
  std::vector<T> out;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) break;
    if constexpr (std::is_same_v<std::invoke_result_t<Read, const Statement&>, T>) {
      out.push_back(read(q));
    } else {
      QRSCENE_ASSIGN_OR_RETURN(T r, read(q));
      out.push_back(std::move(r));
    }
  }
  return out;
}

Status not_found(std::string_view what, std::int64_t id) {
  return unexpected(ErrorCode::kNotFound, fmt::format("no {} {}", what, id));
}

}  // namespace

Result<std::vector<domain::Campaign>> load_campaigns(Database& db) {
  QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare(std::string(kCampaignColumns) + "ORDER BY id"));
  return all_rows<domain::Campaign>(q, read_campaign);
}

Result<domain::Campaign> SqlStore::create_campaign(domain::Campaign c, std::string background) {
  auto reader = readers_->lease();
  Database& db = *reader;
  c.created_at = clock_.unix_seconds();
  c.poster.has_background = !background.empty();
  const Status made = in_transaction(db, [&]() -> Status {
    // One account's campaigns are made one at a time (several instances: a key lock; SQLite: its
    // one writer), so that two at once cannot take the same keyword.
    if (!db.key_lock_sql().empty()) {
      QRSCENE_ASSIGN_OR_RETURN(auto lock, db.prepare(db.key_lock_sql()));
      QRSCENE_TRY(lock.bind(1, "campaigns:" + c.appid).run());
    }
    {
      QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare(std::string(kCampaignColumns) + "WHERE appid = ? AND status = "
                                                  "'active'"));
      q.bind(1, c.appid);
      QRSCENE_ASSIGN_OR_RETURN(auto others, all_rows<domain::Campaign>(q, read_campaign));
      if (auto clashes = domain::trigger_clashes(c, others); !clashes.empty()) {
        Error e = field_errors(std::move(clashes));
        e.code = ErrorCode::kAlreadyExists;
        return e;
      }
    }
    QRSCENE_ASSIGN_OR_RETURN(auto ins, db.prepare("INSERT INTO campaigns (appid, name, starts_at, ends_at, status, spec, "
                                                  "background, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                                                  "?) RETURNING id"));
    ins.bind(1, c.appid)
        .bind(2, c.name)
        .bind(3, c.starts_at)
        .bind(4, c.ends_at)
        .bind(5, c.status)
        .bind(6, encode_campaign_spec(c))
        .bind(7, encode_base64(background))
        .bind(8, c.created_at)
        .bind(9, c.created_at);
    QRSCENE_TRY(ins.step());
    c.id = ins.int64(0);
    ins.reset();
    return channels_changed(db);
  });
  if (!made) return made.error();
  directory_stale_.store(true);
  return c;
}

Result<domain::Campaign> SqlStore::campaign(std::int64_t id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(std::string(kCampaignColumns) + "WHERE id = ?"));
  q.bind(1, id);
  QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return not_found("campaign", id).error();
  return read_campaign(q);
}

Result<std::vector<domain::Campaign>> SqlStore::campaigns(std::string_view appid) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(std::string(kCampaignColumns) + "WHERE appid = ? ORDER BY id DESC"));
  q.bind(1, appid);
  return all_rows<domain::Campaign>(q, read_campaign);
}

Result<std::string> SqlStore::campaign_background(std::int64_t id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT background FROM campaigns WHERE id = ?"));
  q.bind(1, id);
  QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return not_found("campaign", id).error();
  return decode_base64(q.text(0));  // kept as text: both databases store it the same way
}

Status SqlStore::end_campaign(std::int64_t id) {
  auto reader = readers_->lease();
  Database& db = *reader;
  const Status ended = in_transaction(db, [&]() -> Status {
    QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("UPDATE campaigns SET status = 'ended', updated_at = ? WHERE id = ?"));
    QRSCENE_TRY(q.bind(1, clock_.unix_seconds()).bind(2, id).run());
    if (db.changes() != 1) return not_found("campaign", id);
    return channels_changed(db);
  });
  if (ended) directory_stale_.store(true);
  return ended;
}

Result<domain::Participant> SqlStore::participant(std::int64_t id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(std::string(kParticipantColumns) + "WHERE id = ?"));
  q.bind(1, id);
  QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return not_found("participant", id).error();
  return read_participant(q);
}

Result<std::vector<domain::Participant>> SqlStore::participants(std::int64_t campaign_id, std::size_t limit,
                                                                std::size_t offset) {
  catch_up_for_read();
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(std::string(kParticipantColumns) +
                                                   "WHERE campaign_id = ? ORDER BY counted DESC, id LIMIT ? OFFSET ?"));
  q.bind(1, campaign_id).bind(2, static_cast<std::int64_t>(limit)).bind(3, static_cast<std::int64_t>(offset));
  return all_rows<domain::Participant>(q, read_participant);
}

Status SqlStore::set_participant_code(std::int64_t id, std::string_view ticket, std::string_view url,
                                      std::int64_t expires_at) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("UPDATE campaign_participants SET ticket = ?, url = ?, "
                                                   "code_expires_at = ?, media_id = '', media_expires_at = 0 "
                                                   "WHERE id = ?"));
  return q.bind(1, ticket).bind(2, url).bind(3, expires_at).bind(4, id).run();
}

Status SqlStore::set_participant_media(std::int64_t id, std::string_view media_id, std::int64_t media_expires_at) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("UPDATE campaign_participants SET media_id = ?, "
                                                   "media_expires_at = ? WHERE id = ?"));
  return q.bind(1, media_id).bind(2, media_expires_at).bind(3, id).run();
}

Status SqlStore::poster_sent(std::int64_t id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("UPDATE campaign_participants SET posters_sent = posters_sent + 1 "
                                                   "WHERE id = ?"));
  return q.bind(1, id).run();
}

Result<std::vector<domain::Participant>> SqlStore::codes_to_renew(std::int64_t now, std::int64_t before,
                                                                  std::size_t limit) {
  auto reader = readers_->lease();
  Database& db = *reader;
  std::vector<domain::Participant> candidates;
  {
    // A code that ends with its campaign (its last days) is not renewed: it lives as long as needed.
    QRSCENE_ASSIGN_OR_RETURN(
        auto q, db.prepare(std::string(kParticipantColumns) +
                           "WHERE left_at = 0 AND ticket <> '' AND code_expires_at < ? AND renew_requested_at < ? AND "
                           "campaign_id IN (SELECT id FROM campaigns WHERE status = 'active' AND starts_at <= ? AND "
                           "ends_at > ?) AND code_expires_at < (SELECT ends_at FROM campaigns WHERE campaigns.id = "
                           "campaign_participants.campaign_id) ORDER BY code_expires_at LIMIT ?"));
    q.bind(1, before).bind(2, now - kRenewAgainSeconds).bind(3, now).bind(4, now).bind(5, static_cast<std::int64_t>(limit));
    QRSCENE_ASSIGN_OR_RETURN(candidates, all_rows<domain::Participant>(q, read_participant));
  }
  // Claimed one by one: of several instances sweeping at once, one queues each renewal.
  std::vector<domain::Participant> out;
  QRSCENE_ASSIGN_OR_RETURN(auto claim, db.prepare("UPDATE campaign_participants SET renew_requested_at = ? WHERE id = ? "
                                                  "AND renew_requested_at < ?"));
  for (auto& p : candidates) {
    claim.reset();
    QRSCENE_TRY(claim.bind(1, now).bind(2, p.id).bind(3, now - kRenewAgainSeconds).run());
    if (db.changes() == 1) out.push_back(std::move(p));
  }
  return out;
}

Result<domain::CampaignReward> SqlStore::campaign_reward(std::int64_t id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(std::string(kRewardColumns) + "WHERE r.id = ?"));
  q.bind(1, id);
  QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
  if (!row) return not_found("reward", id).error();
  return read_reward(q);
}

Result<std::vector<domain::CampaignReward>> SqlStore::campaign_rewards(std::int64_t campaign_id) {
  catch_up_for_read();
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare(std::string(kRewardColumns) +
                                                   "WHERE r.campaign_id = ? ORDER BY r.id DESC"));
  q.bind(1, campaign_id);
  return all_rows<domain::CampaignReward>(q, read_reward);
}

Status SqlStore::set_reward_state(std::int64_t id, std::string_view state, std::string_view error, std::int64_t at) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("UPDATE campaign_rewards SET state = ?, error = ?, updated_at = ? "
                                                   "WHERE id = ?"));
  return q.bind(1, state).bind(2, error).bind(3, at).bind(4, id).run();
}

Result<domain::CampaignStats> SqlStore::campaign_stats(std::int64_t campaign_id, std::int64_t now) {
  catch_up_for_read();
  auto reader = readers_->lease();
  Database& db = *reader;
  domain::CampaignStats s;
  // Runs `sql` with the campaign's id as its first parameter and `more` after it.
  auto each = [&](std::string_view sql, const std::function<void(const Statement&)>& row_fn,
                  std::initializer_list<std::int64_t> more = {}) -> Status {
    QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare(sql));
    q.bind(1, campaign_id);
    int at = 2;
    for (std::int64_t v : more) q.bind(at++, v);
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      row_fn(q);
    }
    return {};
  };
  QRSCENE_TRY(each("SELECT generation, COUNT(*), SUM(CASE WHEN left_at <> 0 THEN 1 ELSE 0 END), SUM(posters_sent) "
                   "FROM campaign_participants WHERE campaign_id = ? GROUP BY generation",
                   [&](const Statement& q) {
                     s.participants_by_generation[static_cast<int>(q.int64(0))] = q.int64(1);
                     s.participants += q.int64(1);
                     s.participants_left += q.int64(2);
                     s.posters_sent += q.int64(3);
                   }));
  QRSCENE_TRY(each("SELECT outcome, SUM(CASE WHEN taken_back_at = 0 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN taken_back_at <> 0 THEN 1 ELSE 0 END) FROM campaign_invites WHERE campaign_id = ? "
                   "GROUP BY outcome",
                   [&](const Statement& q) {
                     if (q.text(0) == "counted") {
                       s.invites_counted = q.int64(1);
                       s.invites_taken_back = q.int64(2);
                     } else {
                       s.not_counted[q.text(0)] = q.int64(1) + q.int64(2);
                     }
                   }));
  QRSCENE_TRY(each("SELECT tier_invites, state, COUNT(*) FROM campaign_rewards WHERE campaign_id = ? "
                   "GROUP BY tier_invites, state",
                   [&](const Statement& q) {
                     auto& t = s.rewards_by_tier[static_cast<int>(q.int64(0))];
                     const std::string state = q.text(1);
                     t[0] += q.int64(2);
                     if (state == "delivered") t[1] += q.int64(2);
                     if (state == "failed") t[2] += q.int64(2);
                   }));
  // Counted invitees who followed at least 7 days ago, and of them those who did not leave within 7
  // days (the invite keeps when its friend left, whatever privacy unlinked since).
  constexpr std::int64_t kWeek = 7 * 86'400;
  QRSCENE_TRY(each("SELECT COUNT(*), COALESCE(SUM(CASE WHEN left_at = 0 OR left_at >= followed_at + 604800 THEN 1 "
                   "ELSE 0 END), 0) FROM campaign_invites WHERE campaign_id = ? AND outcome = 'counted' AND "
                   "followed_at <= ?",
                   [&](const Statement& q) {
                     s.retained_7d_base = q.int64(0);
                     s.retained_7d = q.int64(1);
                   },
                   {now - kWeek}));
  QRSCENE_TRY(each("SELECT COUNT(*) FROM campaign_invites WHERE campaign_id = ? AND outcome = 'counted' AND "
                   "left_at <> 0 AND left_at < followed_at + 600",
                   [&](const Statement& q) { s.quick_unfollows = q.int64(0); }));
  QRSCENE_TRY(each("SELECT COUNT(DISTINCT participant_id) FROM campaign_invites WHERE campaign_id = ? AND "
                   "outcome = 'over_hourly_cap'",
                   [&](const Statement& q) { s.capped_inviters = q.int64(0); }));
  // Chains one generation deep: 3 or more friends counted, none of whom invited anyone, though each
  // of them joined at least a day ago (a friend who just joined has not had the time).
  QRSCENE_TRY(each("SELECT COUNT(*) FROM campaign_participants p WHERE p.campaign_id = ? AND p.counted >= 3 AND NOT "
                   "EXISTS (SELECT 1 FROM campaign_participants c WHERE c.invited_by = p.id AND (c.counted > 0 OR "
                   "c.joined_at > ?)) AND EXISTS (SELECT 1 FROM campaign_participants c WHERE c.invited_by = p.id)",
                   [&](const Statement& q) { s.one_deep_inviters = q.int64(0); }, {now - 86'400}));
  QRSCENE_TRY(each("SELECT COUNT(*) FROM campaign_participants WHERE campaign_id = ? AND rewarded_invites > counted",
                   [&](const Statement& q) { s.rewarded_below_tier = q.int64(0); }));
  return s;
}

}  // namespace qrscene::store
