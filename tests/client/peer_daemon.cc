#include "tests/client/peer_daemon.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>

#include <gtest/gtest.h>

#include "common/frame/frame_reader.h"
#include "common/frame/messages.h"

namespace zerobusd::testing {

using frame::ErrorCode;
using frame::FrameType;

struct PeerDaemon::Handle {
  std::string table;
  uint64_t next_seq = 0;       // the first_seq the next RECORDS must carry
  uint64_t rejected_upto = 0;  // REJECT decisions sent for seqs below this
  uint64_t accepted_sent = 0;  // last ACK accepted next_seq
  uint64_t durable_upto = 0;   // seqs below are final
  std::vector<std::optional<std::pair<ErrorCode, bool>>> fate;  // per seq
  std::vector<uint32_t> sizes;                                  // per seq
};

struct PeerDaemon::Connection {
  int fd = -1;
  frame::FrameReader reader;
  bool welcomed = false;
  uint8_t levels = 0;
  uint32_t next_handle = 1;
  std::map<uint32_t, Handle> handles;
  uint64_t inflight_records = 0;
  uint64_t inflight_bytes = 0;
  std::vector<std::pair<uint32_t, uint32_t>> held_flushes;  // request id, handle
  bool closed = false;
};

PeerDaemon::PeerDaemon(PeerConfig config) : config_(config) {
  char dir[] = "/tmp/zbc-XXXXXX";
  if (::mkdtemp(dir) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    std::abort();
  }
  dir_ = dir;
  socket_path_ = dir_ + "/d.sock";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    ADD_FAILURE() << "cannot listen on " << socket_path_ << ": " << std::strerror(errno);
    std::abort();
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { run(); });
}

PeerDaemon::~PeerDaemon() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  thread_.join();
  for (auto& connection : connections_) {
    if (!connection->closed) ::close(connection->fd);
  }
  ::close(listen_fd_);
  ::close(wake_fd_);
  ::unlink(socket_path_.c_str());
  ::rmdir(dir_.c_str());
}

// ---------------------------------------------------------------- test-facing API

void PeerDaemon::setAckMode(AckMode mode) {
  std::lock_guard lock(mu_);
  ack_mode_ = mode;
}

void PeerDaemon::setRejectRule(RejectRule rule) {
  std::lock_guard lock(mu_);
  reject_rule_ = std::move(rule);
}

void PeerDaemon::refuseTable(const std::string& table, ErrorCode code) {
  std::lock_guard lock(mu_);
  refused_tables_[table] = code;
}

void PeerDaemon::refuseHello(std::optional<ErrorCode> code) {
  std::lock_guard lock(mu_);
  refuse_hello_ = code;
}

void PeerDaemon::releaseAcks() {
  runOnPeer([this] {
    for (auto& connection : connections_) {
      if (!connection->closed) release(*connection, true);
    }
  });
}

void PeerDaemon::sendWindow(uint64_t records, uint64_t bytes) {
  runOnPeer([this, records, bytes] {
    config_.window_records = records;
    config_.window_bytes = bytes;
    std::string out;
    frame::encodeWindow(out, records, bytes);
    for (auto& connection : connections_) {
      if (!connection->closed) send(*connection, out);
    }
  });
}

void PeerDaemon::sendRaw(const std::string& bytes) {
  runOnPeer([this, bytes] {
    for (auto& connection : connections_) {
      if (!connection->closed) send(*connection, bytes);
    }
  });
}

void PeerDaemon::dropConnections() {
  runOnPeer([this] {
    for (auto& connection : connections_) {
      if (!connection->closed) closeConnection(*connection);
    }
  });
}

bool PeerDaemon::waitFor(const std::function<bool(const PeerStats&)>& predicate,
                         std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return predicate(stats_); });
}

PeerStats PeerDaemon::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void PeerDaemon::runOnPeer(std::function<void()> action) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  {
    std::lock_guard lock(mu_);
    actions_.push_back([action = std::move(action), done] {
      action();
      done->set_value();
    });
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  finished.wait();
}

