#include <string>

#include <gtest/gtest.h>

#include "tools/zerobusctl/duration.h"
#include "tools/zerobusctl/json_depth.h"

namespace zerobusd::ctl {
namespace {

using std::chrono::milliseconds;

TEST(DurationTest, ParsesUnitsAndBareSeconds) {
  EXPECT_EQ(parseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(parseDuration("5s"), milliseconds(5000));
  EXPECT_EQ(parseDuration("2m"), milliseconds(120000));
  EXPECT_EQ(parseDuration("1.5"), milliseconds(1500));
  EXPECT_EQ(parseDuration("24h"), std::nullopt);  // no hours: say 1440m
  EXPECT_EQ(parseDuration("1440m"), milliseconds(86'400'000));
}

TEST(DurationTest, RefusesNonsense) {
  for (const char* bad :
       {"", "s", "ms", "-1s", "0", "0.0001", "1441m", "5 s", "abc", "1e400", "nan", "0x10"}) {
    EXPECT_EQ(parseDuration(bad), std::nullopt) << bad;
  }
}

TEST(JsonDepthTest, CountsNestingOutsideStrings) {
  EXPECT_TRUE(jsonDepthWithin(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_FALSE(jsonDepthWithin(R"({"a":[1,{"b":2}]})", 2));
  EXPECT_TRUE(jsonDepthWithin(R"({"a":"[[[[[[\"[[["})", 1));
  EXPECT_FALSE(jsonDepthWithin(std::string(1000, '['), 999));
}

}  // namespace
}  // namespace zerobusd::ctl
