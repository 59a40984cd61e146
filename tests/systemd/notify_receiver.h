#pragma once
// The service manager's end of sd_notify for tests: an AF_UNIX datagram socket a daemon is
// pointed at with NOTIFY_SOCKET, keeping every message with its arrival time. Waits are
// bounded; nothing sleeps.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zerobusd::testing {

struct Notification {
  std::string text;  // "READY=1\nSTATUS=..."
  std::chrono::steady_clock::time_point at;

  // True when one of its lines is exactly `line` ("READY=1").
  bool has(std::string_view line) const;
  // The value of `KEY=` when present.
  std::optional<std::string> field(std::string_view key) const;
};

class NotifyReceiver {
 public:
  explicit NotifyReceiver(std::string path);
  ~NotifyReceiver();
  NotifyReceiver(const NotifyReceiver&) = delete;
  NotifyReceiver& operator=(const NotifyReceiver&) = delete;

  const std::string& path() const { return path_; }
  bool ok() const { return fd_ >= 0; }
  // Reads until a message satisfying `pred` arrives (returned) or `limit` passes. Every message
  // read (matching or not) is appended to history().
  std::optional<Notification> waitFor(const std::function<bool(const Notification&)>& pred,
                                      std::chrono::milliseconds limit = std::chrono::seconds(20));
  std::optional<Notification> waitForLine(std::string_view line,
                                          std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    return waitFor([line](const Notification& n) { return n.has(line); }, limit);
  }
  const std::vector<Notification>& history() const { return history_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<Notification> history_;
};

}  // namespace zerobusd::testing
