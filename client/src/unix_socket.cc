#include "client/src/unix_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zerobusd::details {
namespace {

int remainingMs(SteadyClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - SteadyClock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1000000 ? 1000000 : static_cast<int>(left.count());
}

Error lost(const std::string& what) { return Error{ErrorCode::kConnectionLost, true, what}; }

// Waits for `events` on `fd` until `deadline`. OK when ready (or hung up: the next read or
// write reports it).
Status waitFor(int fd, short events, SteadyClock::time_point deadline) {
  for (;;) {
    pollfd pfd{fd, events, 0};
    const int ready = ::poll(&pfd, 1, remainingMs(deadline));
    if (ready > 0) return {};
    if (ready == 0) return Error{ErrorCode::kWaitTimeout, true, "timed out waiting for zerobusd"};
    if (errno != EINTR) return lost("poll: " + errnoText(errno));
  }
}

}  // namespace

std::string errnoText(int error) {
  char buffer[128];
  // GNU strerror_r returns the message (possibly not in buffer).
  return ::strerror_r(error, buffer, sizeof(buffer));
}

Result<int> connectUnix(const std::string& path, SteadyClock::time_point deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return Error{ErrorCode::kInvalidArgument, false,
                 "socket path must be 1.." + std::to_string(sizeof(address.sun_path) - 1) +
                     " bytes: '" + path + "'"};
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{ErrorCode::kNotConnected, true, "socket: " + errnoText(errno)};
  // A blocking connect bounded by SO_SNDTIMEO: on Linux a Unix stream connect only waits when
  // the listener's backlog is full, and honours the send timeout then.
  const int ms = remainingMs(deadline) > 0 ? remainingMs(deadline) : 1;
  timeval timeout{ms / 1000, static_cast<suseconds_t>((ms % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int error = errno;
    ::close(fd);
    return Error{ErrorCode::kNotConnected, true,
                 "cannot connect to zerobusd at " + path + ": " + errnoText(error)};
  }
  timeval none{0, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    const int error = errno;
    ::close(fd);
    return Error{ErrorCode::kNotConnected, true, "fcntl: " + errnoText(error)};
  }
  return fd;
}

Status sendAll(int fd, std::string_view data, SteadyClock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Status ready = waitFor(fd, POLLOUT, deadline);
      if (!ready.ok()) return ready;
      continue;
    }
    return lost("send: " + errnoText(errno));
  }
  return {};
}

Result<size_t> readSome(int fd, frame::FrameReader& reader) {
  std::span<char> space = reader.prepare(16384);
  for (;;) {
    const ssize_t n = ::recv(fd, space.data(), space.size(), 0);
    if (n > 0) {
      reader.commit(static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (n == 0) return lost("zerobusd closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    return lost("recv: " + errnoText(errno));
  }
}

Status readFrame(int fd, frame::FrameReader& reader, frame::Frame* frame,
                 SteadyClock::time_point deadline) {
  for (;;) {
    frame::ErrorCode code = frame::ErrorCode::kOk;
    switch (reader.next(frame, &code)) {
      case frame::FrameReader::Result::kFrame:
        return {};
      case frame::FrameReader::Result::kError:
        return Error{ErrorCode::kProtocolError, true,
                     std::string("zerobusd sent an invalid frame: ") + frame::errorName(code)};
      case frame::FrameReader::Result::kNeedMore:
        break;
    }
    Result<size_t> got = readSome(fd, reader);
    if (!got.ok()) return got.error();
    if (got.value() == 0) {
      Status ready = waitFor(fd, POLLIN, deadline);
      if (!ready.ok()) return ready;
    }
  }
}

}  // namespace zerobusd::details
