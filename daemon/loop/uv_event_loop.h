#pragma once
// EventLoop on libuv: post() through a uv_async handle, one uv_timer per timer. run() on the
// thread that is to own the loop; stop() from any thread. Handles are closed through
// uv_close before the loop is freed (libuv's rule: memory goes in the close callback).

#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <uv.h>

#include "daemon/loop/event_loop.h"

namespace zerobusd {

class UvEventLoop final : public EventLoop {
 public:
  UvEventLoop();
  ~UvEventLoop() override;
  UvEventLoop(const UvEventLoop&) = delete;
  UvEventLoop& operator=(const UvEventLoop&) = delete;

  // Runs until stop(); then runs what was posted before stop() and closes every handle.
  void run();
  void stop();  // thread-safe

  void post(Callback callback) override;
  TimerId addTimer(std::chrono::milliseconds delay, Callback callback) override;
  void cancelTimer(TimerId id) override;
  bool isLoopThread() const override;

  uv_loop_t* raw() { return &loop_; }

 private:
  struct Timer;
  static void onAsync(uv_async_t* handle);
  static void onTimer(uv_timer_t* handle);
  void drainPosted();
  void closeTimer(Timer* timer);

  uv_loop_t loop_{};
  uv_async_t async_{};
  std::mutex mu_;
  std::vector<Callback> posted_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread::id loop_thread_;
  TimerId next_timer_ = 1;
  std::map<TimerId, Timer*> timers_;
};

// A UvEventLoop running on its own thread, for tests and tools. Joins on destruction.
class LoopThread {
 public:
  LoopThread();
  ~LoopThread();
  UvEventLoop& loop() { return loop_; }
  // Runs `fn` on the loop thread and waits for it.
  void runSync(const std::function<void()>& fn);

 private:
  UvEventLoop loop_;
  std::thread thread_;
};

}  // namespace zerobusd
