#pragma once
// The real zerobusd binary started the way systemd starts it: a chosen environment
// (NOTIFY_SOCKET, WATCHDOG_USEC, CREDENTIALS_DIRECTORY, ...), stdout and stderr to a log file,
// and optionally a listening socket passed as fd 3 with LISTEN_FDS=1 and LISTEN_PID set to the
// child's own pid (what socket activation does between fork and exec). The child is killed and
// reaped if the test ends first.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace zerobusd::testing {

struct SpawnOptions {
  std::string binary;
  std::vector<std::string> args;
  // "NAME=value" entries added to this process's environment, from which the systemd
  // variables (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*, CREDENTIALS_DIRECTORY) are removed first.
  std::vector<std::string> env;
  std::string log_path;
  int listen_fd = -1;  // >= 0: becomes fd 3 of the child, announced by LISTEN_FDS/LISTEN_PID
};

class DaemonProcess {
 public:
  explicit DaemonProcess(const SpawnOptions& options);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  bool signal(int signum) const;
  // The exit code (128 + signal number when killed) once it exits within `limit`.
  std::optional<int> waitExit(std::chrono::milliseconds limit);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_;
  std::string log_path_;
};

}  // namespace zerobusd::testing
