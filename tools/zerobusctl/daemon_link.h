#pragma once
// How every daemon command reaches zerobusd: the global options (--socket, --timeout), the
// socket path they resolve to, and a connect that turns the client library's errors into one
// clear line.
//
// Thread affinity: main thread. Error contract: connect failures come back as the client's
// Error, with a message naming the socket path; the caller picks the exit code
// (ExitCode::kUnreachable for these).

#include <chrono>
#include <functional>
#include <string>

#include "zerobusd/client.h"

namespace zerobusd::ctl {

struct GlobalOptions {
  std::string socket;  // --socket; empty: $ZEROBUSD_SOCKET, then the default path
  std::chrono::milliseconds timeout{30'000};
};

// --socket, else $ZEROBUSD_SOCKET when set and non-empty, else /run/zerobusd/zerobusd.sock.
std::string resolveSocketPath(const GlobalOptions& options);

struct ConnectSettings {
  AckLevels ack_levels = AckLevels::kBoth;
  std::chrono::milliseconds connect_timeout{30'000};
  bool reconnect = false;  // a command runs on one connection; a lost one ends it
  // Connection-level events (lost, daemon shutting down); runs on the I/O thread, must not block.
  std::function<void(const Error&)> on_error;
};

// Connects to the daemon. On failure the Error's message reads
// "zerobusd is not reachable: <why, naming the socket path> (<hint>)".
Result<Client> connectDaemon(const GlobalOptions& options, const ConnectSettings& settings);

}  // namespace zerobusd::ctl
