#pragma once
// Keeps a repeated log line from flooding the log: at most `burst` lines per key per `period`;
// the rest are counted, and the next line let through says how many were suppressed. A
// misbehaving producer reconnecting in a loop, or a stream failing every few milliseconds,
// then costs a few lines a minute instead of thousands.
// Thread affinity: one instance per thread (the daemon's loop owns its own).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace zerobusd {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogLimiter(int burst = 5, std::chrono::milliseconds period = std::chrono::seconds(60))
      : burst_(burst), period_(period) {}

  // True if a line for `key` may be logged now; `*suppressed` is how many were dropped since
  // the last one let through (to mention in it).
  // What a line let through appends for the `suppressed` lines dropped before it ("" if none).
  static std::string note(uint64_t suppressed) {
    return suppressed > 0 ? " (" + std::to_string(suppressed) + " similar not logged)" : "";
  }

  bool allow(const std::string& key, uint64_t* suppressed, Clock::time_point now = Clock::now()) {
    Window& w = windows_[key];
    if (now - w.start >= period_) {
      w.start = now;
      w.count = 0;
    }
    if (w.count < burst_) {
      ++w.count;
      *suppressed = w.suppressed;
      w.suppressed = 0;
      return true;
    }
    ++w.suppressed;
    return false;
  }

 private:
  struct Window {
    Clock::time_point start{};
    int count = 0;
    uint64_t suppressed = 0;
  };
  int burst_;
  std::chrono::milliseconds period_;
  std::map<std::string, Window> windows_;
};

}  // namespace zerobusd
