#include "daemon/ipc/listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace zerobusd::ipc {

namespace {
// True if something accepts connections on `path` (a live daemon): its file must stay.
bool socketIsLive(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return live;
}
}  // namespace

Listener::~Listener() { stop(); }

absl::Status Listener::start(const ListenerOptions& options, OnConnection on_connection) {
  if (options.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(fmt::format("socket path is too long ({} bytes, at most {}): {}",
                                                  options.path.size(), sizeof(sockaddr_un{}.sun_path) - 1,
                                                  options.path));
  }
  struct stat st {};
  if (::lstat(options.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(fmt::format("{} exists and is not a socket", options.path));
    }
    if (socketIsLive(options.path)) {
      return absl::FailedPreconditionError(
          fmt::format("{} is in use: another zerobusd is running", options.path));
    }
    ::unlink(options.path.c_str());  // stale, left by a daemon that did not exit cleanly
  }
  pipe_ = new uv_pipe_t;
  uv_pipe_init(loop_, pipe_, 0);
  pipe_->data = this;
  // Bind with a restrictive umask, then set the configured mode: no window where others can
  // connect before the permissions are right.
  mode_t old_umask = ::umask(0177);
  int rc = uv_pipe_bind(pipe_, options.path.c_str());
  ::umask(old_umask);
  if (rc != 0) {
    stop();
    return absl::UnavailableError(fmt::format("cannot bind {}: {}", options.path, uv_strerror(rc)));
  }
  path_ = options.path;
  if (options.group && ::chown(options.path.c_str(), static_cast<uid_t>(-1), *options.group) != 0) {
    int err = errno;
    stop();
    return absl::PermissionDeniedError(fmt::format("cannot set the group of {}: {}", options.path, std::strerror(err)));
  }
  if (::chmod(options.path.c_str(), options.mode) != 0) {
    int err = errno;
    stop();
    return absl::PermissionDeniedError(fmt::format("cannot chmod {}: {}", options.path, std::strerror(err)));
  }
  on_connection_ = std::move(on_connection);
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(pipe_), options.backlog, &Listener::onConnection);
  if (rc != 0) {
    stop();
    return absl::UnavailableError(fmt::format("cannot listen on {}: {}", options.path, uv_strerror(rc)));
  }
  return absl::OkStatus();
}

void Listener::onConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<Listener*>(server->data);
  if (status < 0) {
    spdlog::warn("accept on {} failed: {}", self->path_, uv_strerror(status));
    return;
  }
  if (auto connection = Connection::accept(self->loop_, server)) self->on_connection_(std::move(connection));
}

void Listener::stop() {
  if (pipe_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(pipe_), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
    pipe_ = nullptr;
  }
  if (!path_.empty()) {
    ::unlink(path_.c_str());
    path_.clear();
  }
}

}  // namespace zerobusd::ipc
