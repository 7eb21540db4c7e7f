#include "domain/campaign.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

namespace qrscene::domain {
namespace {

constexpr std::int64_t kStart = 1'800'000'000;
constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 86400;

Campaign campaign() {
  Campaign c;
  c.id = 3;
  c.appid = "wx1";
  c.name = "双11 助力";
  c.starts_at = kStart;
  c.ends_at = kStart + 14 * kDay;
  c.triggers.keywords = {"助力"};
  c.triggers.click_keys = {"JOIN_CAMPAIGN"};
  c.triggers.channel_ids = {7};
  c.tiers = {{3, "优惠券 10 元", "COUPON10"}, {10, "保温杯一个", "CUP"}};
  c.rules.keep_seconds = 2 * kDay;
  c.rules.hourly_cap = 5;
  return c;
}

std::vector<std::string> codes_of(const Status& s) {
  std::vector<std::string> out;
  for (const auto& f : s.error().fields) out.push_back(f.field + ":" + f.code);
  return out;
}

TEST(Campaign, AValidCampaignPasses) { EXPECT_TRUE(validate_campaign(campaign())); }

TEST(Campaign, EachProblemNamesItsFieldAndCode) {
  Campaign c = campaign();
  c.name = "  ";
  c.ends_at = c.starts_at;
  c.triggers = {};
  c.tiers = {{3, "a", ""}, {3, "", ""}, {0, "b", ""}};
  c.rules.keep_seconds = 31 * kDay;
  c.rules.hourly_cap = 0;
  const Status s = validate_campaign(c);
  ASSERT_FALSE(s);
  EXPECT_EQ(codes_of(s), (std::vector<std::string>{
                             "name:required", "ends_at:range_reversed", "triggers:no_trigger",
                             "tiers[1].invites:not_increasing", "tiers[1].reward_text:required",
                             "tiers[2].invites:out_of_range", "rules.keep_seconds:out_of_range",
                             "rules.hourly_cap:out_of_range"}));
  EXPECT_EQ(s.error().fields[3].params.at("min"), "4");
}

TEST(Campaign, TooManyTiersAndALongNameAreRefused) {
  Campaign c = campaign();
  c.name = std::string(201, 'x');
  c.tiers.clear();
  for (int i = 1; i <= 11; ++i) c.tiers.push_back({i, "奖品", ""});
  const Status s = validate_campaign(c);
  ASSERT_FALSE(s);
  EXPECT_EQ(codes_of(s), (std::vector<std::string>{"name:too_long", "tiers:too_many"}));
}

TEST(InviteScene, RoundTripsAndRefusesEverythingElse) {
  const std::string scene = invite_scene({3, 1207});
  EXPECT_EQ(scene, "qrf_3_1207");
  EXPECT_LE(scene.size(), 64u);
  EXPECT_EQ(parse_invite_scene(scene), (InviteScene{3, 1207}));
  EXPECT_EQ(parse_invite_scene(invite_scene({9007199254740992, 9007199254740992})),
            (InviteScene{9007199254740992, 9007199254740992}));
  for (const char* other : {"qrf_", "qrf_3", "qrf_3_", "qrf__7", "qrf_03_7", "qrf_3_7x", "qrf_-3_7", "qrf_0_7",
                            "qrf_3_7_1", "qrl_3_7", "store-a", "qrf_99999999999999999_1"}) {
    EXPECT_FALSE(parse_invite_scene(other)) << other;
  }
}

TEST(Campaign, AKeywordAClickOrAChannelJoinsInsideTheWindowOnly) {
  const Campaign c = campaign();
  Event text;
  text.name = "text";
  text.content = "  助力 ";
  text.create_time = kStart + kHour;
  EXPECT_TRUE(joins_campaign(c, text, 0));
  text.content = "助力吧";
  EXPECT_FALSE(joins_campaign(c, text, 0));

  Event click;
  click.name = "CLICK";
  click.key = "JOIN_CAMPAIGN";
  click.create_time = kStart;
  EXPECT_TRUE(joins_campaign(c, click, 0));
  click.create_time = c.ends_at;
  EXPECT_FALSE(joins_campaign(c, click, 0));  // the window is [starts_at, ends_at)
  click.create_time = kStart - 1;
  EXPECT_FALSE(joins_campaign(c, click, 0));

  Event follow;
  follow.name = "subscribe";
  follow.kind = EventKind::kSubscribe;
  follow.create_time = kStart + kDay;
  EXPECT_TRUE(joins_campaign(c, follow, 7));
  EXPECT_FALSE(joins_campaign(c, follow, 8));
  EXPECT_FALSE(joins_campaign(c, follow, 0));
  Event left = follow;
  left.kind = EventKind::kUnsubscribe;
  left.name = "unsubscribe";
  EXPECT_FALSE(joins_campaign(c, left, 7));
}

TEST(Invite, OnlyAFirstFollowFromSomeoneElseInsideTheCapCounts) {
  const Campaign c = campaign();
  InviteFacts f{kStart + kHour, "friend", false, "inviter", 0};
  EXPECT_EQ(decide_invite(c, f), InviteOutcome::kCounted);

  InviteFacts again = f;
  again.invitee_followed_before = true;
  EXPECT_EQ(decide_invite(c, again), InviteOutcome::kNotFirstFollow);

  InviteFacts self = f;
  self.invitee_openid = "inviter";
  EXPECT_EQ(decide_invite(c, self), InviteOutcome::kSelfInvite);

  InviteFacts capped = f;
  capped.inviter_counted_this_hour = c.rules.hourly_cap;
  EXPECT_EQ(decide_invite(c, capped), InviteOutcome::kOverHourlyCap);
  capped.inviter_counted_this_hour = c.rules.hourly_cap - 1;
  EXPECT_EQ(decide_invite(c, capped), InviteOutcome::kCounted);

  InviteFacts late = f;
  late.followed_at = c.ends_at;
  EXPECT_EQ(decide_invite(c, late), InviteOutcome::kOutsideWindow);
  EXPECT_EQ(to_string(InviteOutcome::kOverHourlyCap), "over_hourly_cap");
}

TEST(Invite, AnUnfollowIsTakenBackWithinTheKeepTimeOrBeforeTheReward) {
  const Campaign c = campaign();  // tiers at 3 and 10; keep 2 days
  const std::int64_t followed = kStart + kHour;
  // Within the keep time: taken back even after the reward.
  EXPECT_TRUE(takes_back(c, followed, followed + kDay, 2, 3));
  // After it: taken back only if the inviter has not been rewarded for the invite's tier yet.
  EXPECT_TRUE(takes_back(c, followed, followed + 3 * kDay, 2, 0));
  EXPECT_FALSE(takes_back(c, followed, followed + 3 * kDay, 2, 3));
  EXPECT_TRUE(takes_back(c, followed, followed + 3 * kDay, 4, 3));   // the 4th counts toward 10
  EXPECT_FALSE(takes_back(c, followed, followed + 3 * kDay, 4, 10));
  EXPECT_FALSE(takes_back(c, followed, followed + 3 * kDay, 11, 10));  // beyond the last tier
  // The keep time's edge: exactly keep_seconds later is kept.
  EXPECT_FALSE(takes_back(c, followed, followed + c.rules.keep_seconds, 1, 3));
  EXPECT_TRUE(takes_back(c, followed, followed + c.rules.keep_seconds - 1, 1, 3));
  // After the campaign the counts are final.
  EXPECT_FALSE(takes_back(c, c.ends_at - kHour, c.ends_at, 1, 0));
  Campaign ended = c;
  ended.status = "ended";
  EXPECT_FALSE(takes_back(ended, followed, followed + kHour, 1, 0));
}

TEST(Invite, EachTierIsGrantedOnceEvenWhenTheCountFallsAndRisesAgain) {
  const Campaign c = campaign();
  EXPECT_TRUE(tiers_to_grant(c, 2, {}).empty());
  const auto first = tiers_to_grant(c, 3, {});
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].reward_code, "COUPON10");
  EXPECT_TRUE(tiers_to_grant(c, 3, {3}).empty());  // back to 3 after a take-back: nothing again
  const auto both = tiers_to_grant(c, 12, {});
  ASSERT_EQ(both.size(), 2u);  // a jump past two tiers grants both, lowest first
  EXPECT_EQ(both[1].reward_code, "CUP");
  EXPECT_EQ(tiers_to_grant(c, 12, {3}).size(), 1u);
}

