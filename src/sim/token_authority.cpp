#include "sim/token_authority.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "sim/rng.h"
#include "sim/wx_error.h"

namespace qrscene::sim {
namespace {

constexpr std::int64_t kBeijingOffset = 8 * 3600;
// Real tokens are about 136 characters of [A-Za-z0-9_-]; ours look the same.
constexpr std::string_view kTokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

}  // namespace

TokenAuthority::TokenAuthority(const Clock& clock, Rng& rng, TokenAuthorityOptions options)
    : clock_(clock), rng_(rng), options_(options) {}

void TokenAuthority::add_account(SimAccount account) {
  std::lock_guard lock(mu_);
  std::string appid = account.appid;
  accounts_[appid].account = std::move(account);
}

Result<TokenAuthority::AccountState*> TokenAuthority::authorize(std::string_view grant_type, std::string_view appid,
                                                                std::string_view secret, std::string_view client_ip,
                                                                std::int64_t now) {
  if (appid.empty()) return wx_error(41002, "appid missing");
  if (grant_type != "client_credential") return wx_error(40002, "invalid grant_type");
  if (secret.empty()) return wx_error(41004, "appsecret missing");
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) return wx_error(40013, "invalid appid");
  AccountState& a = it->second;
  ++a.requests;
  const auto& wl = a.account.ip_whitelist;
  if (!wl.empty() && std::find(wl.begin(), wl.end(), client_ip) == wl.end()) {
    return wx_error(options_.whitelist_errcode,
              fmt::format("invalid ip {} ipv6 ::ffff:{}, not in whitelist", client_ip, client_ip));
  }
  if (secret != a.account.secret) {
    return wx_error(options_.wrong_secret_errcode, options_.wrong_secret_errcode == 40001
                                                 ? "invalid credential, access_token is invalid or not latest"
                                                 : "invalid appsecret");
  }
  const std::int64_t day = (now + kBeijingOffset) / 86400;
  if (day != a.day) {
    a.day = day;
    a.classic_calls = a.stable_calls = a.forced_calls = 0;
  }
  if (now / 60 != a.minute) {
    a.minute = now / 60;
    a.stable_minute_calls = 0;
  }
  return &a;
}

std::string TokenAuthority::mint(AccountState& a, std::int64_t now) {
  std::string token = rng_.text(136, kTokenChars);
  tokens_[token] = Issued{a.account.appid, now + options_.lifetime.count(), std::nullopt};
  ++a.issued;
  return token;
}

void TokenAuthority::supersede(const std::string& token, std::int64_t until) {
  if (auto it = tokens_.find(token); it != tokens_.end() && !it->second.valid_until) it->second.valid_until = until;
}

Result<TokenGrant> TokenAuthority::classic(std::string_view grant_type, std::string_view appid, std::string_view secret,
                                           std::string_view client_ip) {
  std::lock_guard lock(mu_);
  const std::int64_t now = clock_.unix_seconds();
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, authorize(grant_type, appid, secret, client_ip, now));
  const std::int64_t quota =
      a->account.test_account ? options_.classic_daily_quota_test : options_.classic_daily_quota;
  if (a->classic_calls >= quota) return wx_error(45009, "reach max api daily quota limit");
  ++a->classic_calls;
  // The previous token keeps working for the grace period (平滑过渡); the one before is already out.
  if (!a->classic_current.empty()) supersede(a->classic_current, now + options_.grace.count());
  a->classic_current = mint(*a, now);
  return TokenGrant{a->classic_current, options_.lifetime.count()};
}

Result<TokenGrant> TokenAuthority::stable(std::string_view grant_type, std::string_view appid, std::string_view secret,
                                          bool force_refresh, std::string_view client_ip) {
  std::lock_guard lock(mu_);
  const std::int64_t now = clock_.unix_seconds();
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, authorize(grant_type, appid, secret, client_ip, now));
  if (a->stable_calls >= options_.stable_daily_quota) return wx_error(45009, "reach max api daily quota limit");
  if (a->stable_minute_calls >= options_.stable_minute_quota) {
    return wx_error(45011, "api minute-quota reach limit, must slower, retry next minute");
  }
  ++a->stable_calls;
  ++a->stable_minute_calls;

  const Issued* current = nullptr;
  if (auto it = tokens_.find(a->stable_current); it != tokens_.end()) {
    const bool usable = now < it->second.expires_at && (!it->second.valid_until || now < *it->second.valid_until);
    if (usable) current = &it->second;
  }
  const bool too_soon = now - a->last_forced < options_.forced_spacing.count();
  if (force_refresh && !(too_soon && current != nullptr)) {
    if (a->forced_calls >= options_.forced_daily_quota) return wx_error(45009, "reach max api daily quota limit");
    ++a->forced_calls;
    a->last_forced = now;
    if (current != nullptr) {
      supersede(a->stable_current, options_.forced_refresh_grace ? now + options_.grace.count() : now);
    }
    a->stable_current = mint(*a, now);
    return TokenGrant{a->stable_current, options_.lifetime.count()};
  }
  // Normal mode (or a forced call too soon after the last): the same token while it has more than
  // the grace left; in its last minutes a new one, the old running out on its own.
  if (current != nullptr && current->expires_at - now > options_.grace.count()) {
    return TokenGrant{a->stable_current, current->expires_at - now};
  }
  a->stable_current = mint(*a, now);
  return TokenGrant{a->stable_current, options_.lifetime.count()};
}

Result<std::string> TokenAuthority::check(std::string_view access_token) const {
  if (access_token.empty()) return wx_error(41001, "access_token missing");
  std::lock_guard lock(mu_);
  const auto it = tokens_.find(access_token);
  if (it == tokens_.end()) return wx_error(40014, "invalid access_token");
  const std::int64_t now = clock_.unix_seconds();
  if (now >= it->second.expires_at) return wx_error(42001, "access_token expired");
  if (it->second.valid_until && now >= *it->second.valid_until) {
    return wx_error(40001, "invalid credential, access_token is invalid or not latest");
  }
  return it->second.appid;
}

std::int64_t TokenAuthority::requests(std::string_view appid) const {
  std::lock_guard lock(mu_);
  const auto it = accounts_.find(appid);
  return it == accounts_.end() ? 0 : it->second.requests;
}

std::int64_t TokenAuthority::issued(std::string_view appid) const {
  std::lock_guard lock(mu_);
  const auto it = accounts_.find(appid);
  return it == accounts_.end() ? 0 : it->second.issued;
}

}  // namespace qrscene::sim
