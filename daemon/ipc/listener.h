#pragma once
// The daemon's Unix socket: binds (replacing a stale socket file, never a live one), applies
// the configured mode and group, listens, and hands each accepted Connection to the owner.
// Thread affinity: loop thread only. Error contract: start() returns why it cannot listen.

#include <sys/types.h>
#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "daemon/ipc/connection.h"

namespace zerobusd::ipc {

struct ListenerOptions {
  std::string path;
  unsigned mode = 0660;
  std::optional<gid_t> group;
  int backlog = 128;
};

class Listener {
 public:
  using OnConnection = std::function<void(std::shared_ptr<Connection>)>;
  explicit Listener(uv_loop_t* loop) : loop_(loop) {}
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  [[nodiscard]] absl::Status start(const ListenerOptions& options, OnConnection on_connection);
  // Stops accepting and removes the socket file; open connections are not affected.
  void stop();

 private:
  static void onConnection(uv_stream_t* server, int status);
  uv_loop_t* loop_;
  uv_pipe_t* pipe_ = nullptr;  // freed in its close callback
  OnConnection on_connection_;
  std::string path_;
};

}  // namespace zerobusd::ipc
