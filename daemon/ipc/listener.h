#pragma once
// The daemon's Unix socket: binds (replacing a stale socket file, never a live one), applies
// the configured mode and group, listens, and hands each accepted Connection to the owner.
// Under socket activation (systemd's zerobusd.socket) the socket arrives already bound and
// listening: main() registers the inherited fds, and start() adopts the one bound to its path
// instead of binding; the service manager then owns the file (mode, group, its removal), so the
// Listener neither changes nor unlinks it.
// Thread affinity: Listener on the loop thread only; the inherited-socket registry is
// thread-safe. Error contract: start() returns why it cannot listen.

#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "daemon/ipc/connection.h"

namespace zerobusd::ipc {

struct ListenerOptions {
  std::string path;
  unsigned mode = 0660;
  std::optional<gid_t> group;
  int backlog = 128;
};

// Listening sockets handed over by the service manager (sd_listen_fds). The registry owns them
// until a Listener adopts one; each must be a listening AF_UNIX stream socket to be adopted.
void registerInheritedSockets(const std::vector<int>& fds);
// Removes and returns the registered fds no Listener adopted (the caller closes them).
[[nodiscard]] std::vector<int> takeUnadoptedInheritedSockets();

class Listener {
 public:
  using OnConnection = std::function<void(std::shared_ptr<Connection>)>;
  explicit Listener(uv_loop_t* loop) : loop_(loop) {}
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  [[nodiscard]] absl::Status start(const ListenerOptions& options, OnConnection on_connection);
  // Stops accepting and removes the socket file it bound (never an adopted one); open
  // connections are not affected.
  void stop();
  // True when start() adopted an inherited socket instead of binding one.
  bool adopted() const { return adopted_; }
  // Sets the socket file's group (if given) and mode: at start, and when a reload changes them.
  // Refused on an adopted socket, whose access is systemd's (zerobusd.socket).
  [[nodiscard]] absl::Status setAccess(unsigned mode, std::optional<gid_t> group);

 private:
  static void onConnection(uv_stream_t* server, int status);
  [[nodiscard]] absl::Status adopt(int fd, const ListenerOptions& options);
  uv_loop_t* loop_;
  uv_pipe_t* pipe_ = nullptr;  // freed in its close callback
  OnConnection on_connection_;
  std::string path_;
  bool owns_file_ = false;  // bound here: stop() unlinks it
  bool adopted_ = false;
};

}  // namespace zerobusd::ipc