TEST(Invite, TheInviterIsToldHowFarTheNextRewardIs) {
  const Campaign c = campaign();
  EXPECT_EQ(progress_text(c, 1, false), "又有 1 位好友为你助力！已邀请 1 人，还差 2 人可得：优惠券 10 元");
  EXPECT_EQ(progress_text(c, 3, false), "又有 1 位好友为你助力！已邀请 3 人，还差 7 人可得：保温杯一个");
  EXPECT_EQ(progress_text(c, 2, true), "1 位好友已取消关注，助力已撤回。已邀请 2 人，还差 1 人可得：优惠券 10 元");
  EXPECT_EQ(progress_text(c, 10, false), "已邀请 10 人，所有奖励均已达成，感谢参与！");
  EXPECT_EQ(reward_text(c, c.tiers[0], 3), "恭喜！你已邀请 3 人，获得：优惠券 10 元");
}

TEST(Invite, NothingCountsForAnInviterWhoLeftOrACampaignEndedEarly) {
  Campaign c = campaign();
  InviteFacts f{kStart + kHour, "friend", false, "", 0};
  EXPECT_EQ(decide_invite(c, f), InviteOutcome::kInviterLeft);
  f.inviter_openid = "inviter";
  c.status = "ended";
  EXPECT_EQ(decide_invite(c, f), InviteOutcome::kOutsideWindow);
}

