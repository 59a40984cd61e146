#pragma once
// The few calls of libsystemd's sd-daemon API zerobusd makes, behind plain C++ types so no
// other file includes <systemd/sd-daemon.h>. Outside systemd each is a harmless no-op:
// NOTIFY_SOCKET unset -> notify() sends nothing; WATCHDOG_USEC unset -> no watchdog;
// LISTEN_FDS unset -> no inherited sockets.
//
// Thread affinity: call from the main thread before other threads start (takeListenFds,
// watchdogInterval read the environment) or from the loop thread (notify).
// Error contract: failures to reach the service manager are logged once and otherwise
// ignored: they must never stop the daemon.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace zerobusd::systemd {

// True when a service manager asked to be notified ($NOTIFY_SOCKET is set).
bool notifySocketSet();

// Sends one notification ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET; nothing when unset.
void notify(std::string_view state);

// The watchdog interval the service manager expects pings within (WatchdogSec=), when it is
// enabled for this process.
std::optional<std::chrono::microseconds> watchdogInterval();

// Listening sockets passed by socket activation (LISTEN_FDS for this pid), marked
// close-on-exec; the LISTEN_* variables are removed so nothing inherits them by mistake.
std::vector<int> takeListenFds();

// CLOCK_MONOTONIC in microseconds, as MONOTONIC_USEC= in a RELOADING=1 notification wants it.
uint64_t monotonicUsec();

}  // namespace zerobusd::systemd
