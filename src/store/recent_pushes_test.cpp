#include "store/recent_pushes.h"

#include <gtest/gtest.h>

#include <string>

namespace qrscene::store {
namespace {

TEST(RecentPushes, APushIsFoundByItsKeyAndAccountOnly) {
  RecentPushes recent;
  recent.add("wx1", "1700000000abc", 7, 1000);
  EXPECT_EQ(recent.candidates("wx1", "1700000000abc"), std::vector<std::int64_t>{7});
  EXPECT_TRUE(recent.candidates("wx2", "1700000000abc").empty());
  EXPECT_TRUE(recent.candidates("wx1", "1700000000abd").empty());
}

TEST(RecentPushes, PushesOlderThanTheWindowAreForgotten) {
  RecentPushes recent(RecentPushes::Limits{.window_seconds = 60, .max_entries = 100});
  recent.add("wx1", "a", 1, 1000);
  recent.add("wx1", "b", 2, 1060);  // exactly the window: still remembered
  EXPECT_EQ(recent.candidates("wx1", "a"), std::vector<std::int64_t>{1});
  recent.add("wx1", "c", 3, 1061);
  EXPECT_TRUE(recent.candidates("wx1", "a").empty());
  EXPECT_EQ(recent.candidates("wx1", "b"), std::vector<std::int64_t>{2});
  EXPECT_EQ(recent.size(), 2u);
}

TEST(RecentPushes, BeyondItsCountTheOldestGoFirst) {
  RecentPushes recent(RecentPushes::Limits{.window_seconds = 3600, .max_entries = 3});
  for (int i = 0; i < 5; ++i) recent.add("wx1", "k" + std::to_string(i), i, 1000);
  EXPECT_EQ(recent.size(), 3u);
  EXPECT_TRUE(recent.candidates("wx1", "k1").empty());
  EXPECT_EQ(recent.candidates("wx1", "k4"), std::vector<std::int64_t>{4});
}

}  // namespace
}  // namespace qrscene::store
