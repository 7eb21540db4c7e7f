#include "domain/channel_directory.h"

#include <gtest/gtest.h>

namespace qrscene::domain {
namespace {

ChannelRef ref(std::int64_t id, std::string name, std::string scene) {
  ChannelRef c;
  c.id = id;
  c.name = std::move(name);
  c.scene = std::move(scene);
  return c;
}

Event push(std::string ticket, std::string scene, std::int64_t at, std::string appid = "wx1") {
  Event e;
  e.appid = std::move(appid);
  e.kind = EventKind::kSubscribe;
  e.ticket = std::move(ticket);
  e.scene = std::move(scene);
  e.create_time = at;
  return e;
}

// Scene "7" was channel 1's from 100 to 200, then channel 2's from 300 on; channel 2 holds ticket T2.
ChannelDirectory directory() {
  return ChannelDirectory({ref(1, "Old", "7"), ref(2, "New", "7"), ref(3, "Elsewhere", "7")},
                          {{"wx1", "T2", 2}, {"wx2", "T3", 3}},
                          {{"wx1", "7", 1, 100, 200}, {"wx1", "7", 2, 300, 0}, {"wx2", "7", 3, 0, 0}});
}

TEST(ChannelDirectory, TheSceneAsOfTheEventsTimeThenTheTicket) {
  const auto d = directory();
  EXPECT_EQ(d.attribute(push("T2", "7", 150))->id, 1);  // the same ticket, from before the scene moved
  EXPECT_EQ(d.attribute(push("T2", "7", 350))->id, 2);
  EXPECT_EQ(d.attribute(push("T2", "7", 250))->id, 2);  // the history names nobody: the live ticket does
  EXPECT_EQ(d.attribute(push("T2", "", 150))->id, 2);   // no scene to go by
  EXPECT_EQ(d.attribute(push("", "7", 150))->id, 1);    // the scene as it was at 150
  EXPECT_EQ(d.attribute(push("", "7", 100))->id, 1);
  EXPECT_FALSE(d.attribute(push("", "7", 250)));       // between the two: nobody's
  EXPECT_EQ(d.attribute(push("", "7", 300))->id, 2);
  EXPECT_EQ(d.attribute(push("unknown", "7", 5000))->id, 2);
  EXPECT_FALSE(d.attribute(push("", "7", 50)));        // before it was anybody's
  EXPECT_FALSE(d.attribute(push("", "", 150)));
  EXPECT_FALSE(d.attribute(push("", "8", 150)));
}

TEST(ChannelDirectory, AccountsDoNotShareTicketsOrScenes) {
  const auto d = directory();
  EXPECT_EQ(d.attribute(push("", "7", 150, "wx2"))->id, 3);
  EXPECT_FALSE(d.attribute(push("T3", "", 150)));  // wx2's ticket means nothing to wx1
  EXPECT_FALSE(d.attribute(push("", "7", 150, "wx3")));
  ASSERT_NE(d.find(1), nullptr);
  EXPECT_EQ(d.find(1)->name, "Old");
  EXPECT_EQ(d.find(9), nullptr);
  EXPECT_EQ(d.size(), 3U);
}

}  // namespace
}  // namespace qrscene::domain
