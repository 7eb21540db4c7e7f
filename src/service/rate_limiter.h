// RateLimiter: at most N hits per key (a client address) in a sliding window. The admin API counts
// failed sign-ins with it, the login API new sessions.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace qrscene::service {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(std::size_t max_hits, std::chrono::seconds window) : max_hits_(max_hits), window_(window) {}

  // Whether the key has used up its hits in the window.
  [[nodiscard]] bool full(std::string_view key, Clock::time_point now = Clock::now());
  // Counts a hit.
  void add(std::string_view key, Clock::time_point now = Clock::now());
  // Counts a hit if there is room; false (and nothing counted) if not.
  [[nodiscard]] bool try_add(std::string_view key, Clock::time_point now = Clock::now());

 private:
  std::deque<Clock::time_point>& hits(std::string_view key, Clock::time_point now);  // pruned; mu_ held

  std::size_t max_hits_;
  std::chrono::seconds window_;
  std::mutex mu_;
  std::map<std::string, std::deque<Clock::time_point>, std::less<>> hits_;
};

}  // namespace qrscene::service
