#include "base/csv.h"

#include <gtest/gtest.h>

namespace qrscene {
namespace {

using Rows = std::vector<std::vector<std::string>>;

TEST(Csv, QuotesDoubledQuotesAndLineEnds) {
  EXPECT_EQ(*parse_csv("a,b\r\n\"c,1\",\"say \"\"hi\"\"\"\n"), (Rows{{"a", "b"}, {"c,1", "say \"hi\""}}));
  EXPECT_EQ(*parse_csv("\"two\nlines\",x"), (Rows{{"two\nlines", "x"}}));
  EXPECT_EQ(*parse_csv("a,,\n"), (Rows{{"a", "", ""}}));
}

TEST(Csv, ABomAndBlankLinesAreSkipped) {
  EXPECT_EQ(*parse_csv("\xEF\xBB\xBFname\n\n\r\n渠道\n"), (Rows{{"name"}, {"渠道"}}));
  EXPECT_TRUE(parse_csv("")->empty());
}

TEST(Csv, AnUnclosedQuoteNamesItsLine) {
  const auto r = parse_csv("a\nb\n\"open,\nstill open");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "csv: the quote opened on line 3 is never closed");
}

}  // namespace
}  // namespace qrscene
