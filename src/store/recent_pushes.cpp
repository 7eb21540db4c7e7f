#include "store/recent_pushes.h"

#include <absl/container/flat_hash_map.h>

#include <functional>

namespace qrscene::store {

struct RecentPushes::Index {
  absl::flat_hash_map<std::uint64_t, std::int64_t> ids;
};

RecentPushes::RecentPushes(Limits limits) : limits_(limits), ids_(std::make_unique<Index>()) {}
RecentPushes::~RecentPushes() = default;
RecentPushes::RecentPushes(RecentPushes&&) noexcept = default;
RecentPushes& RecentPushes::operator=(RecentPushes&&) noexcept = default;

std::uint64_t RecentPushes::hash_of(std::string_view appid, std::string_view dedup_key) {
  // The dedup key is already a keyed hash (after its CreateTime): any 64 bits of it tell pushes
  // apart. A collision (odds of about 3 in 10^8 over a full window) costs a retry of the second
  // push logged again, applied once all the same.
  const std::uint64_t a = std::hash<std::string_view>{}(appid);
  const std::uint64_t k = std::hash<std::string_view>{}(dedup_key);
  return k ^ (a + 0x9e3779b97f4a7c15ULL + (k << 6) + (k >> 2));
}

std::optional<std::int64_t> RecentPushes::find(std::string_view appid, std::string_view dedup_key) const {
  const auto it = ids_->ids.find(hash_of(appid, dedup_key));
  if (it == ids_->ids.end()) return std::nullopt;
  return it->second;
}

void RecentPushes::add(std::string_view appid, std::string_view dedup_key, std::int64_t id,
                       std::int64_t received_at) {
  // The old ones go first: a key logged again after its window is remembered under its new id.
  while (!order_.empty() && (order_.size() >= limits_.max_entries ||
                             order_.front().received_at < received_at - limits_.window_seconds)) {
    const Entry& old = order_.front();
    if (auto it = ids_->ids.find(old.hash); it != ids_->ids.end() && it->second == old.id) ids_->ids.erase(it);
    order_.pop_front();
  }
  if (limits_.max_entries == 0) return;
  const std::uint64_t h = hash_of(appid, dedup_key);
  ids_->ids.try_emplace(h, id);  // a live entry of the same hash is the first copy's: kept
  order_.push_back(Entry{received_at, h, id});
}

}  // namespace qrscene::store
