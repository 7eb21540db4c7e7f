// TokenAuthority: the simulator's access_token issuer, with WeChat's two endpoints and their
// different semantics (wechat-protocol.md sections 1.1, 1.2, 1.4, 1.5 and 9).
//
// /cgi-bin/token (classic): every success issues a new token; the previous one stays valid for
//   the 5-minute grace, older ones answer 40001. 2000 calls a day (200 for test accounts) → 45009.
// /cgi-bin/stable_token: isolated from classic. Normal mode returns the same token while it has
//   more than 5 minutes left, and rolls it in the last 5 minutes (old and new then coexist until
//   the old expires), so every answer has expires_in ≥ 300. force_refresh issues a new token and
//   invalidates the old (grace configurable, off by default: the documentation gives none); at most
//   20 a day, and a forced call within 30 s of the last one refreshes nothing.
// Tokens: expired → 42001, superseded → 40001, not one of ours → 40014.
// Account checks: unknown appid → 40013, wrong secret → 40125 (configurable: older docs say
//   40001), wrong grant_type → 40002, missing parameters → 41002/41004, caller IP outside an
//   account's whitelist → 40164 (configurable: 61004 per the 2025 guide).
// Days are Beijing days (UTC+8), as WeChat's quotas are.
//
// Errors are Error values whose detail is the WeChat errcode and whose message is WeChat's errmsg
// (without the rid suffix, which the HTTP layer adds).
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "sim/account.h"
#include "sim/rng.h"

namespace qrscene::sim {

struct TokenAuthorityOptions {
  std::chrono::seconds lifetime{7200};
  std::chrono::seconds grace{300};
  std::int64_t classic_daily_quota = 2000;
  std::int64_t classic_daily_quota_test = 200;
  std::int64_t stable_daily_quota = 500'000;
  std::int64_t stable_minute_quota = 10'000;
  std::int64_t forced_daily_quota = 20;
  std::chrono::seconds forced_spacing{30};
  bool forced_refresh_grace = false;      // wechat-protocol.md section 10, item 11
  int wrong_secret_errcode = 40125;       // or 40001 (older documentation)
  int whitelist_errcode = 40164;          // or 61004 (2025 service-account guide)
};

struct TokenGrant {
  std::string access_token;
  std::int64_t expires_in = 0;
};

class TokenAuthority {
 public:
  TokenAuthority(const Clock& clock, Rng& rng, TokenAuthorityOptions options = {});

  void add_account(SimAccount account);

  [[nodiscard]] Result<TokenGrant> classic(std::string_view grant_type, std::string_view appid,
                                           std::string_view secret, std::string_view client_ip);
  [[nodiscard]] Result<TokenGrant> stable(std::string_view grant_type, std::string_view appid,
                                          std::string_view secret, bool force_refresh, std::string_view client_ip);

  // The appid a valid token belongs to, or 41001 (missing) / 40014 / 40001 / 42001.
  [[nodiscard]] Result<std::string> check(std::string_view access_token) const;

  // How many tokens each endpoint has issued for an account (for tests and the sim's own record).
  [[nodiscard]] std::int64_t issued(std::string_view appid) const;
  // How many token requests (classic or stable, answered or refused) named the account.
  [[nodiscard]] std::int64_t requests(std::string_view appid) const;

 private:
  struct Issued {
    std::string appid;
    std::int64_t expires_at = 0;            // Unix seconds
    std::optional<std::int64_t> valid_until;  // set when superseded: end of its grace (or now)
  };
  struct AccountState {
    SimAccount account;
    std::string classic_current;
    std::string stable_current;
    std::int64_t day = -1;
    std::int64_t classic_calls = 0;
    std::int64_t stable_calls = 0;
    std::int64_t minute = -1;
    std::int64_t stable_minute_calls = 0;
    std::int64_t forced_calls = 0;
    std::int64_t last_forced = -1'000'000;
    std::int64_t issued = 0;
    std::int64_t requests = 0;
  };

  Result<AccountState*> authorize(std::string_view grant_type, std::string_view appid, std::string_view secret,
                                  std::string_view client_ip, std::int64_t now);
  std::string mint(AccountState& a, std::int64_t now);
  void supersede(const std::string& token, std::int64_t until);

  const Clock& clock_;
  Rng& rng_;
  TokenAuthorityOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, AccountState, std::less<>> accounts_;
  std::map<std::string, Issued, std::less<>> tokens_;
};

}  // namespace qrscene::sim
