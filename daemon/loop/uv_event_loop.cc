#include "daemon/loop/uv_event_loop.h"

#include <cassert>
#include <future>
#include <utility>

namespace zerobusd {

struct UvEventLoop::Timer {
  uv_timer_t handle{};
  UvEventLoop* owner = nullptr;
  TimerId id = 0;
  Callback callback;
};

UvEventLoop::UvEventLoop() : loop_thread_(std::this_thread::get_id()) {
  // The constructing thread owns the loop until run() is called (maybe on another thread):
  // a composition root sets everything up on it before running the loop.
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &async_, &UvEventLoop::onAsync);
  async_.data = this;
}

UvEventLoop::~UvEventLoop() {
  poster_->detach();  // posts from threads that outlive us are dropped from now on
  // run() closed every handle; if it never ran, close them here.
  if (!stopped_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    for (auto& [id, timer] : timers_) {
      uv_close(reinterpret_cast<uv_handle_t*>(&timer->handle),
               [](uv_handle_t* h) { delete static_cast<Timer*>(h->data); });
    }
    timers_.clear();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop_);
}

void UvEventLoop::run() {
  loop_thread_ = std::this_thread::get_id();
  uv_run(&loop_, UV_RUN_DEFAULT);
  stopped_ = true;
}

void UvEventLoop::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  uv_async_send(&async_);
}

void UvEventLoop::post(Callback callback) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    posted_.push_back(std::move(callback));
  }
  uv_async_send(&async_);
}

void UvEventLoop::onAsync(uv_async_t* handle) {
  static_cast<UvEventLoop*>(handle->data)->drainPosted();
}

void UvEventLoop::drainPosted() {
  std::vector<Callback> batch;
  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    batch.swap(posted_);
    stopping = stopping_;
  }
  for (auto& callback : batch) callback();
  if (!stopping) return;
  // Stop: close every handle so uv_run returns.
  for (auto& [id, timer] : timers_) {
    uv_timer_stop(&timer->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer->handle),
             [](uv_handle_t* h) { delete static_cast<Timer*>(h->data); });
  }
  timers_.clear();
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  }
}

EventLoop::TimerId UvEventLoop::addTimer(std::chrono::milliseconds delay, Callback callback) {
  assert(isLoopThread());
  auto* timer = new Timer;
  timer->owner = this;
  timer->id = next_timer_++;
  timer->callback = std::move(callback);
  timer->handle.data = timer;
  uv_timer_init(&loop_, &timer->handle);
  uv_timer_start(&timer->handle, &UvEventLoop::onTimer,
                 static_cast<uint64_t>(std::max<int64_t>(0, delay.count())), 0);
  timers_[timer->id] = timer;
  return timer->id;
}

void UvEventLoop::onTimer(uv_timer_t* handle) {
  auto* timer = static_cast<Timer*>(handle->data);
  Callback callback = std::move(timer->callback);
  timer->owner->closeTimer(timer);
  callback();
}

void UvEventLoop::cancelTimer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  closeTimer(it->second);
}

void UvEventLoop::closeTimer(Timer* timer) {
  timers_.erase(timer->id);
  uv_timer_stop(&timer->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer->handle),
           [](uv_handle_t* h) { delete static_cast<Timer*>(h->data); });
}

bool UvEventLoop::isLoopThread() const { return std::this_thread::get_id() == loop_thread_; }

LoopThread::LoopThread() : thread_([this] { loop_.run(); }) {}

LoopThread::~LoopThread() {
  loop_.stop();
  thread_.join();
}

void LoopThread::runSync(const std::function<void()>& fn) {
  std::promise<void> done;
  loop_.post([&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace zerobusd