void PeerDaemon::changed() { cv_.notify_all(); }

// ---------------------------------------------------------------- the peer thread

void PeerDaemon::run() {
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Connection*> polled;
    fds.push_back({wake_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (auto& connection : connections_) {
      if (connection->closed) continue;
      fds.push_back({connection->fd, POLLIN, 0});
      polled.push_back(connection.get());
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      ADD_FAILURE() << "peer poll: " << std::strerror(errno);
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      uint64_t value = 0;
      [[maybe_unused]] ssize_t n = ::read(wake_fd_, &value, sizeof(value));
      std::vector<std::function<void()>> actions;
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        actions.swap(actions_);
      }
      for (auto& action : actions) action();
    }
    if ((fds[1].revents & POLLIN) != 0) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        auto connection = std::make_unique<Connection>();
        connection->fd = fd;
        connections_.push_back(std::move(connection));
        std::lock_guard lock(mu_);
        ++stats_.connections;
        changed();
      }
    }
    for (size_t i = 0; i < polled.size(); ++i) {
      // An action above may have closed it (and its fd number may be reused already).
      if (polled[i]->closed) continue;
      if ((fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) serve(*polled[i]);
    }
  }
}

void PeerDaemon::serve(Connection& connection) {
  std::span<char> space = connection.reader.prepare(65536);
  const ssize_t n = ::recv(connection.fd, space.data(), space.size(), 0);
  if (n <= 0) {
    closeConnection(connection);
    return;
  }
  connection.reader.commit(static_cast<size_t>(n));
  frame::Frame frame;
  ErrorCode error = ErrorCode::kOk;
  for (;;) {
    if (connection.closed) return;
    const auto result = connection.reader.next(&frame, &error);
    if (result == frame::FrameReader::Result::kNeedMore) return;
    if (result == frame::FrameReader::Result::kError) {
      std::string out;
      frame::encodeError(out, error, false, true, 0, "bad frame from client");
      send(connection, out);
      closeConnection(connection);
      std::lock_guard lock(mu_);
      ++stats_.client_protocol_errors;
      changed();
      return;
    }
    handleFrame(connection, frame.header.type, frame.payload);
  }
}

