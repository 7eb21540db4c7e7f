// A fission campaign's crowd (任务宝, issue 25): virtual participants who ask for a poster, receive
// it, and share it; friends who scan the shared poster (decoded from the image the participant
// received, as a phone would), follow with some probability, get posters of their own and share in
// turn; some friends leave again. The run keeps a model of what the users did — who followed
// through whose code, who left — and what a campaign with these tiers must show for it.
//
// The driver runs the rounds and lets the service work in between (its jobs send the posters):
//   Fission f(simulator, options);  f.join();  <service runs its jobs>
//   while (f.share() > 0) { <service runs its jobs> }
//   f.leave();  <service applies>
//
// The model assumes what the run makes true: every friend is a new user (a first-ever follow),
// invites per participant stay under the campaign's hourly cap, and friends leave within the
// campaign's keep time while it runs (so each leave is a take-back).
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace qrscene::sim {

struct FissionOptions {
  std::string appid;
  std::string keyword = "助力";     // what a seed participant sends
  int seeds = 12;                   // participants who start by the keyword
  int max_friends = 5;              // each sharer shows the poster to 0..max_friends friends
  double follow_probability = 0.5;  // a friend who scans follows
  double leave_probability = 0.1;   // a friend who followed leaves again (a take-back)
  int max_generation = 3;           // participants of this generation do not share
  std::uint64_t seed = 1;
};

// What the users did, and what follows from it for each participant (by openid).
struct FissionModel {
  struct Person {
    int generation = 1;
    std::string invited_by;  // "" for a seed
    int follows = 0;         // friends who followed through their code
    int leaves = 0;          // of them, who left again
    bool left = false;       // they left themselves
  };
  std::map<std::string, Person> people;
  std::int64_t posters_seen = 0;  // poster images the users received and looked at (each once)
  std::int64_t scans = 0;         // friends who scanned a poster
  std::int64_t undecodable = 0;   // posters that did not decode to one code (must stay 0)

  [[nodiscard]] std::int64_t participants() const { return static_cast<std::int64_t>(people.size()); }
  [[nodiscard]] std::int64_t invites_counted() const;
  [[nodiscard]] std::int64_t invites_taken_back() const;
  // Participants who reached each tier's invites (their running count's peak is their follows:
  // every leave comes after every follow).
  [[nodiscard]] std::map<int, std::int64_t> rewards(const std::vector<int>& tiers) const;
  [[nodiscard]] std::map<int, std::int64_t> generations() const;
};

class Fission {
 public:
  Fission(Simulator& simulator, FissionOptions options);

  // The seeds: new users who follow and send the keyword. The number of users who acted.
  [[nodiscard]] Result<int> join();
  // Every participant with a poster they have not shared yet (and below max_generation) shows it to
  // friends; each friend scans the poster's code and follows with follow_probability. The number
  // of friends who scanned (0: nothing more to share).
  [[nodiscard]] Result<int> share();
  // Some friends who followed leave again (leave_probability each). The number who left.
  [[nodiscard]] Result<int> leave();

  // Whether somebody who will share has no poster yet (the service is still making it).
  [[nodiscard]] bool waiting() const;

  [[nodiscard]] const FissionModel& model() const noexcept { return model_; }

 private:
  // The URL of the newest poster image `openid` received that they have not shared; "" if none.
  Result<std::string> poster_of(const std::string& openid);

  Simulator& sim_;
  FissionOptions options_;
  Rng rng_;
  FissionModel model_;
  std::set<std::string> shared_;  // participants who shared their poster
  std::map<const std::string*, std::string> decoded_;  // each poster image seen: the URL it holds ("": none)
  std::vector<std::string> friends_;  // who followed through a code, in order
};

}  // namespace qrscene::sim
