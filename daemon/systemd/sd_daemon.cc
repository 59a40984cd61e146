#include "daemon/systemd/sd_daemon.h"

#include <systemd/sd-daemon.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include <spdlog/spdlog.h>

namespace zerobusd::systemd {

bool notifySocketSet() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && socket[0] != '\0';
}

void notify(std::string_view state) {
  if (!notifySocketSet()) return;
  std::string message(state);
  int rc = sd_notify(0, message.c_str());
  if (rc < 0) {
    // Once: a service manager that went away must not flood the log every few seconds.
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) spdlog::warn("cannot notify the service manager: {}", std::strerror(-rc));
  }
}

std::optional<std::chrono::microseconds> watchdogInterval() {
  uint64_t usec = 0;
  int rc = sd_watchdog_enabled(0, &usec);
  if (rc < 0) {
    spdlog::warn("ignoring the watchdog settings in the environment: {}", std::strerror(-rc));
    return std::nullopt;
  }
  if (rc == 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(static_cast<int64_t>(usec));
}

std::vector<int> takeListenFds() {
  int n = sd_listen_fds(1);
  if (n < 0) {
    spdlog::warn("ignoring the sockets passed by the service manager: {}", std::strerror(-n));
    return {};
  }
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) fds.push_back(SD_LISTEN_FDS_START + i);
  return fds;
}

uint64_t monotonicUsec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000U + static_cast<uint64_t>(now.tv_nsec) / 1000U;
}

}  // namespace zerobusd::systemd
