#include "base/log_text.h"

#include <gtest/gtest.h>

namespace qrscene {
namespace {

TEST(LogText, PlainValuesStayAsTheyAre) {
  EXPECT_EQ(log_text("wx1234567890abcdef"), "wx1234567890abcdef");
  EXPECT_EQ(log_text("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(log_text("渠道"), "渠道");
}

TEST(LogText, NoValueCanEndALineOrForgeAField) {
  // An appid in a URL path: /wechat/x%0d%0a[2026-12-06 08:00:00.000] [info] admin login ok
  const std::string forged = log_text("x\r\n[2026-12-06 08:00:00.000] [info] admin login ok");
  EXPECT_EQ(forged.find('\n'), std::string::npos);
  EXPECT_EQ(forged.find('\r'), std::string::npos);
  EXPECT_EQ(forged, "\"x\\r\\n[2026-12-06 08:00:00.000] [info] admin login ok\"");
  EXPECT_EQ(log_text("a\" status=200 b=\"c"), "\"a\\\" status=200 b=\\\"c\"");
  EXPECT_EQ(log_text(std::string_view("\x00\x1b[31m\x7f", 7)), "\"\\x00\\x1b[31m\\x7f\"");
  EXPECT_EQ(log_text("bad \xff\xfe utf8"), "\"bad \\xff\\xfe utf8\"");
  EXPECT_EQ(log_text(""), "\"\"");
  // Well-formed UTF-8 that some viewers take as a line end or a reordering.
  EXPECT_EQ(log_text("a\u0085b"), "\"a\\u{0085}b\"");            // NEL
  EXPECT_EQ(log_text("a\u2028b\u2029"), "\"a\\u{2028}b\\u{2029}\"");
  EXPECT_EQ(log_text("\u202egnp.exe"), "\"\\u{202e}gnp.exe\"");    // right-to-left override
  EXPECT_EQ(log_text("\u2066x\u2069"), "\"\\u{2066}x\\u{2069}\"");
}

TEST(LogText, LongValuesAreCutWithTheirLength) {
  const std::string long_value(1000, 'a');
  const std::string shown = log_text(long_value);
  EXPECT_LT(shown.size(), 300u);
  EXPECT_NE(shown.find("(1000 bytes)"), std::string::npos);
}

TEST(LogThrottle, OneLinePerIntervalCarryingWhatWasLeftOut) {
  LogThrottle throttle(std::chrono::seconds(10));
  const auto t0 = LogThrottle::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_EQ(throttle.admit("store_failed", t0), 0);
  for (int i = 1; i < 3212; ++i) EXPECT_FALSE(throttle.admit("store_failed", t0 + std::chrono::milliseconds(i * 3)));
  EXPECT_EQ(throttle.admit("other", t0 + std::chrono::seconds(1)), 0);  // keys are counted apart
  EXPECT_EQ(throttle.admit("store_failed", t0 + std::chrono::seconds(10)), 3211);
  EXPECT_FALSE(throttle.admit("store_failed", t0 + std::chrono::seconds(11)));
  EXPECT_EQ(throttle.admit("store_failed", t0 + std::chrono::seconds(25)), 1);
}

}  // namespace
}  // namespace qrscene
