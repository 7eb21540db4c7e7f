#include "store/redis/login_broadcast.h"

#include <chrono>

namespace qrscene::store::redis {
namespace {

// The listener waits at most this long between looks at whether it should stop.
RedisOptions listening(RedisOptions o) {
  o.timeout = std::chrono::milliseconds(1000);
  return o;
}

}  // namespace

LoginBroadcast::LoginBroadcast(RedisOptions options, std::string prefix,
                               std::function<void(std::string_view)> on_change)
    : sender_(options),
      listener_(listening(options)),
      channel_(prefix + "login-changes"),
      on_change_(std::move(on_change)) {
  sender_thread_ = std::thread([this] { send_loop(); });
  listener_thread_ = std::thread([this] { listen_loop(); });
}

LoginBroadcast::~LoginBroadcast() {
  stopping_ = true;
  wake_.notify_all();
  sender_thread_.join();
  listener_thread_.join();
}

void LoginBroadcast::publish(std::string_view session_id) {
  {
    std::lock_guard lock(mu_);
    outbox_.emplace_back(session_id);
  }
  wake_.notify_one();
}

void LoginBroadcast::send_loop() {
  for (;;) {
    std::deque<std::string> batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !outbox_.empty(); });
      if (outbox_.empty()) return;
      batch.swap(outbox_);
    }
    std::vector<std::vector<std::string>> commands;
    for (auto& id : batch) commands.push_back({"PUBLISH", channel_, std::move(id)});
    if (sender_.pipeline(commands)) {
      published_ += static_cast<std::int64_t>(commands.size());
    } else {
      errors_ += static_cast<std::int64_t>(commands.size());  // the waiters' poll still finds the change
    }
  }
}

void LoginBroadcast::listen_loop() {
  bool subscribed = false;
  while (!stopping_) {
    if (!subscribed) {
      if (!listener_.command({"SUBSCRIBE", channel_})) {
        ++errors_;
        for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      subscribed = true;
    }
    auto message = listener_.next_message();
    if (!message || !*message) {  // timed out or failed: the connection was dropped; subscribe again
      subscribed = false;
      if (!message) ++errors_;
      continue;
    }
    const RedisValue& m = **message;
    if (m.kind == RedisValue::Kind::kArray && m.elements.size() == 3 && m.elements[0].str == "message") {
      ++received_;
      on_change_(m.elements[2].str);
    }
  }
}

}  // namespace qrscene::store::redis