TEST(Campaign, ATriggerOrAFriendsCodeJoinsAndIsAnsweredAtOnce) {
  Campaign c = campaign();
  c.invitee_reply = "感谢助力";
  Campaign other = campaign();
  other.id = 4;
  other.appid = "wx2";  // another account's
  other.triggers.keywords = {"海报"};
  const std::vector<Campaign> all{other, c};

  Event text;
  text.appid = "wx1";
  text.name = "text";
  text.content = " 助力 ";
  text.create_time = kStart + kHour;
  EXPECT_EQ(campaign_joined(all, text, 0), &all[1]);
  EXPECT_EQ(campaign_reply(all, text, 0)->text, c.join_reply);
  text.content = "海报";  // the other account's keyword
  EXPECT_EQ(campaign_joined(all, text, 0), nullptr);
  EXPECT_FALSE(campaign_reply(all, text, 0));

  Event click;
  click.appid = "wx1";
  click.name = "CLICK";
  click.key = "JOIN_CAMPAIGN";
  click.create_time = kStart + kHour;
  EXPECT_TRUE(campaign_wants(all, click));
  click.key = "OTHER";
  EXPECT_FALSE(campaign_wants(all, click));

  Event follow;
  follow.appid = "wx1";
  follow.name = "subscribe";
  follow.kind = EventKind::kSubscribe;
  follow.scene = invite_scene({3, 12});
  follow.create_time = kStart + kHour;
  EXPECT_EQ(campaign_of_invite(all, follow), &all[1]);
  EXPECT_EQ(campaign_joined(all, follow, 0), &all[1]);  // invitees join by default
  EXPECT_EQ(campaign_reply(all, follow, 0)->text, c.join_reply);
  std::vector<Campaign> closed = all;
  closed[1].invitees_join = false;
  EXPECT_EQ(campaign_joined(closed, follow, 0), nullptr);
  EXPECT_EQ(campaign_reply(closed, follow, 0)->text, "感谢助力");
  follow.scene = invite_scene({9, 12});  // no such campaign
  EXPECT_EQ(campaign_of_invite(all, follow), nullptr);
  follow.scene = invite_scene({3, 12});
  follow.create_time = c.ends_at;
  EXPECT_EQ(campaign_of_invite(all, follow), nullptr);
}

TEST(Campaign, ATriggerAnotherRunningCampaignAnswersIsAClashOnlyWhileBothRun) {
  const Campaign a = campaign();
  Campaign b = campaign();
  b.id = 4;
  b.triggers = {{"海报", "助力"}, {"JOIN_CAMPAIGN"}, {8}};
  auto clashes = trigger_clashes(b, std::vector<Campaign>{a});
  ASSERT_EQ(clashes.size(), 2u);
  EXPECT_EQ(clashes[0].field, "triggers.keywords[1]");
  EXPECT_EQ(clashes[0].code, "trigger_taken");
  EXPECT_EQ(clashes[0].params.at("campaign_id"), "3");
  EXPECT_EQ(clashes[1].field, "triggers.click_keys[0]");
  b.starts_at = a.ends_at;  // after it
  b.ends_at = a.ends_at + kDay;
  EXPECT_TRUE(trigger_clashes(b, std::vector<Campaign>{a}).empty());
  Campaign ended = a;
  ended.status = "ended";
  b.starts_at = a.starts_at;
  EXPECT_TRUE(trigger_clashes(b, std::vector<Campaign>{ended}).empty());
  Campaign other_account = a;
  other_account.appid = "wx2";
  EXPECT_TRUE(trigger_clashes(b, std::vector<Campaign>{other_account}).empty());
  b.triggers.channel_ids = {7};
  EXPECT_EQ(trigger_clashes(b, std::vector<Campaign>{a}).back().field, "triggers.channel_ids[0]");
}

TEST(Campaign, NewFieldsAreCheckedByField) {
  Campaign c = campaign();
  c.status = "paused";
  c.poster.format = "gif";
  c.poster.lines = {PosterLine{.text = "x", .align = "middle"}};
  c.texts.counted = "";
  c.ends_at = std::numeric_limits<std::int64_t>::max();  // an overflow waiting to happen: refused
  const Status s = validate_campaign(c);
  ASSERT_FALSE(s);
  EXPECT_EQ(codes_of(s), (std::vector<std::string>{"ends_at:range_too_long", "status:not_one_of", "texts.counted:required",
                                                   "poster.format:not_one_of", "poster.lines[0].align:not_one_of"}));
}

}  // namespace
}  // namespace qrscene::domain
