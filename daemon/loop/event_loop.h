#pragma once
// The event loop that owns daemon state. Other threads (gRPC callbacks, the token fetcher)
// never touch that state: they post() closures to the loop. Timers and now() are for the loop
// thread. Implementations: UvEventLoop (libuv); tests may drive any other.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace zerobusd {

class EventLoop;

// Posts to a loop that may be gone: threads that can outlive the loop (gRPC's callback
// threads) hold one of these, and what they post after the loop's destruction is dropped.
class LoopPoster {
 public:
  explicit LoopPoster(EventLoop* loop) : loop_(loop) {}
  void post(std::function<void()> callback);
  void detach() {
    std::lock_guard lock(mu_);
    loop_ = nullptr;
  }

 private:
  std::mutex mu_;
  EventLoop* loop_;
};

class EventLoop {
 public:
  using Callback = std::function<void()>;
  using Clock = std::chrono::steady_clock;
  using TimerId = uint64_t;

  virtual ~EventLoop() = default;

  // Runs `callback` on the loop thread, soon, in posting order. Thread-safe. Callbacks posted
  // after the loop stopped are dropped (their captures destroyed).
  virtual void post(Callback callback) = 0;

  // Loop thread only. Runs `callback` once after `delay`. Returns an id for cancelTimer().
  virtual TimerId addTimer(std::chrono::milliseconds delay, Callback callback) = 0;
  // Loop thread only. Harmless for a timer that fired or was cancelled.
  virtual void cancelTimer(TimerId id) = 0;

  virtual bool isLoopThread() const = 0;
  virtual Clock::time_point now() const { return Clock::now(); }

  // Implementations call poster_->detach() first thing in their destructor.
  const std::shared_ptr<LoopPoster>& poster() const { return poster_; }

 protected:
  std::shared_ptr<LoopPoster> poster_ = std::make_shared<LoopPoster>(this);
};

inline void LoopPoster::post(std::function<void()> callback) {
  std::lock_guard lock(mu_);
  if (loop_ != nullptr) loop_->post(std::move(callback));
}

}  // namespace zerobusd
