#include "store/campaign_step.h"

#include <fmt/format.h>

#include <algorithm>

namespace qrscene::store {
namespace {

constexpr std::int64_t kHour = 3600;

}  // namespace

Result<CampaignStep> CampaignStep::make(Database& db, Options options) {
  CampaignStep step(options);
  const std::pair<Q, std::string_view> sql[] = {
      {kSeen, "UPDATE campaign_participants SET last_seen_at = ? WHERE appid = ? AND who = ? AND left_at = 0 AND "
              "last_seen_at < ?"},
      {kFindParticipant, "SELECT id, left_at, poster_requested_at FROM campaign_participants WHERE campaign_id = ? "
                         "AND who = ?"},
      {kParticipantById, "SELECT id, openid, generation, counted, rewarded_invites FROM campaign_participants "
                         "WHERE campaign_id = ? AND id = ?"},
      {kInsertParticipant, "INSERT INTO campaign_participants (campaign_id, appid, who, openid, joined_at, "
                           "last_seen_at, invited_by, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"},
      {kSetScene, "UPDATE campaign_participants SET scene = ? WHERE id = ?"},
      {kRejoin, "UPDATE campaign_participants SET openid = ?, left_at = 0, last_seen_at = ? WHERE id = ?"},
      {kCountedThisHour, "SELECT COUNT(*) FROM campaign_invites WHERE participant_id = ? AND outcome = 'counted' "
                         "AND followed_at >= ? AND followed_at < ?"},
      {kInsertInvite, "INSERT INTO campaign_invites (campaign_id, participant_id, appid, invitee_who, followed_at, "
                      "outcome, position) VALUES (?, ?, ?, ?, ?, ?, ?)"},
      {kCountInvite, "UPDATE campaign_participants SET counted = counted + 1 WHERE id = ?"},
      {kGranted, "SELECT tier_invites FROM campaign_rewards WHERE participant_id = ?"},
      {kInsertReward, "INSERT INTO campaign_rewards (campaign_id, participant_id, tier_invites, reward_code, "
                      "reward_text, granted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"},
      {kSetRewarded, "UPDATE campaign_participants SET rewarded_invites = ? WHERE id = ? AND rewarded_invites < ?"},
      {kInvitesOf, "SELECT id, campaign_id, participant_id, followed_at, position FROM campaign_invites WHERE "
                   "appid = ? AND invitee_who = ? AND outcome = 'counted' AND taken_back_at = 0 ORDER BY id"},
      {kTakeBack, "UPDATE campaign_invites SET taken_back_at = ? WHERE id = ?"},
      {kUncount, "UPDATE campaign_participants SET counted = counted - 1, taken_back = taken_back + 1 WHERE id = ?"},
      {kParticipantOf, "SELECT id FROM campaign_participants WHERE appid = ? AND who = ? AND left_at = 0"},
      {kForgetParticipant, "UPDATE campaign_participants SET openid = '', left_at = ?, who = CASE WHEN ? = 1 THEN "
                           "'gone:' || CAST(id AS TEXT) ELSE who END WHERE id = ?"},
      {kUnlinkInvites, "UPDATE campaign_invites SET invitee_who = 'gone:' || CAST(id AS TEXT) WHERE appid = ? AND "
                       "invitee_who = ?"},
      {kMarkerSeen, "SELECT 1 FROM followed_markers WHERE appid = ? AND marker = ?"},
      {kAddMarker, "INSERT INTO followed_markers (appid, marker) VALUES (?, ?) ON CONFLICT DO NOTHING"},
      {kInviteeLeft, "UPDATE campaign_invites SET left_at = ? WHERE appid = ? AND invitee_who = ? AND left_at = 0"},
      {kPosterAsked, "UPDATE campaign_participants SET poster_requested_at = ? WHERE id = ?"},
  };
  for (const auto& [which, text] : sql) {
    if (step.statements_.size() != which) return unexpected(ErrorCode::kInternal, "campaign statements out of order");
    QRSCENE_ASSIGN_OR_RETURN(auto s, db.prepare(text));
    step.statements_.push_back(std::move(s));
  }
  return step;
}

Result<std::optional<CampaignStep::Inviter>> CampaignStep::participant(std::int64_t campaign_id, std::int64_t id) {
  Statement& s = q(kParticipantById);
  s.bind(1, campaign_id).bind(2, id);
  QRSCENE_ASSIGN_OR_RETURN(bool row, s.step());
  std::optional<Inviter> out;
  if (row) {
    out = Inviter{s.int64(0), s.text(1), static_cast<int>(s.int64(2)), static_cast<int>(s.int64(3)),
                  static_cast<int>(s.int64(4))};
  }
  s.reset();
  return out;
}

Status CampaignStep::apply(std::span<const domain::Campaign> campaigns, const domain::Event& e, const Follower& f,
                           std::int64_t channel_id, std::vector<Job>& jobs) {
  if (e.kind == domain::EventKind::kUnsubscribe) return unfollow(campaigns, e, f, jobs);
  // Any message, click, scan or follow opens WeChat's customer-service window again.
  {
    Statement& s = q(kSeen);
    QRSCENE_TRY(s.bind(1, e.create_time).bind(2, e.appid).bind(3, f.who).bind(4, e.create_time).run());
  }
  // A follow through a participant's code is recorded whether the campaign runs or not (an invite
  // after its end is outside_window).
  std::optional<Inviter> inviter;
  const domain::Campaign* named = domain::campaign_of_scene(campaigns, e);
  if (named != nullptr) {
    const auto ids = domain::parse_invite_scene(e.scene);
    QRSCENE_ASSIGN_OR_RETURN(inviter, participant(named->id, ids->participant_id));
    if (inviter && e.kind == domain::EventKind::kSubscribe) QRSCENE_TRY(invite(*named, e, f, inviter->id, jobs));
  }
  const domain::Campaign* joined = domain::campaign_joined(campaigns, e, channel_id);
  if (joined == nullptr) return {};
  // Brought by a participant of this campaign (not by their own code): the next generation.
  std::optional<Inviter> by;
  if (joined == named && inviter && inviter->openid != e.openid) by = inviter;
  return join(*joined, e, f.who, by, jobs);
}

Status CampaignStep::join(const domain::Campaign& c, const domain::Event& e, const std::string& who,
                          std::optional<Inviter> inviter, std::vector<Job>& jobs) {
  std::int64_t id = 0;
  std::int64_t asked_at = 0;
  {
    Statement& s = q(kFindParticipant);
    s.bind(1, c.id).bind(2, who);
    QRSCENE_ASSIGN_OR_RETURN(bool row, s.step());
    const bool left = row && s.int64(1) != 0;
    if (row) {
      id = s.int64(0);
      asked_at = s.int64(2);
    }
    s.reset();
    if (left) {
      QRSCENE_TRY(q(kRejoin).bind(1, e.openid).bind(2, e.create_time).bind(3, id).run());
      asked_at = 0;
    }
  }
  if (id == 0) {
    Statement& s = q(kInsertParticipant);
    s.bind(1, c.id)
        .bind(2, e.appid)
        .bind(3, who)
        .bind(4, e.openid)
        .bind(5, e.create_time)
        .bind(6, e.create_time)
        .bind(7, inviter ? inviter->id : 0)
        .bind(8, inviter ? inviter->generation + 1 : 1);
    QRSCENE_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return unexpected(ErrorCode::kInternal, "a new participant returned no id");
    id = s.int64(0);
    s.reset();
    QRSCENE_TRY(q(kSetScene).bind(1, domain::invite_scene({c.id, id})).bind(2, id).run());
  }
  // Asked again (a keyword sent twice): the same poster again, made anew only when it must be; not
  // twice within a minute (a keyword sent in a burst costs one poster).
  if (asked_at != 0 && e.create_time - asked_at < kPosterCooldownSeconds) return {};
  QRSCENE_TRY(q(kPosterAsked).bind(1, e.create_time).bind(2, id).run());
  jobs.push_back(Job{e.appid, who, domain::CampaignPosterJob{c.id, id}});
  return {};
}

Status CampaignStep::invite(const domain::Campaign& c, const domain::Event& e, const Follower& f,
                            std::int64_t participant_id, std::vector<Job>& jobs) {
  QRSCENE_ASSIGN_OR_RETURN(auto inviter, participant(c.id, participant_id));
  if (!inviter) return {};
  const std::string& who = f.who;
  domain::InviteFacts facts;
  facts.followed_at = e.create_time;
  facts.invitee_openid = e.openid;
  facts.invitee_followed_before = f.followed_before;
  if (!facts.invitee_followed_before) {
    // Seen leaving before (the ledger may not know: privacy "delete", or a follower from before us).
    Statement& s = q(kMarkerSeen);
    s.bind(1, e.appid).bind(2, f.marker);
    QRSCENE_ASSIGN_OR_RETURN(bool seen, s.step());
    s.reset();
    facts.invitee_followed_before = seen;
  }
  facts.inviter_openid = inviter->openid;
  {
    const std::int64_t hour = e.create_time - ((e.create_time % kHour) + kHour) % kHour;
    Statement& s = q(kCountedThisHour);
    s.bind(1, inviter->id).bind(2, hour).bind(3, hour + kHour);
    QRSCENE_ASSIGN_OR_RETURN(bool row, s.step());
    facts.inviter_counted_this_hour = row ? static_cast<int>(s.int64(0)) : 0;
    s.reset();
  }
  const domain::InviteOutcome outcome = domain::decide_invite(c, facts);
  const bool counted = outcome == domain::InviteOutcome::kCounted;
  const int count = inviter->counted + (counted ? 1 : 0);
  QRSCENE_TRY(q(kInsertInvite)
                  .bind(1, c.id)
                  .bind(2, inviter->id)
                  .bind(3, e.appid)
                  .bind(4, who)
                  .bind(5, e.create_time)
                  .bind(6, domain::to_string(outcome))
                  .bind(7, counted ? count : 0)
                  .run());
  if (!counted) return {};
  QRSCENE_TRY(q(kCountInvite).bind(1, inviter->id).run());
  std::vector<int> granted;
  {
    Statement& s = q(kGranted);
    s.bind(1, inviter->id);
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      granted.push_back(static_cast<int>(s.int64(0)));
    }
    s.reset();
  }
  // Messages to the inviter name no follower: the runner finds their openid gone, should they leave.
  const auto tiers = domain::tiers_to_grant(c, count, granted);
  for (const auto& tier : tiers) {
    Statement& s = q(kInsertReward);
    s.bind(1, c.id)
        .bind(2, inviter->id)
        .bind(3, tier.invites)
        .bind(4, tier.reward_code)
        .bind(5, tier.reward_text)
        .bind(6, e.create_time)
        .bind(7, e.create_time);
    QRSCENE_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return unexpected(ErrorCode::kInternal, "a new reward returned no id");
    const std::int64_t reward_id = s.int64(0);
    s.reset();
    QRSCENE_TRY(q(kSetRewarded).bind(1, tier.invites).bind(2, inviter->id).bind(3, tier.invites).run());
    jobs.push_back(Job{e.appid, "", domain::CampaignMessageJob{c.id, inviter->id, domain::reward_text(c, tier, count),
                                                               count, tier.reward_text, reward_id}});
    if (options_.reward_webhook) jobs.push_back(Job{e.appid, "", domain::CampaignRewardJob{reward_id}});
  }
  if (tiers.empty()) {
    jobs.push_back(Job{e.appid, "", domain::CampaignMessageJob{c.id, inviter->id, domain::progress_text(c, count, false),
                                                               count, "", 0}});
  }
  return {};
}

