// RedisClient: one blocking connection to Redis (hiredis) with a timeout on connect and on every
// command, made again after a failure. Commands go one at a time or pipelined (many sent, then
// every answer read: one round trip).
//
// Errors: kUnavailable when Redis cannot be reached or does not answer in time (the connection is
// dropped and made again on the next call), kInvalidArgument for an error answer (a bug).
// Thread safety: calls are serialised by a mutex; use one client per thread that waits long
// (a subscriber).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

struct redisContext;

namespace qrscene::store::redis {

// What Redis answered: nil, a string (bulk or status), an integer, or an array of them.
struct RedisValue {
  enum class Kind : std::uint8_t { kNil, kString, kInteger, kArray } kind = Kind::kNil;
  std::string str;
  std::int64_t integer = 0;
  std::vector<RedisValue> elements;
};

struct RedisOptions {
  std::string url;  // redis://[:password@]host[:port][/db] or unix:/path/to/socket
  std::chrono::milliseconds timeout{500};
};

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  [[nodiscard]] Result<RedisValue> command(const std::vector<std::string>& argv);
  [[nodiscard]] Result<std::vector<RedisValue>> pipeline(const std::vector<std::vector<std::string>>& commands);
  // Waits up to the timeout for a message pushed to a subscribed connection; nothing on timeout.
  [[nodiscard]] Result<std::optional<RedisValue>> next_message();

  // host:port or the socket, for messages (never the password).
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  Status connect();
  Error drop(std::string_view what);

  RedisOptions options_;
  std::string host_, socket_, password_, name_;
  int port_ = 6379;
  int db_ = 0;
  std::string url_error_;
  std::mutex mu_;
  redisContext* ctx_ = nullptr;
};

}  // namespace qrscene::store::redis
