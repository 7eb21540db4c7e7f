#include "sim/push_engine.h"

#include <gtest/gtest.h>

#include "support/scripted_transport.h"

namespace qrscene::sim {
namespace {

using qrscene::testing::ScriptedTransport;

constexpr std::int64_t kStart = 1'714'010'400;

SimAccount account() {
  SimAccount a;
  a.appid = "wxpushengine0001";
  a.token = "pushtoken";
  a.original_id = "gh_push";
  a.callback_url = "http://127.0.0.1:9/cb";
  return a;
}

constexpr const char* kXml =
    "<xml><ToUserName><![CDATA[gh_push]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>"
    "<CreateTime>1714010400</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event></xml>";

// MarkFail: after N failed tries within the window nothing is pushed to the URL for the pause,
// and those pushes are lost (no try at all); then it is pushed to again.
TEST(PushEngineMarkFail, RepeatedFailuresBlockTheUrlForAWhile) {
  FakeClock clock(kStart);
  Rng rng(3);
  ScriptedTransport transport([](const wechat::HttpCall&) -> Result<wechat::HttpReply> {
    return wechat::HttpReply{503, {}, "busy", {}};
  });
  PushOptions o;
  o.attempts = 3;
  o.markfail_failures = 5;
  o.markfail_window = std::chrono::seconds(60);
  o.markfail_pause = std::chrono::seconds(60);
  PushEngine engine(transport, clock, rng, o);
  const Delivery first = engine.deliver(account(), "o1", kXml);
  EXPECT_EQ(first.outcome, Delivery::Outcome::kNoAnswer);  // 3 failures: not yet
  const Delivery second = engine.deliver(account(), "o1", kXml);
  EXPECT_EQ(second.outcome, Delivery::Outcome::kMarkFailed);  // the 5th failure blocks
  EXPECT_EQ(second.attempts.size(), 2U);                      // no third try once blocked
  EXPECT_EQ(transport.count(), 5U);
  EXPECT_EQ(engine.markfails(), 1);
  const Delivery lost = engine.deliver(account(), "o1", kXml);
  EXPECT_EQ(lost.outcome, Delivery::Outcome::kMarkFailed);
  EXPECT_TRUE(lost.attempts.empty());
  EXPECT_EQ(transport.count(), 5U);  // nothing pushed while blocked
  clock.advance(std::chrono::seconds(60));
  transport.script([](const wechat::HttpCall&) -> Result<wechat::HttpReply> {
    return wechat::HttpReply{200, {}, "success", {}};
  });
  EXPECT_EQ(engine.deliver(account(), "o1", kXml).outcome, Delivery::Outcome::kNothing);  // unblocked
  EXPECT_EQ(transport.count(), 6U);
}

TEST(PushEngineMarkFail, FailuresOutsideTheWindowDoNotCountAndZeroIsNever) {
  FakeClock clock(kStart);
  Rng rng(3);
  ScriptedTransport transport([](const wechat::HttpCall&) -> Result<wechat::HttpReply> {
    return wechat::HttpReply{500, {}, "", {}};
  });
  PushOptions o;
  o.attempts = 1;
  o.markfail_failures = 3;
  o.markfail_window = std::chrono::seconds(10);
  PushEngine engine(transport, clock, rng, o);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(engine.deliver(account(), "o1", kXml).outcome, Delivery::Outcome::kNoAnswer) << i;
    clock.advance(std::chrono::seconds(6));  // never three within ten seconds
  }
  EXPECT_EQ(engine.markfails(), 0);
  PushOptions never;
  never.attempts = 1;
  PushEngine plain(transport, clock, rng, never);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(plain.deliver(account(), "o1", kXml).outcome, Delivery::Outcome::kNoAnswer);
  EXPECT_EQ(plain.markfails(), 0);
}

}  // namespace
}  // namespace qrscene::sim
