// The projector's step for fission campaigns (domain/campaign.h): inside the projector's batch
// transaction, one logged event at a time, in order. A trigger (or a friend's code) makes its sender
// a participant and asks for their poster; a follow through a participant's code is an invite,
// counted or not, and a counted one may grant tiers; an unfollow may take an invite back, and
// removes a participant's openid (the counts stay). Internal to store/.
// Thread safety: the projector's thread only; its statements belong to the projector's connection.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "domain/campaign.h"
#include "domain/jobs.h"
#include "store/database.h"

namespace qrscene::store {

// Every campaign, for the directory every instance keeps (their backgrounds left out).
[[nodiscard]] Result<std::vector<domain::Campaign>> load_campaigns(Database& db);

class CampaignStep {
 public:
  // A job the step asks for; `subject` is the follower it concerns ("" for none).
  struct Job {
    std::string appid;
    std::string subject;
    domain::JobPayload payload;
  };
  struct Options {
    bool reward_webhook = false;  // a campaign.reward webhook per granted tier ([jobs] webhook_url is set)
    bool unlink_on_unfollow = false;  // the follower's keyed hash goes too (StoreOptions)
  };

  static Result<CampaignStep> make(Database& db, Options options);

  // What the step knows of the event's follower.
  struct Follower {
    std::string who;             // the ledger's keyed hash
    std::string marker;          // the keyed hash of followed_markers (another key: links to nothing)
    bool followed_before = false;  // the ledger had a subscription of theirs before this event
  };

  // One event of the batch. `campaigns`: every campaign known (the directory's); `channel_id`: the
  // channel the event was credited to (0: none).
  [[nodiscard]] Status apply(std::span<const domain::Campaign> campaigns, const domain::Event& event,
                             const Follower& follower, std::int64_t channel_id, std::vector<Job>& jobs);

  // Every statement done, so none keeps a read snapshot past the batch's transaction.
  void reset_all() {
    for (auto& st : statements_) st.reset();
  }

  // A keyword sent again within this many seconds asks for no second poster.
  static constexpr std::int64_t kPosterCooldownSeconds = 60;

 private:
  explicit CampaignStep(Options options) : options_(options) {}
  struct Inviter {
    std::int64_t id = 0;
    std::string openid;
    int generation = 1;
    int counted = 0;
    int rewarded_invites = 0;
  };
  Result<std::optional<Inviter>> participant(std::int64_t campaign_id, std::int64_t id);
  Status join(const domain::Campaign& c, const domain::Event& e, const std::string& who,
              std::optional<Inviter> inviter, std::vector<Job>& jobs);
  Status invite(const domain::Campaign& c, const domain::Event& e, const Follower& f, std::int64_t participant_id,
                std::vector<Job>& jobs);
  Status unfollow(std::span<const domain::Campaign> campaigns, const domain::Event& e, const Follower& f,
                  std::vector<Job>& jobs);

  enum Q : std::uint8_t {
    kSeen, kFindParticipant, kParticipantById, kInsertParticipant, kSetScene, kRejoin, kCountedThisHour,
    kInsertInvite, kCountInvite, kGranted, kInsertReward, kSetRewarded, kInvitesOf, kTakeBack, kUncount,
    kParticipantOf, kForgetParticipant, kUnlinkInvites, kMarkerSeen, kAddMarker, kInviteeLeft, kPosterAsked,
    kCount
  };
  Statement& q(Q which) {
    Statement& s = statements_[which];
    s.reset();
    return s;
  }

  Options options_;
  std::vector<Statement> statements_;  // by Q
};

}  // namespace qrscene::store
