#include "sim/fission.h"

#include "qr/qr_code.h"

namespace qrscene::sim {

std::int64_t FissionModel::invites_counted() const {
  std::int64_t n = 0;
  for (const auto& [openid, p] : people) n += p.follows - p.leaves;
  return n;
}

std::int64_t FissionModel::invites_taken_back() const {
  std::int64_t n = 0;
  for (const auto& [openid, p] : people) n += p.leaves;
  return n;
}

std::map<int, std::int64_t> FissionModel::rewards(const std::vector<int>& tiers) const {
  std::map<int, std::int64_t> out;
  for (int t : tiers) out[t] = 0;
  for (const auto& [openid, p] : people) {
    for (int t : tiers) out[t] += p.follows >= t ? 1 : 0;
  }
  return out;
}

std::map<int, std::int64_t> FissionModel::generations() const {
  std::map<int, std::int64_t> out;
  for (const auto& [openid, p] : people) ++out[p.generation];
  return out;
}

Fission::Fission(Simulator& simulator, FissionOptions options)
    : sim_(simulator), options_(std::move(options)), rng_(options_.seed) {}

Result<int> Fission::join() {
  QRSCENE_ASSIGN_OR_RETURN(auto users, sim_.platform().create_users(options_.appid, options_.seeds));
  for (const auto& u : users) {
    QRSCENE_TRY(sim_.act(sim_.platform().follow(options_.appid, u.openid, "")));
    QRSCENE_TRY(sim_.act(sim_.platform().text(options_.appid, u.openid, options_.keyword)));
    model_.people[u.openid] = FissionModel::Person{};
  }
  return static_cast<int>(users.size());
}

Result<std::string> Fission::poster_of(const std::string& openid) {
  const auto received = sim_.platform().received(options_.appid, openid);
  for (auto m = received.rbegin(); m != received.rend(); ++m) {
    if (m->message.value("msgtype", "") != "image" || !m->media) continue;
    // Each poster is looked at once, however often the user's inbox is.
    if (auto known = decoded_.find(m->media.get()); known != decoded_.end()) return known->second;
    ++model_.posters_seen;
    auto gray = qr::decode_image(*m->media);
    if (!gray) return gray.error();
    auto urls = qr::scan(*gray);
    std::string url;
    if (!urls || urls->size() != 1) {
      ++model_.undecodable;
    } else {
      url = urls->front();
    }
    decoded_.emplace(m->media.get(), url);
    return url;
  }
  return std::string();
}

Result<int> Fission::share() {
  int scanned = 0;
  // Who shares this round: participants with a poster, not shared yet, below the last generation.
  std::vector<std::string> sharers;
  for (const auto& [openid, p] : model_.people) {
    if (!p.left && p.generation < options_.max_generation && !shared_.contains(openid)) sharers.push_back(openid);
  }
  for (const auto& openid : sharers) {
    QRSCENE_ASSIGN_OR_RETURN(const std::string url, poster_of(openid));
    if (url.empty()) continue;  // no poster yet: shared in a later round
    shared_.insert(openid);
    const int friends = static_cast<int>(rng_.below(static_cast<std::uint64_t>(options_.max_friends) + 1));
    if (friends == 0) continue;
    QRSCENE_ASSIGN_OR_RETURN(auto users, sim_.platform().create_users(options_.appid, friends));
    for (const auto& u : users) {
      const bool follows = rng_.unit() < options_.follow_probability;
      ++model_.scans;
      ++scanned;
      QRSCENE_TRY(sim_.act(sim_.platform().scan(options_.appid, u.openid, url, follows)));
      if (!follows) continue;
      auto& inviter = model_.people[openid];
      ++inviter.follows;
      model_.people[u.openid] = FissionModel::Person{inviter.generation + 1, openid, 0, 0, false};
      friends_.push_back(u.openid);
    }
  }
  return scanned;
}

bool Fission::waiting() const {
  for (const auto& [openid, p] : model_.people) {
    if (!p.left && p.generation < options_.max_generation && !shared_.contains(openid)) return true;
  }
  return false;
}

Result<int> Fission::leave() {
  int left = 0;
  for (const auto& openid : friends_) {
    if (rng_.unit() >= options_.leave_probability) continue;
    QRSCENE_TRY(sim_.act(sim_.platform().unfollow(options_.appid, openid)));
    auto& p = model_.people[openid];
    p.left = true;
    ++model_.people[p.invited_by].leaves;
    ++left;
  }
  return left;
}

}  // namespace qrscene::sim