void PeerDaemon::handleFrame(Connection& connection, FrameType type, std::string_view payload) {
  ErrorCode error = ErrorCode::kOk;
  std::string out;
  auto refuse = [&](ErrorCode code, const char* why) {
    out.clear();
    frame::encodeError(out, code, false, true, 0, why);
    send(connection, out);
    closeConnection(connection);
    std::lock_guard lock(mu_);
    ++stats_.client_protocol_errors;
    changed();
  };
  if (!connection.welcomed && type != FrameType::kHello) {
    return refuse(ErrorCode::kHandshakeRequired, "HELLO first");
  }
  switch (type) {
    case FrameType::kHello: {
      frame::Hello hello;
      if (connection.welcomed) return refuse(ErrorCode::kMalformedFrame, "second HELLO");
      if (!frame::parseHello(payload, &hello, &error)) return refuse(error, "bad HELLO");
      std::optional<ErrorCode> refused;
      {
        std::lock_guard lock(mu_);
        stats_.client_names.emplace_back(hello.client_name);
        stats_.requested_levels.push_back(hello.ack_levels);
        refused = refuse_hello_;
        changed();
      }
      if (refused) {
        frame::encodeError(out, *refused, frame::defaultRetriable(*refused), true, 0,
                           "refused by the test");
        send(connection, out);
        closeConnection(connection);
        return;
      }
      connection.welcomed = true;
      connection.levels = static_cast<uint8_t>(hello.ack_levels & config_.grant_levels);
      if (connection.levels == 0) connection.levels = hello.ack_levels;
      frame::encodeWelcome(out, frame::Welcome{frame::kVersion, connection.levels,
                                               config_.max_frame_bytes,
                                               config_.max_records_per_frame,
                                               config_.window_records, config_.window_bytes,
                                               "peer-daemon 1"});
      connection.reader.setMaxPayload(config_.max_frame_bytes);
      send(connection, out);
      return;
    }
    case FrameType::kOpen: {
      frame::Open open;
      if (!frame::parseOpen(payload, &open, &error)) return refuse(error, "bad OPEN");
      std::optional<ErrorCode> refused;
      {
        std::lock_guard lock(mu_);
        stats_.opened_tables.emplace_back(open.table);
        auto it = refused_tables_.find(std::string(open.table));
        if (it != refused_tables_.end()) refused = it->second;
        changed();
      }
      if (refused) {
        frame::encodeOpenResult(out, open.request_id, *refused, 0, "refused by the test");
      } else {
        const uint32_t handle = connection.next_handle++;
        connection.handles[handle].table = std::string(open.table);
        frame::encodeOpenResult(out, open.request_id, ErrorCode::kOk, handle, "");
      }
      send(connection, out);
      return;
    }
    case FrameType::kRecords: {
      frame::RecordsView records;
      if (!frame::parseRecords(payload, &records, &error, config_.max_records_per_frame)) {
        return refuse(error, "bad RECORDS");
      }
      auto it = connection.handles.find(records.handle);
      if (it == connection.handles.end()) return refuse(ErrorCode::kUnknownHandle, "no handle");
      Handle& handle = it->second;
      AckMode mode;
      {
        std::lock_guard lock(mu_);
        mode = ack_mode_;
        if (records.first_seq != handle.next_seq) ++stats_.sequence_errors;
        // Any frame may enter an empty window; otherwise it must fit (docs/protocol.md §8).
        if (connection.inflight_records > 0 &&
            (connection.inflight_records + records.count > config_.window_records ||
             connection.inflight_bytes + records.record_bytes > config_.window_bytes)) {
          ++stats_.window_violations;
        }
        for (std::string_view record : records) {
          stats_.records.emplace_back(record);
          handle.fate.push_back(reject_rule_ ? reject_rule_(record) : std::nullopt);
          handle.sizes.push_back(static_cast<uint32_t>(record.size()));
        }
        ++stats_.records_frames;
        connection.inflight_records += records.count;
        connection.inflight_bytes += records.record_bytes;
        stats_.max_inflight_records =
            std::max(stats_.max_inflight_records, connection.inflight_records);
        changed();
      }
      handle.next_seq = records.first_seq + records.count;
      if (mode == AckMode::kImmediate) release(connection, true);
      if (mode == AckMode::kAcceptOnly) release(connection, false);
      return;
    }
    case FrameType::kFlush: {
      frame::Flush flush;
      if (!frame::parseFlush(payload, &flush, &error)) return refuse(error, "bad FLUSH");
      connection.held_flushes.emplace_back(flush.request_id, flush.handle);
      {
        std::lock_guard lock(mu_);
        ++stats_.flushes;
        changed();
      }
      answerFlushes(connection);
      return;
    }
    case FrameType::kPing: {
      frame::Ping ping;
      if (!frame::parsePing(payload, &ping, &error)) return refuse(error, "bad PING");
      {
        std::lock_guard lock(mu_);
        ++stats_.pings;
        changed();
      }
      frame::encodePong(out, ping.nonce);
      send(connection, out);
      return;
    }
    case FrameType::kCloseHandle: {
      frame::CloseHandle close;
      if (!frame::parseCloseHandle(payload, &close, &error)) return refuse(error, "bad CLOSE");
      // Outstanding outcomes are still delivered: release before forgetting the handle.
      release(connection, true);
      connection.handles.erase(close.handle);
      std::lock_guard lock(mu_);
      ++stats_.close_handles;
      changed();
      return;
    }
    case FrameType::kGoodbye: {
      if (!frame::parseGoodbye(payload, &error)) return refuse(error, "bad GOODBYE");
      {
        // Counted before answering, so a client that saw the answer sees the count.
        std::lock_guard lock(mu_);
        ++stats_.goodbyes;
        changed();
      }
      release(connection, true);
      frame::encodeDaemonGoodbye(out, frame::GoodbyeReason::kAnswer, "");
      send(connection, out);
      closeConnection(connection);
      return;
    }
    case FrameType::kStatus: {
      frame::StatusRequest status;
      if (!frame::parseStatus(payload, &status, &error)) return refuse(error, "bad STATUS");
      {
        std::lock_guard lock(mu_);
        ++stats_.statuses;
        changed();
      }
      frame::encodeStatusResult(out, status.request_id, R"({"daemon":"peer","ready":true})");
      send(connection, out);
      return;
    }
    default:
      return refuse(ErrorCode::kUnknownFrameType, "not a client frame");
  }
}

