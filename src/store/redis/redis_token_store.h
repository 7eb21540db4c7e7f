// RedisTokenStore: access tokens shared by every instance through Redis (wechat::TokenStore).
// A token is one key, "<prefix>token:<appid>" = "<expires_at>:<token>", expiring with the token;
// the refresh lease is "<prefix>token-lease:<appid>", taken with SET NX PX by one instance and
// deleted (only by its holder, in a Lua script) when its token is stored. invalidate_if is a Lua
// compare-and-delete, so a token another instance stored since is never dropped.
//
// Errors: kUnavailable when Redis cannot be reached (the provider then falls back to a token of
// its own: wechat/token_provider.h).
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <string>

#include "base/clock.h"
#include "store/redis/redis_client.h"
#include "wechat/token_provider.h"

namespace qrscene::store::redis {

class RedisTokenStore final : public wechat::TokenStore {
 public:
  RedisTokenStore(RedisClient& redis, std::string prefix, const Clock& clock);

  [[nodiscard]] Result<std::optional<wechat::StoredToken>> get(std::string_view appid) override;
  [[nodiscard]] Status put(std::string_view appid, const wechat::StoredToken& token) override;
  [[nodiscard]] Result<bool> invalidate_if(std::string_view appid, std::string_view failed) override;
  [[nodiscard]] Result<bool> lease_refresh(std::string_view appid, std::chrono::milliseconds ttl) override;
  void end_refresh(std::string_view appid) override;

 private:
  std::string key(std::string_view appid) const { return prefix_ + "token:" + std::string(appid); }
  std::string lease_key(std::string_view appid) const { return prefix_ + "token-lease:" + std::string(appid); }

  RedisClient& redis_;
  std::string prefix_;
  const Clock& clock_;
  std::string holder_;  // this process's lease value
};

}  // namespace qrscene::store::redis
