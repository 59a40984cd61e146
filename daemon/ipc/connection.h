#pragma once
// The Unix-socket transport under a producer session: a libuv pipe with buffered writes,
// pausable reads and the peer's credentials (SO_PEERCRED). Knows nothing of frames.
//
// Thread affinity: loop thread only. Ownership: a Connection is owned by a shared_ptr; it
// frees its libuv handle through uv_close and keeps itself alive until the close callback.
// Error contract: read and write failures end the connection: on_closed fires once.

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace zerobusd::ipc {

struct PeerCredentials {
  pid_t pid = -1;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Callbacks {
    std::function<void(std::string_view data)> on_data;
    std::function<void(const std::string& reason)> on_closed;
  };

  // Accepts a pending connection on `server`. Null if accept fails.
  static std::shared_ptr<Connection> accept(uv_loop_t* loop, uv_stream_t* server);
  ~Connection();

  void start(Callbacks callbacks);
  void pauseReading();
  void resumeReading();
  bool readingPaused() const { return paused_; }
  // Queues bytes; they go out in order. Queued bytes beyond `max_pending_write` mean the peer
  // does not read: the connection is closed instead of growing without bound.
  void write(std::string_view bytes);
  void setMaxPendingWrite(size_t bytes) { max_pending_write_ = bytes; }
  size_t pendingWrite() const { return out_.size() + in_flight_.size(); }
  // Closes after the queued bytes are written (graceful) or at once.
  void close(const std::string& reason, bool after_writes = true);
  bool closed() const { return closing_; }
  const PeerCredentials& peer() const { return peer_; }

 private:
  Connection() = default;
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  void flush();
  void closeNow(const std::string& reason);

  uv_pipe_t pipe_{};
  uv_write_t write_req_{};
  Callbacks callbacks_;
  PeerCredentials peer_;
  std::string read_buffer_;
  std::string out_;        // waiting for the write in flight to finish
  std::string in_flight_;  // being written
  size_t max_pending_write_ = 64 * 1024 * 1024;
  bool paused_ = false;
  bool started_ = false;
  bool closing_ = false;
  bool close_after_writes_ = false;
  std::string close_reason_;
  std::shared_ptr<Connection> self_;  // alive until the libuv close callback
};

}  // namespace zerobusd::ipc
