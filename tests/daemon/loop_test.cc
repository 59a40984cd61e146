// UvEventLoop: posted work runs on the loop thread in order; timers fire once, in deadline
// order, and cancelled ones never; stop() ends run() with pending handles closed.

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/loop/uv_event_loop.h"

namespace zerobusd {
namespace {

TEST(UvEventLoop, PostedCallbacksRunOnTheLoopThreadInOrder) {
  LoopThread thread;
  std::vector<int> order;
  std::promise<void> done;
  for (int i = 0; i < 100; ++i) {
    thread.loop().post([&, i] {
      EXPECT_TRUE(thread.loop().isLoopThread());
      order.push_back(i);
      if (i == 99) done.set_value();
    });
  }
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  std::vector<int> expected(100);
  for (int i = 0; i < 100; ++i) expected[static_cast<size_t>(i)] = i;
  EXPECT_EQ(order, expected);
  EXPECT_FALSE(thread.loop().isLoopThread());
}

TEST(UvEventLoop, PostsFromManyThreadsAllRun) {
  LoopThread thread;
  std::atomic<int> count{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) thread.loop().post([&] { ++count; });
    });
  }
  for (auto& p : posters) p.join();
  thread.runSync([] {});
  EXPECT_EQ(count, 4000);
}

TEST(UvEventLoop, TimersFireInDeadlineOrderAndCancelledOnesNever) {
  LoopThread thread;
  std::vector<int> fired;
  std::promise<void> done;
  thread.runSync([&] {
    auto& loop = thread.loop();
    loop.addTimer(std::chrono::milliseconds(30), [&] { fired.push_back(3); });
    auto cancelled = loop.addTimer(std::chrono::milliseconds(10), [&] { fired.push_back(99); });
    loop.addTimer(std::chrono::milliseconds(5), [&] { fired.push_back(1); });
    loop.addTimer(std::chrono::milliseconds(50), [&] { done.set_value(); });
    loop.cancelTimer(cancelled);
    loop.cancelTimer(cancelled);  // twice is harmless
  });
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  thread.runSync([&] { EXPECT_EQ(fired, (std::vector<int>{1, 3})); });
}

TEST(UvEventLoop, TimerCallbackMayAddAndCancelTimers) {
  LoopThread thread;
  std::promise<int> result;
  thread.runSync([&] {
    auto& loop = thread.loop();
    loop.addTimer(std::chrono::milliseconds(1), [&] {
      auto other = loop.addTimer(std::chrono::milliseconds(1), [&] { result.set_value(-1); });
      loop.cancelTimer(other);
      loop.addTimer(std::chrono::milliseconds(2), [&] { result.set_value(7); });
    });
  });
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(future.get(), 7);
}

TEST(UvEventLoop, StopWithPendingTimersReturnsAndDropsThem) {
  std::atomic<bool> fired{false};
  {
    LoopThread thread;
    thread.runSync([&] {
      thread.loop().addTimer(std::chrono::hours(1), [&] { fired = true; });
    });
  }  // destructor stops and joins: must not wait for the hour
  EXPECT_FALSE(fired);
}

TEST(UvEventLoop, PostAfterStopIsDropped) {
  UvEventLoop loop;
  loop.stop();
  bool ran = false;
  loop.post([&] { ran = true; });
  loop.run();
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace zerobusd
