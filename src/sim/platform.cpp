// Platform's core (platform.h): its accounts, the lookup of an account's state and of its users,
// and the daily call quotas every API call is charged against. The areas are in their own files.
#include "sim/platform.h"

#include <utility>

#include "base/strings.h"
#include "sim/platform_fields.h"
#include "sim/wx_error.h"

namespace qrscene::sim {

std::string beijing_date(std::int64_t unix_seconds) { return format_iso_date(beijing_day(unix_seconds)); }

const char* to_string(PushMode mode) noexcept {
  switch (mode) {
    case PushMode::kPlain: return "plain";
    case PushMode::kCompatible: return "compatible";
    case PushMode::kSafe: return "safe";
  }
  return "plain";
}

Platform::Platform(const Clock& clock, Rng& rng, PlatformOptions options)
    : clock_(clock), rng_(rng), options_(std::move(options)) {}

void Platform::add_account(SimAccount account) {
  std::lock_guard lock(mu_);
  if (account.original_id.empty()) account.original_id = "gh_" + account.appid.substr(account.appid.size() > 12 ? account.appid.size() - 12 : 0);
  auto& a = accounts_[account.appid];
  a.account = std::move(account);
  if (a.tags.empty()) a.tags[2] = Tag{2, "星标组"};  // WeChat's own starred tag, id 2
}

std::optional<SimAccount> Platform::account(std::string_view appid) const {
  std::lock_guard lock(mu_);
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) return std::nullopt;
  return it->second.account;
}

std::vector<SimAccount> Platform::accounts() const {
  std::lock_guard lock(mu_);
  std::vector<SimAccount> out;
  for (const auto& [id, a] : accounts_) out.push_back(a.account);
  return out;
}

Result<Platform::AccountState*> Platform::state(std::string_view appid) {
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) return wx_error(40013);
  return &it->second;
}

Result<const Platform::AccountState*> Platform::state(std::string_view appid) const {
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) return wx_error(40013);
  return &it->second;
}

Status Platform::charge(AccountState& a, std::string_view api) {
  const auto day = beijing_day(clock_.unix_seconds());
  if (day != a.quota_day) {
    a.quota_day = day;
    a.quota_used.clear();
  }
  auto q = options_.daily_quota.find(api);
  if (q == options_.daily_quota.end()) return {};
  const std::int64_t limit = a.account.test_account ? q->second.second : q->second.first;
  auto& used = a.quota_used[std::string(api)];
  if (used >= limit) return wx_error(45009);
  ++used;
  return {};
}

Result<SimUser*> Platform::find_user(AccountState& a, std::string_view openid) const {
  auto it = a.users.find(openid);
  if (it != a.users.end()) return &it->second;
  // Another account's openid is "not match openid with appid"; anything else is invalid.
  if (openid_owner_.contains(openid)) return wx_error(49003);
  return wx_error(40003);
}

}  // namespace qrscene::sim
