// LoginBroadcast: login-session changes told to every instance through Redis pub/sub, so a browser
// waiting on one instance learns at once that the scan another instance took changed its session
// (the store's version poll stays as the fallback when Redis is away). Channel
// "<prefix>login-changes"; the message is the session id.
//
// publish() queues and returns; a thread sends. A second thread with its own connection listens
// and calls `on_change` for every session id heard (its own included: waking a waiter twice is
// harmless).
// Thread safety: publish() may be called concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "store/redis/redis_client.h"

namespace qrscene::store::redis {

class LoginBroadcast {
 public:
  LoginBroadcast(RedisOptions options, std::string prefix, std::function<void(std::string_view)> on_change);
  ~LoginBroadcast();
  LoginBroadcast(const LoginBroadcast&) = delete;
  LoginBroadcast& operator=(const LoginBroadcast&) = delete;

  void publish(std::string_view session_id);
  [[nodiscard]] std::int64_t published() const { return published_.load(); }
  [[nodiscard]] std::int64_t received() const { return received_.load(); }
  [[nodiscard]] std::int64_t errors() const { return errors_.load(); }

 private:
  void send_loop();
  void listen_loop();

  RedisClient sender_;
  RedisClient listener_;
  std::string channel_;
  std::function<void(std::string_view)> on_change_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::string> outbox_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> published_{0}, received_{0}, errors_{0};
  std::thread sender_thread_;
  std::thread listener_thread_;
};

}  // namespace qrscene::store::redis
