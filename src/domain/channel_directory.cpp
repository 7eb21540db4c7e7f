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

std::optional<ChannelRef> ChannelDirectory::attribute(const Event& e) const {
  if (!e.ticket.empty()) {
    if (auto it = by_ticket_.find(key(e.appid, e.ticket)); it != by_ticket_.end()) {
      if (const ChannelRef* c = find(it->second)) return *c;
    }
  }
  if (e.scene.empty()) return std::nullopt;
  auto it = by_scene_.find(key(e.appid, e.scene));
  if (it == by_scene_.end()) return std::nullopt;
  // Newest first: the latest span that covers the event's time.
  for (const SceneSpan& s : it->second) {
    if (s.valid_from > e.create_time) continue;
    if (s.valid_to != 0 && s.valid_to <= e.create_time) continue;
    if (const ChannelRef* c = find(s.channel_id)) return *c;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace qrscene::domain
