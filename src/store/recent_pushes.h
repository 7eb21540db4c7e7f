#pragma once

// The pushes one writer appended lately, by dedup key (DESIGN.md §3): where the log's dedup key
// has no unique index (SQLite, one instance), WeChat's retries are found here instead. A retry
// comes within WeChat's horizon (5 s per try, at most four tries), so a window of minutes
// finds every one; a copy from further back is logged again and applied once all the same
// (the projector skips a key it has applied).

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>

namespace qrscene::store {

class RecentPushes {
 public:
  struct Limits {
    std::int64_t window_seconds = 120;  // how long a push is remembered…
    std::size_t max_entries = 1 << 20;  // …unless more than this many came since (memory: ~60 MB)
  };
  explicit RecentPushes(Limits limits);
  RecentPushes() : RecentPushes(Limits{}) {}
  ~RecentPushes();
  RecentPushes(RecentPushes&&) noexcept;
  RecentPushes& operator=(RecentPushes&&) noexcept;

  // The log id of the push remembered under this one's key hash, if any: the caller reads the row
  // to see whether it is the same push. Two keys of one 64-bit hash (never seen, but possible)
  // keep the first: a copy of the second is then logged again, and applied once all the same.
  [[nodiscard]] std::optional<std::int64_t> find(std::string_view appid, std::string_view dedup_key) const;
  // Remembers an appended push; forgets those older than the window (received_at: unix seconds).
  void add(std::string_view appid, std::string_view dedup_key, std::int64_t id, std::int64_t received_at);
  [[nodiscard]] std::size_t size() const noexcept { return order_.size(); }
  [[nodiscard]] const Limits& limits() const noexcept { return limits_; }

 private:
  struct Entry {
    std::int64_t received_at;
    std::uint64_t hash;
    std::int64_t id;
  };
  struct Index;  // hash → id, open addressing (Abseil's flat_hash_map): one probe, no node per push
  [[nodiscard]] static std::uint64_t hash_of(std::string_view appid, std::string_view dedup_key);

  Limits limits_;
  std::unique_ptr<Index> ids_;
  std::deque<Entry> order_;  // in arrival order
};

}  // namespace qrscene::store
