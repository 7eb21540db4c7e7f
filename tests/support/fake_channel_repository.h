// FakeChannelRepository: domain::ChannelRepository in memory, for the service's unit tests. It
// keeps the contract of ports.h as the SQL store does (a live channel holds its scene; retiring
// frees it; the scene history answers scene_meant as of a time; permanent scenes are counted
// once, ever; a retired permanent int scene is reusable), with none of the SQL. `fail_next` makes
// the next call fail as a store outage would.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "domain/ports.h"

namespace qrscene::testing {

class FakeChannelRepository final : public domain::ChannelRepository {
 public:
  explicit FakeChannelRepository(const Clock& clock) : clock_(clock) {}

  std::optional<Error> fail_next;
  std::optional<Error> fail_set_ticket;  // every set_ticket fails so while set

  Result<domain::Channel> create_channel(domain::Channel c) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    for (const auto& [id, other] : channels_) {
      if (other.appid == c.appid && other.status != domain::ChannelStatus::kRetired &&
          (other.scene == c.scene || (!c.ticket.empty() && other.ticket == c.ticket))) {
        return unexpected(ErrorCode::kAlreadyExists, "scene held by channel " + std::to_string(id));
      }
    }
    c.id = next_id_++;
    c.created_at = clock_.unix_seconds();
    history_.push_back({c.appid, c.scene, c.id, c.created_at, std::nullopt});
    if (c.kind == domain::ChannelKind::kPermanent) permanent_.insert(c.appid + "\n" + c.scene);
    channels_[c.id] = c;
    return c;
  }
  Result<domain::Channel> channel(std::int64_t id) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    const auto it = channels_.find(id);
    if (it == channels_.end()) return unexpected(ErrorCode::kNotFound, "no channel " + std::to_string(id));
    return it->second;
  }
  Result<std::vector<domain::Channel>> channels(std::string_view appid) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    std::vector<domain::Channel> out;
    for (const auto& [id, c] : channels_) {
      if (appid.empty() || c.appid == appid) out.push_back(c);
    }
    return out;
  }
  Status set_status(std::int64_t id, domain::ChannelStatus status) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    auto& c = channels_.at(id);
    c.status = status;
    if (status == domain::ChannelStatus::kRetired) {
      c.retired_at = clock_.unix_seconds();
      for (auto& h : history_) {
        if (h.channel == id && !h.until) h.until = c.retired_at;
      }
    }
    return {};
  }
  Status update_channel(const domain::Channel& edited) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    auto& c = channels_.at(edited.id);
    c.name = edited.name;
    c.group = edited.group;
    c.owner = edited.owner;
    c.on_subscribe = edited.on_subscribe;
    c.on_scan = edited.on_scan;
    c.wechat_tag_id = edited.wechat_tag_id;
    c.evergreen = edited.evergreen;
    c.spend_cents = edited.spend_cents;
    return {};
  }
  Status set_ticket(std::int64_t id, std::string_view ticket, std::string_view url, std::int64_t expires_at) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    if (fail_set_ticket) return *fail_set_ticket;
    auto& c = channels_.at(id);
    c.ticket = std::string(ticket);
    c.url = std::string(url);
    c.expires_at = expires_at;
    c.renewal_failed_at = 0;  // a renewal that worked
    c.renewal_error.clear();
    return {};
  }
  Result<std::int64_t> highest_int_scene(std::string_view appid, std::int64_t low, std::int64_t high) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    std::int64_t highest = 0;
    for (const auto& [id, c] : channels_) {
      if (c.appid != appid || !c.scene_is_int) continue;
      const std::int64_t n = std::stoll(c.scene);
      if (n >= low && n <= high) highest = std::max(highest, n);
    }
    return highest;
  }
  Result<std::int64_t> permanent_scenes_used(std::string_view appid) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    const std::string prefix = std::string(appid) + "\n";
    const auto mine = std::count_if(permanent_.begin(), permanent_.end(),
                                    [&prefix](const std::string& k) { return k.starts_with(prefix); });
    return static_cast<std::int64_t>(mine);
  }
  Result<std::optional<std::int64_t>> scene_meant(std::string_view appid, std::string_view scene,
                                                  std::int64_t at) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    for (const auto& h : history_) {
      if (h.appid == appid && h.scene == scene && h.from <= at && (!h.until || at < *h.until)) {
        return std::optional<std::int64_t>(h.channel);
      }
    }
    return std::optional<std::int64_t>();
  }
  Result<bool> permanent_scene_known(std::string_view appid, std::string_view scene) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    return permanent_.contains(std::string(appid) + "\n" + std::string(scene));
  }
  Result<std::optional<std::string>> reusable_permanent_scene(std::string_view appid) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    // The scene retired longest ago (its last retirement), then the lowest.
    std::map<std::int64_t, std::int64_t> retired;  // scene → last retired_at
    for (const auto& [id, c] : channels_) {
      if (c.appid != appid || c.kind != domain::ChannelKind::kPermanent || !c.scene_is_int) continue;
      if (c.status != domain::ChannelStatus::kRetired || held(c.appid, c.scene)) continue;
      auto& at = retired[std::stoll(c.scene)];
      at = std::max(at, c.retired_at);
    }
    std::optional<std::pair<std::int64_t, std::int64_t>> best;  // (retired_at, scene)
    for (const auto& [scene, at] : retired) {
      if (!best || std::pair{at, scene} < *best) best = std::pair{at, scene};
    }
    if (!best) return std::optional<std::string>();
    return std::optional<std::string>(std::to_string(best->second));
  }
  Status set_renewal_failure(std::int64_t id, std::int64_t at, std::string_view error) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    auto& c = channels_.at(id);
    c.renewal_failed_at = error.empty() ? 0 : at;
    c.renewal_error = std::string(error);
    return {};
  }
  Status set_expiry_noticed(std::int64_t id, std::int64_t expires_at) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    channels_.at(id).expiry_noticed = expires_at;
    return {};
  }
  Result<QuotaRecord> quota_record(std::string_view appid) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    const auto it = quota_.find(std::string(appid));
    return it == quota_.end() ? QuotaRecord{} : it->second;
  }
  Status set_external_permanent(std::string_view appid, std::int64_t count) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    quota_[std::string(appid)].external = count;
    return {};
  }
  Status set_quota_refused(std::string_view appid, std::int64_t at) override {
    std::lock_guard lock(mu_);
    QRSCENE_TRY(take_failure());
    quota_[std::string(appid)].refused_at = at;
    return {};
  }

 private:
  struct Meaning {
    std::string appid, scene;
    std::int64_t channel = 0;
    std::int64_t from = 0;
    std::optional<std::int64_t> until;
  };
  bool held(const std::string& appid, const std::string& scene) const {
    return std::any_of(channels_.begin(), channels_.end(), [&](const auto& entry) {
      const auto& c = entry.second;
      return c.appid == appid && c.scene == scene && c.status != domain::ChannelStatus::kRetired;
    });
  }
  Status take_failure() {
    if (!fail_next) return {};
    Error e = *fail_next;
    fail_next.reset();
    return e;
  }

  const Clock& clock_;
  std::mutex mu_;
  std::int64_t next_id_ = 1;
  std::map<std::int64_t, domain::Channel> channels_;
  std::vector<Meaning> history_;
  std::set<std::string> permanent_;
  std::map<std::string, QuotaRecord> quota_;
};

}  // namespace qrscene::testing
