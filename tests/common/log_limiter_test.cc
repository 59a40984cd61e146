// LogLimiter: a burst per key per period gets through, the rest is counted and reported.

#include <gtest/gtest.h>

#include "common/log_limiter.h"

namespace zerobusd {
namespace {

TEST(LogLimiter, LetsABurstThroughThenCountsWhatItDrops) {
  LogLimiter limiter(2, std::chrono::seconds(10));
  auto t0 = LogLimiter::Clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 0;
  EXPECT_TRUE(limiter.allow("k", &suppressed, t0));
  EXPECT_TRUE(limiter.allow("k", &suppressed, t0));
  EXPECT_FALSE(limiter.allow("k", &suppressed, t0));
  EXPECT_FALSE(limiter.allow("k", &suppressed, t0 + std::chrono::seconds(1)));
  EXPECT_TRUE(limiter.allow("other", &suppressed, t0));  // keys are independent
  EXPECT_EQ(suppressed, 0u);
  EXPECT_TRUE(limiter.allow("k", &suppressed, t0 + std::chrono::seconds(11)));
  EXPECT_EQ(suppressed, 2u);  // the first line of the new period says what was dropped
  EXPECT_EQ(LogLimiter::note(suppressed), " (2 similar not logged)");
  EXPECT_EQ(LogLimiter::note(0), "");
}

}  // namespace
}  // namespace zerobusd
