#include "common/format.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

std::string D(double v, bool f = false) {
  std::string s;
  AppendDouble(&s, v, f);
  return s;
}

TEST(FormatTest, DoublesAreShortestAndKeepAFraction) {
  EXPECT_EQ(D(100), "100.0");
  EXPECT_EQ(D(0.1), "0.1");
  EXPECT_EQ(D(0.1f, true), "0.1");
  EXPECT_EQ(D(static_cast<float>(0.1)), "0.10000000149011612");
  EXPECT_EQ(D(1.0 / 0.0), "null");
}

TEST(FormatTest, DecimalsParseExactlyAndRoundHalfAwayFromZero) {
  int64_t v;
  ASSERT_TRUE(ParseDecimal("19.99", 2, &v));
  EXPECT_EQ(v, 1999);
  ASSERT_TRUE(ParseDecimal("-2.555", 2, &v));
  EXPECT_EQ(v, -256);
  ASSERT_TRUE(ParseDecimal("3", 3, &v));
  EXPECT_EQ(v, 3000);
  EXPECT_FALSE(ParseDecimal("1.2.3", 2, &v));
  EXPECT_FALSE(ParseDecimal("abc", 2, &v));
  EXPECT_FALSE(ParseDecimal("99999999999999999999", 0, &v));
  std::string s;
  AppendDecimal(&s, -5, 2);
  EXPECT_EQ(s, "-0.05");
}

TEST(FormatTest, RescaleRounds) {
  int64_t v;
  ASSERT_TRUE(RescaleDecimal(12345, 3, 1, &v));
  EXPECT_EQ(v, 123);
  ASSERT_TRUE(RescaleDecimal(-12355, 3, 2, &v));
  EXPECT_EQ(v, -1236);
  EXPECT_FALSE(RescaleDecimal(INT64_MAX / 2, 0, 5, &v));
}

TEST(FormatTest, Iso8601RoundTrips) {
  int64_t ms;
  ASSERT_TRUE(ParseIso8601("2023-10-08T00:00:00Z", &ms));
  EXPECT_EQ(ms, 1696723200000);
  ASSERT_TRUE(ParseIso8601("2023-10-08T02:00:00.5+02:00", &ms));
  EXPECT_EQ(ms, 1696723200500);
  ASSERT_TRUE(ParseIso8601("1969-12-31T23:59:59Z", &ms));
  EXPECT_EQ(ms, -1000);
  EXPECT_FALSE(ParseIso8601("2023-13-01T00:00:00Z", &ms));
  EXPECT_FALSE(ParseIso8601("yesterday", &ms));
  std::string s;
  AppendIso8601(&s, -1);
  EXPECT_EQ(s, "1969-12-31T23:59:59.999Z");
}

TEST(FormatTest, TimePatterns) {
  int64_t ms;
  ASSERT_TRUE(ParseTimePattern("2023-10-08 00:01:02", "%Y-%m-%d %H:%M:%S", &ms));
  EXPECT_EQ(ms, 1696723262000);
  EXPECT_FALSE(ParseTimePattern("2023/10/08", "%Y-%m-%d", &ms));
}

TEST(FormatTest, IntegersRejectTrailingJunk) {
  int64_t v;
  EXPECT_TRUE(ParseInt64(" 42 ", &v));
  EXPECT_EQ(v, 42);
  EXPECT_FALSE(ParseInt64("42x", &v));
  EXPECT_FALSE(ParseInt64("", &v));
  EXPECT_FALSE(ParseInt64("9223372036854775808", &v));
}

TEST(FormatTest, JsonStringsAreEscaped) {
  std::string s;
  AppendJsonString(&s, "a\"b\\c\n\x01");
  EXPECT_EQ(s, "\"a\\\"b\\\\c\\n\\u0001\"");
}

}  // namespace
}  // namespace sluice
