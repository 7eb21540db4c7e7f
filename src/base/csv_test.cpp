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


// Accepted as it was, invalid UTF-8 later made the XLSX export write a corrupt workbook.
TEST(Csv, TextThatIsNotUtf8IsRefusedNamingItsLine) {
  auto bad = parse_csv("name,group\r\nA,线下\r\nB,\xd6\xd0\xce\xc4\r\n");  // GBK, as Excel saves by default
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("line 3"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("UTF-8"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_csv(std::string("a,b\nc,\0d\n", 10)));
  EXPECT_TRUE(parse_csv("\xEF\xBB\xBFname\n线下\n"));
}


// An unclosed quote rejected the whole upload; now it costs its own row, and each row says its line.
TEST(Csv, AnUnclosedQuoteCostsOneRowAndEveryRowKnowsItsLine) {
  auto r = read_csv("name,group\nA,\"线下\nB\"\n\nC,\"open\nD,x\nE,y\n");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].line, 5u);  // C's quote, never closed
  std::vector<std::pair<std::size_t, std::string>> rows;
  for (const auto& row : r->rows) rows.emplace_back(row.line, row.cells.front());
  // A's quoted group runs over lines 2-3; the blank line 4 is skipped; C is left out; D and E kept.
  const std::vector<std::pair<std::size_t, std::string>> expected{{1, "name"}, {2, "A"}, {6, "D"}, {7, "E"}};
  EXPECT_EQ(rows, expected);
  EXPECT_EQ(r->rows[1].cells, (std::vector<std::string>{"A", "线下\nB"}));
}

}  // namespace
}  // namespace qrscene
