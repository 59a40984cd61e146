#include "tools/zerobus-fake/scheduler.h"

namespace zerobusd::fake {

Scheduler::Scheduler() : thread_([this] { run(); }) {}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  thread_.join();
}

void Scheduler::at(Clock::time_point when, std::function<void()> callback) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queue_.emplace(when, std::move(callback));
  }
  cv_.notify_all();
}

void Scheduler::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto next = queue_.begin();
    if (next->first > Clock::now()) {
      // A copy: the queue (and so the node holding this key) may change while we wait.
      Clock::time_point when = next->first;
      cv_.wait_until(lock, when);
      continue;
    }
    std::function<void()> callback = std::move(next->second);
    queue_.erase(next);
    lock.unlock();
    callback();
    lock.lock();
  }
}

}  // namespace zerobusd::fake
