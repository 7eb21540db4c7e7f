#include "store/redis/redis_client.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <charconv>

namespace qrscene::store::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisValue convert(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      v.kind = RedisValue::Kind::kString;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.kind = RedisValue::Kind::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.kind = RedisValue::Kind::kArray;
      for (std::size_t i = 0; i < r->elements; ++i) v.elements.push_back(convert(r->element[i]));
      break;
    default: break;
  }
  return v;
}

}  // namespace

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {
  std::string_view u = options_.url;
  if (u.starts_with("unix:")) {
    socket_ = std::string(u.substr(5));
    name_ = "redis " + socket_;
    return;
  }
  if (!u.starts_with("redis://")) {
    url_error_ = "redis.url must start with redis:// or unix:";
    return;
  }
  u.remove_prefix(8);
  if (const auto at = u.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = u.substr(0, at);
    if (const auto colon = auth.find(':'); colon != std::string_view::npos) auth.remove_prefix(colon + 1);
    password_ = std::string(auth);
    u.remove_prefix(at + 1);
  }
  if (const auto slash = u.find('/'); slash != std::string_view::npos) {
    const auto db = u.substr(slash + 1);
    std::from_chars(db.data(), db.data() + db.size(), db_);
    u = u.substr(0, slash);
  }
  if (const auto colon = u.rfind(':'); colon != std::string_view::npos) {
    const auto port = u.substr(colon + 1);
    std::from_chars(port.data(), port.data() + port.size(), port_);
    u = u.substr(0, colon);
  }
  host_ = u.empty() ? "127.0.0.1" : std::string(u);
  name_ = fmt::format("redis://{}:{}/{}", host_, port_, db_);
}

RedisClient::~RedisClient() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

Error RedisClient::drop(std::string_view what) {
  std::string message = ctx_ != nullptr && ctx_->err != 0 ? ctx_->errstr : "no answer";
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
  return Error{ErrorCode::kUnavailable, fmt::format("{}: {}: {}", name_, what, message), 0};
}

Status RedisClient::connect() {
  if (ctx_ != nullptr) return {};
  if (!url_error_.empty()) return unexpected(ErrorCode::kInvalidArgument, url_error_);
  const timeval tv = to_timeval(options_.timeout);
  ctx_ = socket_.empty() ? redisConnectWithTimeout(host_.c_str(), port_, tv)
                         : redisConnectUnixWithTimeout(socket_.c_str(), tv);
  if (ctx_ == nullptr || ctx_->err != 0) return drop("cannot connect (is redis-server running, and redis.url right?)");
  redisSetTimeout(ctx_, tv);
  auto setup = [this](std::vector<std::string> argv) -> Status {
    std::vector<const char*> args;
    std::vector<std::size_t> lengths;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lengths.data()));
    if (r == nullptr) return drop(argv[0]);
    const bool failed = r->type == REDIS_REPLY_ERROR;
    const std::string text = failed ? std::string(r->str, r->len) : "";
    freeReplyObject(r);
    if (failed) {
      redisFree(ctx_);
      ctx_ = nullptr;
      return unexpected(ErrorCode::kUnavailable, fmt::format("{}: {}: {}", name_, argv[0], text));
    }
    return {};
  };
  if (!password_.empty()) QRSCENE_TRY(setup({"AUTH", password_}));
  if (db_ != 0) QRSCENE_TRY(setup({"SELECT", std::to_string(db_)}));
  return {};
}

Result<std::vector<RedisValue>> RedisClient::pipeline(const std::vector<std::vector<std::string>>& commands) {
  std::lock_guard lock(mu_);
  QRSCENE_TRY(connect());
  for (const auto& argv : commands) {
    std::vector<const char*> args;
    std::vector<std::size_t> lengths;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lengths.data()) != REDIS_OK) {
      return drop(argv.front());
    }
  }
  std::vector<RedisValue> out;
  Status error;
  for (const auto& argv : commands) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) return drop(argv.front());
    auto* r = static_cast<redisReply*>(raw);
    if (r->type == REDIS_REPLY_ERROR && error) {
      error = unexpected(ErrorCode::kInvalidArgument, fmt::format("{}: {}: {}", name_, argv.front(),
                                                                  std::string(r->str, r->len)));
    }
    out.push_back(convert(r));
    freeReplyObject(r);
  }
  if (!error) return error.error();
  return out;
}

Result<RedisValue> RedisClient::command(const std::vector<std::string>& argv) {
  QRSCENE_ASSIGN_OR_RETURN(auto values, pipeline({argv}));
  return std::move(values.front());
}

Result<std::optional<RedisValue>> RedisClient::next_message() {
  std::lock_guard lock(mu_);
  QRSCENE_TRY(connect());
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
    if (ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Timed out waiting: hiredis marks the context failed, so it is made again (and the caller
      // subscribes again).
      (void)drop("wait");
      return std::optional<RedisValue>();
    }
    return drop("wait for a message");
  }
  auto* r = static_cast<redisReply*>(raw);
  RedisValue v = convert(r);
  freeReplyObject(r);
  return std::optional<RedisValue>(std::move(v));
}

}  // namespace qrscene::store::redis
