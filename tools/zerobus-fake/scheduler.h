#pragma once
// A timer thread for the fake's delayed actions (delayed acks, close signals at a stream's end
// of life, ends after a grace period). Callbacks run on the scheduler's thread, one at a time;
// they must look their target up again (it may be gone) rather than hold a raw pointer.
// Thread-safe.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace zerobusd::fake {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  Scheduler();
  ~Scheduler();  // drops pending callbacks, joins the thread
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void at(Clock::time_point when, std::function<void()> callback);
  void after(std::chrono::milliseconds delay, std::function<void()> callback) {
    at(Clock::now() + delay, std::move(callback));
  }

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace zerobusd::fake
