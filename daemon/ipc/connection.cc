#include "daemon/ipc/connection.h"

#include <sys/socket.h>

namespace zerobusd::ipc {

namespace {
constexpr size_t kReadChunk = 256 * 1024;
}

std::shared_ptr<Connection> Connection::accept(uv_loop_t* loop, uv_stream_t* server) {
  std::shared_ptr<Connection> c(new Connection());
  uv_pipe_init(loop, &c->pipe_, 0);
  c->pipe_.data = c.get();
  c->self_ = c;  // until the close callback
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->pipe_)) != 0) {
    c->closeNow("accept failed");
    return nullptr;
  }
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->pipe_), &fd) == 0) {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      c->peer_ = {cred.pid, cred.uid, cred.gid};
    }
  }
  return c;
}

Connection::~Connection() = default;

void Connection::start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  started_ = true;
  if (!closing_) resumeReading();
}

void Connection::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(handle->data);
  c->read_buffer_.resize(kReadChunk);
  *buf = uv_buf_init(c->read_buffer_.data(), static_cast<unsigned>(c->read_buffer_.size()));
}

void Connection::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  auto keep = c->shared_from_this();
  if (nread > 0) {
    if (c->callbacks_.on_data) c->callbacks_.on_data(std::string_view(buf->base, static_cast<size_t>(nread)));
    return;
  }
  if (nread == UV_EOF) {
    c->closeNow("peer closed the connection");
  } else if (nread < 0) {
    c->closeNow(std::string("read error: ") + uv_strerror(static_cast<int>(nread)));
  }
}

void Connection::pauseReading() {
  if (closing_ || paused_) return;
  paused_ = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe_));
}

void Connection::resumeReading() {
  if (closing_ || !started_) return;
  paused_ = false;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&pipe_), &Connection::onAlloc, &Connection::onRead);
}

void Connection::write(std::string_view bytes) {
  if (closing_ && !close_after_writes_) return;
  out_.append(bytes);
  if (pendingWrite() > max_pending_write_) {
    closeNow("the peer does not read its acknowledgements");
    return;
  }
  flush();
}

void Connection::flush() {
  if (!in_flight_.empty() || out_.empty() || uv_is_closing(reinterpret_cast<uv_handle_t*>(&pipe_))) return;
  in_flight_.swap(out_);
  uv_buf_t buf = uv_buf_init(in_flight_.data(), static_cast<unsigned>(in_flight_.size()));
  write_req_.data = this;
  int rc = uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&pipe_), &buf, 1, &Connection::onWrite);
  if (rc != 0) {
    in_flight_.clear();
    closeNow(std::string("write error: ") + uv_strerror(rc));
  }
}

void Connection::onWrite(uv_write_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  auto keep = c->shared_from_this();
  c->in_flight_.clear();
  if (status < 0) {
    c->out_.clear();
    c->closeNow(std::string("write error: ") + uv_strerror(status));
    return;
  }
  if (c->close_after_writes_ && c->out_.empty()) {
    c->closeNow(c->close_reason_);
    return;
  }
  c->flush();
}

void Connection::close(const std::string& reason, bool after_writes) {
  if (after_writes && pendingWrite() > 0 && !closing_) {
    closing_ = true;
    close_after_writes_ = true;
    close_reason_ = reason;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe_));
    return;
  }
  closeNow(reason);
}

void Connection::closeNow(const std::string& reason) {
  if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&pipe_))) return;
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), [](uv_handle_t* handle) {
    auto* c = static_cast<Connection*>(handle->data);
    auto self = std::move(c->self_);  // freed when this returns, unless someone else holds it
    (void)self;
  });
  if (started_ && callbacks_.on_closed) {
    auto on_closed = std::move(callbacks_.on_closed);
    callbacks_.on_closed = nullptr;
    callbacks_.on_data = nullptr;
    on_closed(reason);
  }
}

}  // namespace zerobusd::ipc
