// ChannelDirectory: what the answer path needs to know about channels, in memory (DESIGN.md §3):
// a pushed ticket or scene → the channel it meant at the event's time, with the channel's replies
// and tag. The store loads a snapshot at start and makes a new one whenever channels change (on
// this instance at once, on the others within a second), so a push is answered without a read.
//
// Attribution as of the event's CreateTime: the scene's history (scene_history) names the channel
// the scene meant then, so a delayed push or a retry of a reused scene goes to the channel it meant
// when it was scanned — even when the scene is a permanent one reused with the same ticket. A live
// ticket decides when the history names nobody at that time (a code scanned seconds after it was
// made, by a clock a little behind ours; a scene qrscene never saw moving).
//
// Thread safety: immutable once built; share it as std::shared_ptr<const ChannelDirectory>.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/ingest.h"

namespace qrscene::domain {

// One row of scene_history: the scene meant `channel_id` in [valid_from, valid_to) (0: still).
struct SceneSpan {
  std::string appid;
  std::string scene;
  std::int64_t channel_id = 0;
  std::int64_t valid_from = 0;
  std::int64_t valid_to = 0;
};

class ChannelDirectory {
 public:
  // `channels`: every channel, retired ones too (ids stay meaningful in the log); `live_tickets`:
  // the tickets of channels that are not retired, with their channel ids.
  struct LiveTicket {
    std::string appid;
    std::string ticket;
    std::int64_t channel_id = 0;
  };
  ChannelDirectory(std::vector<ChannelRef> channels, std::vector<LiveTicket> live_tickets,
                   std::vector<SceneSpan> scenes);
  ChannelDirectory() = default;

  // The channel a subscribe or SCAN is credited to (none: organic or unknown code).
  [[nodiscard]] std::optional<ChannelRef> attribute(const Event& event) const;
  // A channel by id (retired ones too); none when the directory has not seen it yet.
  [[nodiscard]] const ChannelRef* find(std::int64_t id) const;
  [[nodiscard]] std::size_t size() const noexcept { return by_id_.size(); }

 private:
  static std::string key(std::string_view appid, std::string_view text);
  // The span of the scene's history that covers `at`, if any.
  const SceneSpan* span_at(std::string_view appid, std::string_view scene, std::int64_t at) const;
  std::unordered_map<std::int64_t, ChannelRef> by_id_;
  std::unordered_map<std::string, std::int64_t> by_ticket_;            // appid \n ticket
  std::unordered_map<std::string, std::vector<SceneSpan>> by_scene_;   // appid \n scene, newest first
};

}  // namespace qrscene::domain