void PeerDaemon::release(Connection& connection, bool durable_too) {
  std::string out;
  for (auto& [id, handle] : connection.handles) {
    const uint64_t end = handle.next_seq;
    // Rejections first, as runs of one error: an ACK may then cover them.
    for (uint64_t seq = handle.rejected_upto; seq < end;) {
      const auto& fate = handle.fate[seq];
      if (!fate) {
        ++seq;
        continue;
      }
      uint64_t run_end = seq + 1;
      while (run_end < end && handle.fate[run_end] == fate) ++run_end;
      frame::encodeReject(out, id, seq, static_cast<uint32_t>(run_end - seq), fate->first,
                          fate->second, "rejected by the test");
      for (uint64_t s = seq; s < run_end; ++s) {
        --connection.inflight_records;
        connection.inflight_bytes -= handle.sizes[s];
      }
      seq = run_end;
    }
    handle.rejected_upto = end;
    if ((connection.levels & frame::kAckBitAccepted) != 0 && handle.accepted_sent < end) {
      frame::encodeAck(out, id, frame::AckLevel::kAccepted, end);
      handle.accepted_sent = end;
    }
    if (durable_too && handle.durable_upto < end) {
      for (uint64_t seq = handle.durable_upto; seq < end; ++seq) {
        if (handle.fate[seq]) continue;
        --connection.inflight_records;
        connection.inflight_bytes -= handle.sizes[seq];
      }
      handle.durable_upto = end;
      if ((connection.levels & frame::kAckBitDurable) != 0) {
        frame::encodeAck(out, id, frame::AckLevel::kDurable, end);
      }
    }
  }
  if (!out.empty()) send(connection, out);
  answerFlushes(connection);
}

void PeerDaemon::answerFlushes(Connection& connection) {
  auto final = [](const Handle& handle) { return handle.durable_upto == handle.next_seq; };
  std::string out;
  std::vector<std::pair<uint32_t, uint32_t>> still_held;
  for (const auto& [request_id, handle_id] : connection.held_flushes) {
    bool done = true;
    ErrorCode code = ErrorCode::kOk;
    if (handle_id == frame::kAllHandles) {
      for (const auto& [id, handle] : connection.handles) done = done && final(handle);
    } else if (auto it = connection.handles.find(handle_id); it != connection.handles.end()) {
      done = final(it->second);
    } else {
      code = ErrorCode::kUnknownHandle;
    }
    if (done) {
      frame::encodeFlushed(out, request_id, code, "");
    } else {
      still_held.emplace_back(request_id, handle_id);
    }
  }
  connection.held_flushes = std::move(still_held);
  if (!out.empty()) send(connection, out);
}

void PeerDaemon::send(Connection& connection, const std::string& bytes) {
  std::string_view rest(bytes);
  while (!rest.empty() && !connection.closed) {
    const ssize_t n = ::send(connection.fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      closeConnection(connection);
      return;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

void PeerDaemon::closeConnection(Connection& connection) {
  if (connection.closed) return;
  connection.closed = true;
  ::close(connection.fd);
}

}  // namespace zerobusd::testing