Status CampaignStep::unfollow(std::span<const domain::Campaign> campaigns, const domain::Event& e, const Follower& f,
                              std::vector<Job>& jobs) {
  const std::string& who = f.who;
  QRSCENE_TRY(q(kAddMarker).bind(1, e.appid).bind(2, f.marker).run());
  QRSCENE_TRY(q(kInviteeLeft).bind(1, e.create_time).bind(2, e.appid).bind(3, who).run());
  struct Counted {
    std::int64_t id, campaign_id, participant_id, followed_at;
    int position;
  };
  std::vector<Counted> invites;
  {
    Statement& s = q(kInvitesOf);
    s.bind(1, e.appid).bind(2, who);
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      invites.push_back({s.int64(0), s.int64(1), s.int64(2), s.int64(3), static_cast<int>(s.int64(4))});
    }
    s.reset();
  }
  for (const auto& i : invites) {
    const auto c = std::find_if(campaigns.begin(), campaigns.end(),
                                [&](const domain::Campaign& x) { return x.id == i.campaign_id; });
    if (c == campaigns.end()) continue;
    QRSCENE_ASSIGN_OR_RETURN(auto inviter, participant(c->id, i.participant_id));
    if (!inviter || !domain::takes_back(*c, i.followed_at, e.create_time, i.position, inviter->rewarded_invites)) {
      continue;
    }
    QRSCENE_TRY(q(kTakeBack).bind(1, e.create_time).bind(2, i.id).run());
    QRSCENE_TRY(q(kUncount).bind(1, inviter->id).run());
    const int count = inviter->counted - 1;
    jobs.push_back(Job{e.appid, "", domain::CampaignMessageJob{c->id, inviter->id, domain::progress_text(*c, count, true),
                                                               count, "", 0}});
  }
  // A participant who leaves: their openid goes (and with unlink_on_unfollow their keyed hash);
  // their counts, invites and rewards stay.
  std::vector<std::int64_t> theirs;
  {
    Statement& s = q(kParticipantOf);
    s.bind(1, e.appid).bind(2, who);
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      theirs.push_back(s.int64(0));
    }
    s.reset();
  }
  for (std::int64_t id : theirs) {
    QRSCENE_TRY(q(kForgetParticipant)
                    .bind(1, e.create_time)
                    .bind(2, std::int64_t{options_.unlink_on_unfollow ? 1 : 0})
                    .bind(3, id)
                    .run());
  }
  if (options_.unlink_on_unfollow) QRSCENE_TRY(q(kUnlinkInvites).bind(1, e.appid).bind(2, who).run());
  return {};
}

}  // namespace qrscene::store
