#include "store/redis/redis_token_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <charconv>

#include "base/encoding.h"

namespace qrscene::store::redis {
namespace {

// KEYS[1] the token key; ARGV[1] the token that failed. Deletes the key only if it still holds it.
constexpr const char* kInvalidateIf = R"lua(
local v = redis.call('GET', KEYS[1])
if v then
  local colon = string.find(v, ':', 1, true)
  if colon and string.sub(v, colon + 1) == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 1
  end
end
return 0
)lua";

// KEYS[1] the lease key; ARGV[1] the holder. Only the holder lets go.
constexpr const char* kRelease = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

}  // namespace

RedisTokenStore::RedisTokenStore(RedisClient& redis, std::string prefix, const Clock& clock)
    : redis_(redis), prefix_(std::move(prefix)), clock_(clock) {
  holder_ = fmt::format("{}-{}", ::getpid(), random_hex(8));
}

Result<std::optional<wechat::StoredToken>> RedisTokenStore::get(std::string_view appid) {
  QRSCENE_ASSIGN_OR_RETURN(auto v, redis_.command({"GET", key(appid)}));
  if (v.kind != RedisValue::Kind::kString) return std::optional<wechat::StoredToken>();
  const auto colon = v.str.find(':');
  wechat::StoredToken t;
  if (colon == std::string::npos ||
      std::from_chars(v.str.data(), v.str.data() + colon, t.expires_at).ec != std::errc()) {
    return std::optional<wechat::StoredToken>();  // not ours: treated as absent, overwritten by the next put
  }
  t.value = v.str.substr(colon + 1);
  return std::optional<wechat::StoredToken>(std::move(t));
}

Status RedisTokenStore::put(std::string_view appid, const wechat::StoredToken& token) {
  const std::int64_t ttl = std::max<std::int64_t>(1, token.expires_at - clock_.unix_seconds());
  QRSCENE_TRY(redis_.command({"SET", key(appid), fmt::format("{}:{}", token.expires_at, token.value), "EX",
                              std::to_string(ttl)}));
  return {};
}

Result<bool> RedisTokenStore::invalidate_if(std::string_view appid, std::string_view failed) {
  QRSCENE_ASSIGN_OR_RETURN(auto v, redis_.command({"EVAL", kInvalidateIf, "1", key(appid), std::string(failed)}));
  return v.integer == 1;
}

Result<bool> RedisTokenStore::lease_refresh(std::string_view appid, std::chrono::milliseconds ttl) {
  QRSCENE_ASSIGN_OR_RETURN(auto v, redis_.command({"SET", lease_key(appid), holder_, "NX", "PX",
                                                   std::to_string(ttl.count())}));
  return v.kind == RedisValue::Kind::kString;  // "OK"; nil when another instance holds it
}

void RedisTokenStore::end_refresh(std::string_view appid) {
  (void)redis_.command({"EVAL", kRelease, "1", lease_key(appid), holder_});
}

}  // namespace qrscene::store::redis
