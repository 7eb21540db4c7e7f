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

}  // namespace
}  // namespace qrscene
