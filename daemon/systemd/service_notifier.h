#pragma once
// Tells the service manager (systemd, Type=notify) what the daemon is doing: READY=1 once the
// socket listens, RELOADING=1 ... READY=1 around a reload, STOPPING=1 when the drain starts,
// a STATUS= line refreshed from the event loop (at most once per status_interval, and only
// when it changed), and WATCHDOG=1 pings from a loop timer at half the WatchdogSec interval,
// so a loop that hangs stops pinging and systemd kills and restarts the daemon.
// Outside systemd (no NOTIFY_SOCKET) every method is a no-op and no timer is armed.
//
// Thread affinity: loop thread only (construct it there too, like Server).
// Error contract: none; notifications that cannot be delivered are dropped (sd_daemon.h).

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/loop/event_loop.h"
#include "daemon/systemd/sd_daemon.h"
#include "daemon/systemd/status_line.h"

namespace zerobusd::systemd {

struct ServiceNotifierOptions {
  bool enabled = false;  // a service manager listens ($NOTIFY_SOCKET)
  std::optional<std::chrono::microseconds> watchdog;
  std::chrono::milliseconds status_interval{5000};

  // From this process's environment (NOTIFY_SOCKET, WATCHDOG_USEC/WATCHDOG_PID).
  static ServiceNotifierOptions fromEnvironment();
};

class ServiceNotifier {
 public:
  using Send = std::function<void(std::string_view state)>;
  // `status_json`: the daemon's status document (Server::statusJson()), read on the loop.
  ServiceNotifier(EventLoop& loop, ServiceNotifierOptions options, std::function<std::string()> status_json,
                  Send send = &notify);
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // Listening and configured: READY=1 with the first STATUS; starts the watchdog and the
  // periodic status.
  void started();
  // A SIGHUP arrived: RELOADING=1 (with MONOTONIC_USEC, which systemd 253+ requires).
  void reloading();
  // The reload finished, applied or refused: READY=1 and `outcome` as the STATUS.
  void reloaded(std::string_view outcome);
  // The drain began: STOPPING=1. Status and watchdog go on until the loop stops.
  void stopping();
  // Start failed: the reason as STATUS, for `systemctl status`.
  void failed(std::string_view why);

  bool enabled() const { return options_.enabled; }
  std::optional<std::chrono::milliseconds> watchdogPeriod() const;

 private:
  void pingWatchdog();
  void refreshStatus();
  std::string statusLine();

  EventLoop& loop_;
  ServiceNotifierOptions options_;
  std::function<std::string()> status_json_;
  Send send_;
  StatusLine line_;
  std::string last_status_;
  std::optional<EventLoop::TimerId> watchdog_timer_;
  std::optional<EventLoop::TimerId> status_timer_;
};

}  // namespace zerobusd::systemd
