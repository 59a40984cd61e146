#include "daemon/upstream/call_reaper.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

namespace zerobusd::upstream {
namespace {

class Reaper {
 public:
  Reaper() : thread_([this] { run(); }) {}

  void add(std::shared_ptr<grpc::Channel> channel) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(channel));
    ++handed_;
    cv_.notify_all();
  }

  void wait() {
    std::unique_lock lock(mu_);
    const uint64_t target = handed_;
    cv_.wait(lock, [&] { return done_ >= target; });
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return !queue_.empty(); });
      auto channel = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      channel.reset();  // off the lock: the last one to go joins gRPC's callback threads
      lock.lock();
      ++done_;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<grpc::Channel>> queue_;
  uint64_t handed_ = 0;
  uint64_t done_ = 0;
  std::thread thread_;
};

// Never destroyed: calls may finish while the process exits, after static destructors began.
Reaper& reaper() {
  static Reaper* instance = new Reaper();
  return *instance;
}

}  // namespace

void releaseOffGrpcThreads(std::shared_ptr<grpc::Channel> channel) { reaper().add(std::move(channel)); }

void waitReaped() { reaper().wait(); }

}  // namespace zerobusd::upstream
