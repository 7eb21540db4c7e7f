#include "domain/ingest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qrscene::domain {
namespace {

ChannelRef store_channel() {
  ChannelRef c;
  c.id = 7;
  c.name = "Store 1";
  c.scene = "store-01";
  c.owner = "Li Lei";
  c.on_subscribe.kind = ReplyChoice::Kind::kText;
  c.on_subscribe.text = "欢迎关注！来自{channel}（{scene}），店员 {owner}。{unknown}";
  c.on_scan.kind = ReplyChoice::Kind::kText;
  c.on_scan.text = "又见面了 {owner}";
  c.wechat_tag_id = 134;
  return c;
}

Event event(EventKind kind) {
  Event e;
  e.appid = "wx1";
  e.openid = "o1";
  e.kind = kind;
  e.create_time = 1'714'010'400;
  return e;
}

TEST(DedupKey, MsgIdWhenThereIsOneElseTheEventFields) {
  EXPECT_EQ(make_dedup_key(1234567890123456789ull, "o1", 1, "", ""), "m:1234567890123456789");
  const auto a = make_dedup_key(std::nullopt, "o1", 1714010400, "subscribe", "qrscene_7");
  EXPECT_EQ(a, make_dedup_key(std::nullopt, "o1", 1714010400, "subscribe", "qrscene_7"));  // a retry
  EXPECT_NE(a, make_dedup_key(std::nullopt, "o1", 1714010401, "subscribe", "qrscene_7"));
  EXPECT_NE(a, make_dedup_key(std::nullopt, "o1", 1714010400, "SCAN", "7"));
  // Fields cannot run into each other.
  EXPECT_NE(make_dedup_key(std::nullopt, "o1|2", 3, "a", "b"), make_dedup_key(std::nullopt, "o1", 23, "a", "b"));
  EXPECT_NE(make_dedup_key(std::nullopt, "o", 1, "ab", "c"), make_dedup_key(std::nullopt, "o", 1, "a", "bc"));
}

TEST(IsConsumed, FollowsScansUnfollowsAndTextsAreReadTheRestIsNot) {
  for (auto kind : {EventKind::kSubscribe, EventKind::kScan, EventKind::kUnsubscribe}) {
    EXPECT_TRUE(is_consumed(event(kind))) << to_string(kind);
  }
  Event text = event(EventKind::kOther);
  text.name = "text";  // a login confirmation's answer
  EXPECT_TRUE(is_consumed(text));
  for (const char* name : {"TEMPLATESENDJOBFINISH", "MASSSENDJOBFINISH", "LOCATION", "CLICK", "VIEW", "image", ""}) {
    Event other = event(EventKind::kOther);
    other.name = name;
    EXPECT_FALSE(is_consumed(other)) << name;
  }
}

TEST(IsForwarded, OnlyTheNamedKindsExactlyAsWeChatSpellsThem) {
  const std::vector<std::string> kinds = {"CLICK", "TEMPLATESENDJOBFINISH"};
  Event click = event(EventKind::kOther);
  click.name = "CLICK";
  EXPECT_TRUE(is_forwarded(click, kinds));
  for (const char* name : {"click", "VIEW", "CLICK ", ""}) {
    Event other = event(EventKind::kOther);
    other.name = name;
    EXPECT_FALSE(is_forwarded(other, kinds)) << name;
  }
  EXPECT_FALSE(is_forwarded(click, {}));
}

TEST(LocalDay, BeijingDaysStartAtSixteenHundredUtc) {
  constexpr std::int64_t kBeijing = 8 * 3600;
  // 2024-04-25 00:00 Beijing is 2024-04-24 16:00 UTC (1713974400).
  EXPECT_EQ(local_day(1'713'974'400, kBeijing), 19'838);  // days since 1970-01-01 of 2024-04-25
  EXPECT_EQ(local_day(1'714'060'799, kBeijing), 19'838);  // 23:59:59 the same day
  EXPECT_EQ(local_day(1'714'060'800, kBeijing), 19'839);
  EXPECT_EQ(local_day(1'713'974'399, kBeijing), 19'837);
  EXPECT_EQ(local_day(-1, 0), -1);
}

TEST(PlanIngest, AQrFollowIsCreditedTaggedAndGreeted) {
  IngestContext c;
  c.channel = store_channel();
  const auto p = plan_ingest(event(EventKind::kSubscribe), c, {});
  EXPECT_EQ(p.channel_id, 7);
  EXPECT_TRUE(p.open_subscription);
  EXPECT_FALSE(p.close_subscription);
  EXPECT_TRUE(p.remember_follower);
  EXPECT_EQ(p.counters, (Counters{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(p.tag_job, 134);
  EXPECT_EQ(p.reply.text, "欢迎关注！来自Store 1（store-01），店员 Li Lei。{unknown}");

  c.followed_before = true;
  EXPECT_EQ(plan_ingest(event(EventKind::kSubscribe), c, {}).counters, (Counters{1, 1, 0, 1, 0, 0}));
}

TEST(PlanIngest, AScanByAFollowerIsAnExistingScan) {
  IngestContext c;
  c.channel = store_channel();
  c.has_open_subscription = true;
  c.open_subscription_channel = 3;
  const auto p = plan_ingest(event(EventKind::kScan), c, {});
  EXPECT_EQ(p.channel_id, 7);
  EXPECT_FALSE(p.open_subscription);
  EXPECT_EQ(p.counters, (Counters{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(p.reply.text, "又见面了 Li Lei");
}

TEST(PlanIngest, AnUnfollowGoesToTheChannelThatBroughtTheFollower) {
  IngestContext c;
  c.has_open_subscription = true;
  c.open_subscription_channel = 3;
  c.open_subscription_started_at = 1'700'000'000;
  const auto p = plan_ingest(event(EventKind::kUnsubscribe), c, {});
  EXPECT_EQ(p.counters_channel, 3);
  EXPECT_EQ(p.cohort_channel, 3);  // the follow's cohort loses one
  EXPECT_EQ(p.cohort_followed_at, 1'700'000'000);
  EXPECT_FALSE(p.organic_unfollow);
  EXPECT_EQ(p.counters.unfollows, 1);
  EXPECT_TRUE(p.close_subscription);
  EXPECT_TRUE(p.forget_follower);
  EXPECT_EQ(p.reply.kind, ReplyChoice::Kind::kNone);

  c.open_subscription_channel = 0;  // an organic follower: no channel loses anything
  const auto organic = plan_ingest(event(EventKind::kUnsubscribe), c, {});
  EXPECT_FALSE(organic.counters_channel);
  EXPECT_FALSE(organic.cohort_channel);
  EXPECT_TRUE(organic.organic_unfollow);
  c.has_open_subscription = false;  // never seen following: nothing to close
  const auto q = plan_ingest(event(EventKind::kUnsubscribe), c, {});
  EXPECT_FALSE(q.close_subscription);
  EXPECT_TRUE(q.forget_follower);
  EXPECT_FALSE(q.organic_unfollow);
}

TEST(PlanIngest, OrganicFollowsGetTheDefaultReplyAndPausedChannelsNone) {
  ReplyDefaults d;
  d.organic_subscribe.kind = ReplyChoice::Kind::kText;
  d.organic_subscribe.text = "感谢关注";
  const auto organic = plan_ingest(event(EventKind::kSubscribe), {}, d);
  EXPECT_FALSE(organic.channel_id);
  EXPECT_TRUE(organic.open_subscription);
  EXPECT_EQ(organic.counters, Counters{});
  EXPECT_TRUE(organic.organic_follow);
  EXPECT_EQ(organic.reply.text, "感谢关注");

  IngestContext c;
  c.channel = store_channel();
  c.channel->active = false;
  const auto paused = plan_ingest(event(EventKind::kSubscribe), c, d);
  EXPECT_EQ(paused.channel_id, 7);  // still credited
  EXPECT_EQ(paused.reply.kind, ReplyChoice::Kind::kNone);

  IngestContext open;
  open.has_open_subscription = true;  // a follow while we think they follow: we missed an unfollow
  EXPECT_TRUE(plan_ingest(event(EventKind::kSubscribe), open, d).close_subscription);
}

TEST(PlanIngest, OtherPushesChangeNothing) {
  IngestContext c;
  c.channel = store_channel();
  const auto p = plan_ingest(event(EventKind::kOther), c, {});
  EXPECT_FALSE(p.channel_id);
  EXPECT_EQ(p.counters, Counters{});
  EXPECT_FALSE(p.open_subscription || p.close_subscription || p.forget_follower || p.remember_follower);
  EXPECT_EQ(p.reply.kind, ReplyChoice::Kind::kNone);
}

}  // namespace
}  // namespace qrscene::domain
