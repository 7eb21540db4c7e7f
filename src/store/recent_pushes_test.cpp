#include "store/recent_pushes.h"

#include <gtest/gtest.h>

#include <string>

namespace qrscene::store {
namespace {

TEST(RecentPushes, APushIsFoundByItsKeyAndAccountOnly) {
  RecentPushes recent;
  recent.add("wx1", "1700000000abc", 7, 1000);
  EXPECT_EQ(recent.find("wx1", "1700000000abc"), 7);
  EXPECT_FALSE(recent.find("wx2", "1700000000abc"));
  EXPECT_FALSE(recent.find("wx1", "1700000000abd"));
}

TEST(RecentPushes, PushesOlderThanTheWindowAreForgotten) {
  RecentPushes recent(RecentPushes::Limits{.window_seconds = 60, .max_entries = 100});
  recent.add("wx1", "a", 1, 1000);
  recent.add("wx1", "b", 2, 1060);  // exactly the window: still remembered
  EXPECT_EQ(recent.find("wx1", "a"), 1);
  recent.add("wx1", "c", 3, 1061);
  EXPECT_FALSE(recent.find("wx1", "a"));
  EXPECT_EQ(recent.find("wx1", "b"), 2);
  EXPECT_EQ(recent.size(), 2u);
}

TEST(RecentPushes, BeyondItsCountTheOldestGoFirst) {
  RecentPushes recent(RecentPushes::Limits{.window_seconds = 3600, .max_entries = 3});
  for (int i = 0; i < 5; ++i) recent.add("wx1", "k" + std::to_string(i), i, 1000);
  EXPECT_EQ(recent.size(), 3u);
  EXPECT_FALSE(recent.find("wx1", "k1"));
  EXPECT_EQ(recent.find("wx1", "k4"), 4);
}

// A key logged again once its window went by (a copy from further back) is found under its new id.
TEST(RecentPushes, AKeyLoggedAgainAfterItsWindowIsFoundUnderItsNewId) {
  RecentPushes recent(RecentPushes::Limits{.window_seconds = 60, .max_entries = 100});
  recent.add("wx1", "a", 1, 1000);
  recent.add("wx1", "a", 2, 1100);
  EXPECT_EQ(recent.find("wx1", "a"), 2);
  recent.add("wx1", "b", 3, 1150);
  EXPECT_EQ(recent.find("wx1", "a"), 2);
  EXPECT_EQ(recent.size(), 2u);
}

}  // namespace
}  // namespace qrscene::store
