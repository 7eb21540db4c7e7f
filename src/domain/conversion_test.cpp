#include "domain/conversion.h"

#include <gtest/gtest.h>

namespace qrscene::domain {
namespace {

constexpr std::int64_t kNow = 1'790'000'000;

ConversionInput good() {
  ConversionInput c;
  c.appid = "wx1";
  c.external_id = "order-1";
  c.openid = "oAbC_12-3";
  c.kind = "order";
  c.value_cents = 9900;
  c.currency = "CNY";
  c.occurred_at = kNow - 60;
  return c;
}

TEST(ConversionTest, AGoodConversionPassesAndEveryProblemIsNamed) {
  EXPECT_TRUE(check_conversion(good(), kNow));
  ConversionInput c = good();
  c.unionid = "u1";  // both given
  c.external_id = "";
  c.kind = "Order!";
  c.value_cents = -1;
  c.currency = "rmb";
  c.occurred_at = kNow + 3600;
  const auto s = check_conversion(c, kNow);
  ASSERT_FALSE(s);
  for (const char* field : {"external_id:", "openid:", "kind:", "value_cents:", "currency:", "occurred_at:"}) {
    EXPECT_NE(s.error().message.find(field), std::string::npos) << field << " in " << s.error().message;
  }
  // The same problems by field, each message without its field's name.
  std::vector<std::string> fields;
  for (const auto& p : s.error().fields) fields.push_back(p.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"external_id", "openid", "kind", "value_cents", "currency", "occurred_at"}));
  EXPECT_EQ(s.error().fields.back().message, "in the future; send conversions after they happen");
  c = good();
  c.openid = "";
  EXPECT_FALSE(check_conversion(c, kNow));  // neither
  c.unionid = "o<script>";
  EXPECT_FALSE(check_conversion(c, kNow));
  c = good();
  c.occurred_at = 100;  // 1970
  EXPECT_FALSE(check_conversion(c, kNow));
  c.occurred_at = kNow + 200;  // a little clock skew is fine
  EXPECT_TRUE(check_conversion(c, kNow));
  c.external_id = std::string(129, 'x');
  EXPECT_FALSE(check_conversion(c, kNow));
  c.external_id = "a\nb";
  EXPECT_FALSE(check_conversion(c, kNow));
}

TEST(ConversionTest, SummariesCountPeopleOnceAndTimeTheirFirstConversion) {
  const std::vector<CreditedConversion> rows = {
      {true, "A", 1, "p1", 1000, 400, 500},   // p1: 600 s after the touch …
      {true, "A", 1, "p1", 900, 400, 300},    // … but this one is earlier: 500 s
      {true, "A", 1, "p2", 5000, 1000, 100},  // 4000 s
      {true, "A", 1, "p3", 2000, 1900, 100},  // 100 s
      {true, "B", 2, "p4", 700, 600, 2000},
      {true, "", 3, "p6", 700, 600, 1},       // a channel with no name… still its own row
      {false, "", 0, "", 800, 0, 50},         // unknown person
      {false, "", 0, "p5", 800, 0, 70},       // known, not attributed
  };
  const auto out = summarize_conversions(rows);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].key, "B");  // most valuable first
  EXPECT_EQ(out[0].value_cents, 2000);
  EXPECT_EQ(out[0].median_seconds_to_first, 100);
  const auto& a = out[1];
  EXPECT_EQ(a.key, "A");
  EXPECT_EQ(a.conversions, 4);
  EXPECT_EQ(a.converters, 3);
  EXPECT_EQ(a.value_cents, 1000);
  EXPECT_EQ(a.median_seconds_to_first, 500);  // of 100, 500, 4000
  EXPECT_EQ(a.mean_seconds_to_first, (100 + 500 + 4000) / 3);
  EXPECT_TRUE(out[2].attributed);
  EXPECT_EQ(out[2].conversions, 1);
  EXPECT_FALSE(out[3].attributed);  // the unattributed last
  EXPECT_EQ(out[3].conversions, 2);
  EXPECT_EQ(out[3].converters, 1);
  EXPECT_FALSE(out[3].median_seconds_to_first);
  auto f = a;
  set_followers(f, 0);
  EXPECT_FALSE(f.value_per_follower_cents);
  set_followers(f, 8);
  EXPECT_DOUBLE_EQ(*f.value_per_follower_cents, 125.0);
}

TEST(ConversionTest, TimesAreReadAsRfc3339LocalTimeOrUnixSeconds) {
  constexpr std::int64_t kCst = 8 * 3600;
  EXPECT_EQ(parse_time("1790000000", kCst), 1'790'000'000);
  EXPECT_EQ(parse_time("2026-11-21T02:00:00Z", kCst), 1'795'226'400);
  EXPECT_EQ(parse_time("2026-11-21T10:00:00+08:00", kCst), 1'795'226'400);
  EXPECT_EQ(parse_time("2026-11-21T10:00:00.250+08:00", kCst), 1'795'226'400);
  EXPECT_EQ(parse_time("2026-11-20T21:00:00-05:00", kCst), 1'795'226'400);
  EXPECT_EQ(parse_time("2026-11-21 10:00:00", kCst), 1'795'226'400);  // local time
  for (const char* bad : {"", "2026-11-21", "2026-11-21T10:00:00", "2026-13-01T00:00:00Z", "2026-11-21T25:00:00Z",
                          "2026-11-21T10:00:00+8", "tomorrow", "-5", "2026-11-21 10:00:00 CST"}) {
    EXPECT_FALSE(parse_time(bad, kCst)) << bad;
  }
  EXPECT_EQ(time_label(1'795'226'400, kCst), "2026-11-21 10:00:00");
  EXPECT_EQ(time_label(1'795'226'400, 0), "2026-11-21 02:00:00");
}

TEST(ConversionTest, NamesOfTouchesAndSortsRoundTrip) {
  EXPECT_EQ(touch_from(to_string(Touch::kFirst)), Touch::kFirst);
  EXPECT_EQ(touch_from(to_string(Touch::kLast)), Touch::kLast);
  EXPECT_FALSE(touch_from("middle"));
  EXPECT_EQ(follower_sort_from("left_at"), FollowerSort::kLeftAt);
  EXPECT_FALSE(follower_sort_from("openid"));
}

}  // namespace
}  // namespace qrscene::domain
