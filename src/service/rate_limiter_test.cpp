#include "service/rate_limiter.h"

#include <gtest/gtest.h>

namespace qrscene::service {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, AllowsNPerWindowPerKeyAndForgetsOldHits) {
  RateLimiter limiter(3, 60s);
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_add("a", t0 + std::chrono::seconds(i)));
  EXPECT_FALSE(limiter.try_add("a", t0 + 10s));
  EXPECT_TRUE(limiter.full("a", t0 + 10s));
  EXPECT_TRUE(limiter.try_add("b", t0 + 10s));  // another address is not affected
  EXPECT_TRUE(limiter.try_add("a", t0 + 61s));  // the first hit aged out
  EXPECT_FALSE(limiter.try_add("a", t0 + 61s));
  limiter.add("c", t0);
  limiter.add("c", t0);
  limiter.add("c", t0);
  EXPECT_TRUE(limiter.full("c", t0));
}

}  // namespace
}  // namespace qrscene::service
