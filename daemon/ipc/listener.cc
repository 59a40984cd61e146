#include "daemon/ipc/listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

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

// The process-wide registry of sockets inherited from the service manager.
struct Inherited {
  std::mutex mu;
  std::vector<int> fds;  // guarded by mu
};

Inherited& inherited() {
  static Inherited* registry = new Inherited;  // never destroyed: usable until the very end
  return *registry;
}

// The path `fd` is bound to when it is a listening AF_UNIX stream socket with a name in the
// file system (not abstract, not unnamed); nullopt for anything else.
std::optional<std::string> listeningUnixPath(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) return std::nullopt;
  int accepting = 0;
  len = sizeof(accepting);
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || accepting == 0) return std::nullopt;
  sockaddr_un addr{};
  len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sun_family != AF_UNIX) {
    return std::nullopt;
  }
  if (len <= offsetof(sockaddr_un, sun_path) || addr.sun_path[0] == '\0') return std::nullopt;
  size_t name_size = std::min<size_t>(len, sizeof(addr)) - offsetof(sockaddr_un, sun_path);
  return std::string(addr.sun_path, ::strnlen(addr.sun_path, name_size));
}

// The same socket file under two spellings (/var/run -> /run, a symlinked directory).
bool samePath(const std::string& bound, const std::string& wanted) {
  if (bound == wanted) return true;
  struct stat a {};
  struct stat b {};
  return ::stat(bound.c_str(), &a) == 0 && ::stat(wanted.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

// Takes the registered listening socket bound to `path` out of the registry.
std::optional<int> takeInheritedSocket(const std::string& path) {
  Inherited& registry = inherited();
  std::lock_guard lock(registry.mu);
  for (auto it = registry.fds.begin(); it != registry.fds.end(); ++it) {
    auto bound = listeningUnixPath(*it);
    if (bound && samePath(*bound, path)) {
      int fd = *it;
      registry.fds.erase(it);
      return fd;
    }
  }
  return std::nullopt;
}

}  // namespace

void registerInheritedSockets(const std::vector<int>& fds) {
  Inherited& registry = inherited();
  std::lock_guard lock(registry.mu);
  registry.fds.insert(registry.fds.end(), fds.begin(), fds.end());
}

std::vector<int> takeUnadoptedInheritedSockets() {
  Inherited& registry = inherited();
  std::lock_guard lock(registry.mu);
  return std::exchange(registry.fds, {});
}

Listener::~Listener() { stop(); }

absl::Status Listener::start(const ListenerOptions& options, OnConnection on_connection) {
  if (options.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(fmt::format("socket path is too long ({} bytes, at most {}): {}",
                                                  options.path.size(), sizeof(sockaddr_un{}.sun_path) - 1,
                                                  options.path));
  }
  if (auto fd = takeInheritedSocket(options.path)) {
    on_connection_ = std::move(on_connection);
    return adopt(*fd, options);
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
  owns_file_ = true;
  if (auto status = setAccess(options.mode, options.group); !status.ok()) {
    stop();
    return status;
  }
  on_connection_ = std::move(on_connection);
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(pipe_), options.backlog, &Listener::onConnection);
  if (rc != 0) {
    stop();
    return absl::UnavailableError(fmt::format("cannot listen on {}: {}", options.path, uv_strerror(rc)));
  }
  return absl::OkStatus();
}

absl::Status Listener::setAccess(unsigned mode, std::optional<gid_t> group) {
  if (adopted_) {
    return absl::FailedPreconditionError(
        "socket.mode / socket.group cannot change on a socket passed by systemd: set SocketMode= / SocketGroup= "
        "in zerobusd.socket");
  }
  if (group && ::chown(path_.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    return absl::PermissionDeniedError(fmt::format("cannot set the group of {}: {}", path_, std::strerror(errno)));
  }
  if (::chmod(path_.c_str(), mode) != 0) {
    return absl::PermissionDeniedError(fmt::format("cannot chmod {}: {}", path_, std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status Listener::adopt(int fd, const ListenerOptions& options) {
  path_ = options.path;
  adopted_ = true;
  pipe_ = new uv_pipe_t;
  uv_pipe_init(loop_, pipe_, 0);
  pipe_->data = this;
  if (int rc = uv_pipe_open(pipe_, fd); rc != 0) {
    ::close(fd);
    stop();
    return absl::UnavailableError(
        fmt::format("cannot use the socket passed for {} by the service manager: {}", options.path, uv_strerror(rc)));
  }
  // Already listening: listen() again installs libuv's accept callback (and our backlog).
  if (int rc = uv_listen(reinterpret_cast<uv_stream_t*>(pipe_), options.backlog, &Listener::onConnection); rc != 0) {
    stop();
    return absl::UnavailableError(fmt::format("cannot listen on {}: {}", options.path, uv_strerror(rc)));
  }
  spdlog::info("listening on {} passed by the service manager (socket activation)", options.path);
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
  // An adopted socket's file belongs to the service manager, which keeps listening on it
  // while the daemon is stopped (and starts it again on the next connection).
  if (owns_file_) ::unlink(path_.c_str());
  owns_file_ = false;
}

}  // namespace zerobusd::ipc
