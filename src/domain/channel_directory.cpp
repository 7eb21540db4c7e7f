#include "domain/channel_directory.h"

#include <algorithm>

namespace qrscene::domain {

std::string ChannelDirectory::key(std::string_view appid, std::string_view text) {
  std::string k;
  k.reserve(appid.size() + 1 + text.size());
  k.append(appid).push_back('\n');
  k.append(text);
  return k;
}

ChannelDirectory::ChannelDirectory(std::vector<ChannelRef> channels, std::vector<LiveTicket> live_tickets,
                                   std::vector<SceneSpan> scenes) {
  for (auto& channel : channels) {
    const std::int64_t id = channel.id;
    by_id_.emplace(id, std::move(channel));
  }
  for (auto& t : live_tickets) by_ticket_.emplace(key(t.appid, t.ticket), t.channel_id);
  for (auto& s : scenes) {
    auto& spans = by_scene_[key(s.appid, s.scene)];
    spans.push_back(std::move(s));
  }
  for (auto& [k, spans] : by_scene_) {
    std::sort(spans.begin(), spans.end(),
              [](const SceneSpan& a, const SceneSpan& b) { return a.valid_from > b.valid_from; });
  }
}

const ChannelRef* ChannelDirectory::find(std::int64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

const SceneSpan* ChannelDirectory::span_at(std::string_view appid, std::string_view scene, std::int64_t at) const {
  if (scene.empty()) return nullptr;
  auto it = by_scene_.find(key(appid, scene));
  if (it == by_scene_.end()) return nullptr;
  // Newest first: the latest span that covers the time.
  for (const SceneSpan& s : it->second) {
    if (s.valid_from > at) continue;
    if (s.valid_to != 0 && s.valid_to <= at) continue;
    return &s;
  }
  return nullptr;
}

std::optional<ChannelRef> ChannelDirectory::attribute(const Event& e) const {
  const SceneSpan* then = span_at(e.appid, e.scene, e.create_time);
  if (!e.ticket.empty()) {
    if (auto it = by_ticket_.find(key(e.appid, e.ticket)); it != by_ticket_.end()) {
      // A reused permanent scene keeps its ticket: when the scene meant another channel at the
      // event's time, the push is from before the move (delayed, or a retry) and is that channel's.
      const std::int64_t id = then != nullptr && then->channel_id != it->second ? then->channel_id : it->second;
      if (const ChannelRef* c = find(id)) return *c;
    }
  }
  if (then == nullptr) return std::nullopt;
  if (const ChannelRef* c = find(then->channel_id)) return *c;
  return std::nullopt;
}

}  // namespace qrscene::domain
