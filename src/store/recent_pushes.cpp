#include "store/recent_pushes.h"

#include <functional>

namespace qrscene::store {

std::uint64_t RecentPushes::hash_of(std::string_view appid, std::string_view dedup_key) {
  // The dedup key is already a keyed hash (after its CreateTime): any 64 bits of it tell pushes
  // apart; a collision costs one extra read, never a wrong answer.
  const std::uint64_t a = std::hash<std::string_view>{}(appid);
  const std::uint64_t k = std::hash<std::string_view>{}(dedup_key);
  return k ^ (a + 0x9e3779b97f4a7c15ULL + (k << 6) + (k >> 2));
}

std::vector<std::int64_t> RecentPushes::candidates(std::string_view appid, std::string_view dedup_key) const {
  std::vector<std::int64_t> out;
  auto [from, to] = ids_.equal_range(hash_of(appid, dedup_key));
  for (auto it = from; it != to; ++it) out.push_back(it->second);
  return out;
}

void RecentPushes::add(std::string_view appid, std::string_view dedup_key, std::int64_t id,
                       std::int64_t received_at) {
  const std::uint64_t h = hash_of(appid, dedup_key);
  ids_.emplace(h, id);
  order_.push_back(Entry{received_at, h, id});
  while (!order_.empty() && (order_.size() > limits_.max_entries ||
                             order_.front().received_at < received_at - limits_.window_seconds)) {
    const Entry& old = order_.front();
    auto [from, to] = ids_.equal_range(old.hash);
    for (auto it = from; it != to; ++it) {
      if (it->second == old.id) {
        ids_.erase(it);
        break;
      }
    }
    order_.pop_front();
  }
}

}  // namespace qrscene::store
