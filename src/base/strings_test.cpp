#include "base/strings.h"

#include <gtest/gtest.h>

namespace qrscene {
namespace {

TEST(Iequals, IgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_TRUE(iequals("SCAN", "scan"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("scan", "scan "));
  EXPECT_FALSE(iequals("scan", "scam"));
  EXPECT_FALSE(iequals("\xc3\x84", "\xc3\xa4"));  // non-ASCII letters are compared as bytes
  static_assert(iequals("Abc", "aBC"));
}

TEST(Utf8, FindsTheFirstBadByte) {
  EXPECT_EQ(first_invalid_utf8("plain ascii text, long enough for the fast path"), std::string_view::npos);
  EXPECT_EQ(first_invalid_utf8("\xe4\xb8\xad\xe6\x96\x87"), std::string_view::npos);
  EXPECT_EQ(first_invalid_utf8(std::string_view("ab\0c", 4)), 2u);        // NUL
  EXPECT_EQ(first_invalid_utf8("abc\xc0\xaf"), 3u);                      // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xed\xa0\x80"), 0u);                    // a surrogate
  EXPECT_EQ(first_invalid_utf8("0123456789\xe4\xb8"), 10u);              // cut short
}

TEST(Utf8, CountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("\xe5\xb9\xbf\xe4\xb8\x9c"), 2u);  // 广东
}

TEST(IsoDate, ParsesOnlyRealDates) {
  EXPECT_EQ(parse_iso_date("1970-01-01"), 0);
  EXPECT_EQ(parse_iso_date("2014-12-01"), 16405);
  EXPECT_EQ(parse_iso_date("2024-02-29"), 19782);
  EXPECT_EQ(parse_iso_date("2023-02-29"), std::nullopt);
  EXPECT_EQ(parse_iso_date("2024-13-01"), std::nullopt);
  EXPECT_EQ(parse_iso_date("2024-1-01"), std::nullopt);
  EXPECT_EQ(parse_iso_date("2024/01/01"), std::nullopt);
  EXPECT_EQ(parse_iso_date("２024-01-01"), std::nullopt);
  for (std::int64_t d : {0, 16405, 19782, 20000}) EXPECT_EQ(parse_iso_date(format_iso_date(d)), d);
  EXPECT_EQ(format_iso_date(16405), "2014-12-01");
}

TEST(Trim, DropsAsciiWhitespaceAtBothEnds) {
  EXPECT_EQ(trim("  1 \r\n"), "1");
  EXPECT_EQ(trim("\t \n"), "");
  EXPECT_EQ(trim("确认"), "确认");
}

TEST(FillPlaceholders, ReplacesKnownNamesOnly) {
  EXPECT_EQ(fill_placeholders("{a}-{b}-{c}", {{"a", "1"}, {"b", "{a}"}}), "1-{a}-{c}");
  EXPECT_EQ(fill_placeholders("{unclosed", {{"unclosed", "x"}}), "{unclosed");
  EXPECT_EQ(fill_placeholders("", {{"a", "1"}}), "");
}

}  // namespace
}  // namespace qrscene
