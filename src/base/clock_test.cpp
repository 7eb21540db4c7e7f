#include "base/clock.h"

#include <gtest/gtest.h>

namespace qrscene {
namespace {

TEST(FakeClock, StandsStillUntilMoved) {
  FakeClock clock(1'714'037'059);
  EXPECT_EQ(clock.unix_seconds(), 1'714'037'059);
  EXPECT_EQ(clock.unix_seconds(), 1'714'037'059);
  clock.advance(std::chrono::seconds(301));
  EXPECT_EQ(clock.unix_seconds(), 1'714'037'360);
  clock.advance(std::chrono::milliseconds(999));
  EXPECT_EQ(clock.unix_seconds(), 1'714'037'360);  // whole seconds, truncated
  clock.set_unix_seconds(5);
  EXPECT_EQ(clock.unix_seconds(), 5);
}

TEST(SystemClock, IsNearTheRealTime) {
  const auto before = std::chrono::system_clock::now();
  const auto t = SystemClock::instance().now();
  const auto after = std::chrono::system_clock::now();
  EXPECT_LE(before, t);
  EXPECT_LE(t, after);
  EXPECT_GT(SystemClock::instance().unix_seconds(), 1'700'000'000);
}

}  // namespace
}  // namespace qrscene
