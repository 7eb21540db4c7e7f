#include "service/rate_limiter.h"

#include <algorithm>

namespace qrscene::service {

std::deque<RateLimiter::Clock::time_point>& RateLimiter::hits(std::string_view key, Clock::time_point now) {
  // Many addresses over a long run: drop the ones whose hits have all aged out now and then.
  if (hits_.size() > 10'000) {
    std::erase_if(hits_, [&](const auto& kv) { return kv.second.empty() || now - kv.second.back() > window_; });
  }
  auto it = hits_.find(key);
  if (it == hits_.end()) it = hits_.emplace(std::string(key), std::deque<Clock::time_point>{}).first;
  auto& times = it->second;
  while (!times.empty() && now - times.front() > window_) times.pop_front();
  return times;
}

bool RateLimiter::full(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  const auto it = hits_.find(key);  // a look, not an entry: every request asks, few are counted
  if (it == hits_.end()) return false;
  const auto recent = std::count_if(it->second.begin(), it->second.end(), [&](auto t) { return now - t <= window_; });
  return static_cast<std::size_t>(recent) >= max_hits_;
}

void RateLimiter::add(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  hits(key, now).push_back(now);
}

bool RateLimiter::try_add(std::string_view key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto& times = hits(key, now);
  if (times.size() >= max_hits_) return false;
  times.push_back(now);
  return true;
}

}  // namespace qrscene::service
