#include "client/src/client_core.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "common/frame/wire.h"

namespace zerobusd::details {
namespace {

using frame::FrameType;

// Set on a client's I/O thread, so calls that would wait for that very thread (flush, close,
// reconnecting, blocking on the window) can refuse instead of deadlocking.
thread_local const ClientCore* t_io_core = nullptr;

// The public enum repeats the protocol's codes (client.h depends on nothing of ours); they must
// stay equal so daemon codes pass through by value.
constexpr bool sameCode(ErrorCode a, frame::ErrorCode b) {
  return static_cast<uint16_t>(a) == static_cast<uint16_t>(b);
}
static_assert(
    sameCode(ErrorCode::kOk, frame::ErrorCode::kOk) &&
    sameCode(ErrorCode::kMalformedFrame, frame::ErrorCode::kMalformedFrame) &&
    sameCode(ErrorCode::kUnsupportedVersion, frame::ErrorCode::kUnsupportedVersion) &&
    sameCode(ErrorCode::kUnknownFrameType, frame::ErrorCode::kUnknownFrameType) &&
    sameCode(ErrorCode::kFrameTooLarge, frame::ErrorCode::kFrameTooLarge) &&
    sameCode(ErrorCode::kHandshakeRequired, frame::ErrorCode::kHandshakeRequired) &&
    sameCode(ErrorCode::kUnknownTable, frame::ErrorCode::kUnknownTable) &&
    sameCode(ErrorCode::kPermissionDenied, frame::ErrorCode::kPermissionDenied) &&
    sameCode(ErrorCode::kUnknownHandle, frame::ErrorCode::kUnknownHandle) &&
    sameCode(ErrorCode::kSequenceGap, frame::ErrorCode::kSequenceGap) &&
    sameCode(ErrorCode::kTooManyRecords, frame::ErrorCode::kTooManyRecords) &&
    sameCode(ErrorCode::kInvalidRecord, frame::ErrorCode::kInvalidRecord) &&
    sameCode(ErrorCode::kRecordTypeMismatch, frame::ErrorCode::kRecordTypeMismatch) &&
    sameCode(ErrorCode::kRecordTooLarge, frame::ErrorCode::kRecordTooLarge) &&
    sameCode(ErrorCode::kUpstreamUnavailable, frame::ErrorCode::kUpstreamUnavailable) &&
    sameCode(ErrorCode::kUpstreamRejected, frame::ErrorCode::kUpstreamRejected) &&
    sameCode(ErrorCode::kShuttingDown, frame::ErrorCode::kShuttingDown) &&
    sameCode(ErrorCode::kTimeout, frame::ErrorCode::kTimeout) &&
    sameCode(ErrorCode::kLimitExceeded, frame::ErrorCode::kLimitExceeded) &&
    sameCode(ErrorCode::kInternal, frame::ErrorCode::kInternal) &&
    frame::kMaxKnownErrorCode == 19);

uint64_t saturatingAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

Error protocolError(std::string message) {
  return Error{ErrorCode::kProtocolError, true, "zerobusd broke the protocol: " + message};
}

Error daemonError(frame::ErrorCode code, bool retriable, std::string_view message) {
  return Error{static_cast<ErrorCode>(code), retriable, std::string(message)};
}

Error notConnected(std::string message) {
  return Error{ErrorCode::kNotConnected, true, std::move(message)};
}

// Writes as much of `writes` as the socket takes, gathering up to 64 buffers per call.
Status writeSome(int fd, std::deque<std::string>& writes, size_t& offset) {
  while (!writes.empty()) {
    iovec iov[64];
    size_t count = 0;
    for (auto it = writes.begin(); it != writes.end() && count < 64; ++it, ++count) {
      const size_t skip = count == 0 ? offset : 0;
      iov[count].iov_base = it->data() + skip;
      iov[count].iov_len = it->size() - skip;
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    const ssize_t n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
      return Error{ErrorCode::kConnectionLost, true, "send: " + errnoText(errno)};
    }
    auto written = static_cast<size_t>(n);
    while (written > 0 && !writes.empty()) {
      const size_t left = writes.front().size() - offset;
      if (written >= left) {
        written -= left;
        offset = 0;
        writes.pop_front();
      } else {
        offset += written;
        written = 0;
      }
    }
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------- construction and teardown

Result<std::shared_ptr<ClientCore>> ClientCore::create(ClientOptions options) {
  if (options.client_name.size() > frame::kMaxClientNameBytes ||
      !frame::wire::isValidUtf8(options.client_name)) {
    return Error{ErrorCode::kInvalidArgument, false,
                 "client_name must be at most 256 bytes of UTF-8"};
  }
  if (options.connect_timeout.count() <= 0) {
    return Error{ErrorCode::kInvalidArgument, false, "connect_timeout must be positive"};
  }
  std::string path = options.socket_path;
  if (path.empty()) {
    const char* env = std::getenv("ZEROBUSD_SOCKET");
    path = env != nullptr && *env != '\0' ? env : kDefaultSocketPath;
  }
  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return Error{ErrorCode::kInternal, true, "eventfd: " + errnoText(errno)};
  return std::make_shared<ClientCore>(std::move(options), std::move(path), wake_fd);
}

ClientCore::ClientCore(ClientOptions options, std::string socket_path, int wake_fd)
    : options_(std::move(options)), socket_path_(std::move(socket_path)), wake_fd_(wake_fd) {}

ClientCore::~ClientCore() {
  if (io_thread_.joinable()) {
    // Only reachable when the last reference died on the I/O thread itself (a callback held
    // it); the thread is about to finish and must not join itself.
    if (onIoThread()) {
      io_thread_.detach();
    } else {
      abort_io_ = true;
      wake();
      io_thread_.join();
    }
  }
  ::close(wake_fd_);
}

bool ClientCore::onIoThread() const { return t_io_core == this; }

bool onAnyIoThread() { return t_io_core != nullptr; }

void ClientCore::wake() {
  if (!wake_pending_.exchange(true)) {
    const uint64_t one = 1;
    // The eventfd counter cannot overflow here (the I/O thread drains it), so a failed write
    // would be a broken fd: nothing to do but rely on the next wake.
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
}

bool ClientCore::finalIsDurable() const {
  // Before the first handshake, what was asked for; afterwards what was granted.
  const uint8_t granted = ack_levels_.load(std::memory_order_relaxed);
  const uint8_t levels = granted != 0 ? granted : static_cast<uint8_t>(options_.ack_levels);
  return (levels & frame::kAckBitDurable) != 0;
}

// ---------------------------------------------------------------- connecting

Status ClientCore::connectFirst() {
  std::unique_lock lock(mu_);
  return ensureConnectedLocked(lock);
}

Status ClientCore::ensureConnectedLocked(std::unique_lock<std::mutex>& lock) {
  for (;;) {
    if (closed_) return Error{ErrorCode::kClosed, false, "the client is closed"};
    // A daemon that is draining reads nothing more; the next call after it closes reconnects.
    if (connected_) return leaving_ ? Status(*leaving_) : Status();
    // Before waiting on connecting_: a reconnecting caller joins the old I/O thread, so that
    // thread (running callbacks) must never wait for it.
    if (onIoThread()) return notConnected("not connected (no reconnect from a callback)");
    if (connecting_) {
      state_cv_.wait(lock);
      continue;
    }
    if (ever_connected_ && !options_.reconnect.enabled) {
      return Error{ErrorCode::kNotConnected, false,
                   "the connection to zerobusd was lost and reconnecting is disabled"};
    }
    if (last_connect_error_ &&
        SteadyClock::now() - last_connect_failure_ < options_.reconnect.min_retry_interval) {
      return *last_connect_error_;
    }
    connecting_ = true;
    std::thread old_thread = std::move(io_thread_);
    std::vector<Reopen> reopen;
    for (const auto& table : tables_) {
      if (!table->closed) reopen.push_back({table, table->name, table->record_type});
    }
    lock.unlock();
    if (old_thread.joinable()) old_thread.join();
    Result<Established> established = establish(reopen);
    lock.lock();
    connecting_ = false;
    state_cv_.notify_all();
    if (!established.ok()) {
      last_connect_error_ = established.error();
      last_connect_failure_ = SteadyClock::now();
      return established.error();
    }
    if (closed_) {
      ::close(established.value().fd);
      return Error{ErrorCode::kClosed, false, "the client is closed"};
    }
    installLocked(established.value(), reopen);
    return {};
  }
}

Result<ClientCore::Established> ClientCore::establish(const std::vector<Reopen>& tables) const {
  const auto deadline = SteadyClock::now() + options_.connect_timeout;
  Result<int> connected = connectUnix(socket_path_, deadline);
  if (!connected.ok()) return connected.error();
  const int fd = connected.value();
  auto fail = [fd](Error error) {
    ::close(fd);
    // Timeouts and drops during the handshake mean "could not connect", not a lost session.
    if (error.code == ErrorCode::kWaitTimeout || error.code == ErrorCode::kConnectionLost) {
      error = Error{ErrorCode::kNotConnected, true, "zerobusd handshake failed: " + error.message};
    }
    return error;
  };

  Established result;
  std::string out;
  frame::encodeHello(out, static_cast<uint8_t>(options_.ack_levels), options_.client_name);
  if (Status sent = sendAll(fd, out, deadline); !sent.ok()) {
    // A daemon refusing the connection (too many, shutting down) may have written its ERROR
    // and closed before reading our HELLO: prefer its reason to a bare broken pipe.
    frame::Frame refusal;
    frame::ErrorFrame error;
    frame::ErrorCode code;
    if (readFrame(fd, result.reader, &refusal, SteadyClock::now()).ok() &&
        refusal.header.type == FrameType::kError &&
        frame::parseError(refusal.payload, &error, &code)) {
      return fail(daemonError(error.error_code, error.retriable,
                              "zerobusd refused the connection: " + std::string(error.message)));
    }
    return fail(sent.error());
  }

  frame::Frame frame;
  frame::ErrorCode code;
  for (bool welcomed = false; !welcomed;) {
    if (Status got = readFrame(fd, result.reader, &frame, deadline); !got.ok()) {
      return fail(got.error());
    }
    switch (frame.header.type) {
      case FrameType::kWelcome: {
        frame::Welcome welcome;
        if (!frame::parseWelcome(frame.payload, &welcome, &code)) {
          return fail(protocolError("malformed WELCOME"));
        }
        if ((welcome.ack_levels & ~static_cast<uint8_t>(options_.ack_levels)) != 0) {
          return fail(protocolError("WELCOME granted ack levels that were not asked for"));
        }
        result.ack_levels = welcome.ack_levels;
        result.max_frame_bytes = welcome.max_frame_bytes;
        result.max_records_per_frame = welcome.max_records_per_frame;
        result.window_records = welcome.window_records;
        result.window_bytes = welcome.window_bytes;
        result.daemon_version = std::string(welcome.daemon_version);
        welcomed = true;
        break;
      }
      case FrameType::kError: {
        frame::ErrorFrame error;
        if (!frame::parseError(frame.payload, &error, &code)) {
          return fail(protocolError("malformed ERROR"));
        }
        return fail(daemonError(error.error_code, error.retriable,
                                "zerobusd refused the connection: " + std::string(error.message)));
      }
      case FrameType::kDaemonGoodbye:
        return fail(Error{ErrorCode::kShuttingDown, true, "zerobusd is shutting down"});
      default:
        return fail(protocolError(std::string("unexpected ") +
                                  frame::frameTypeName(frame.header.type) + " before WELCOME"));
    }
  }
  result.reader.setMaxPayload(result.max_frame_bytes);

  // Re-open the tables, pipelined; request ids 1..n on this connection.
  result.handles.assign(tables.size(), 0);
  result.open_errors.assign(tables.size(), std::nullopt);
  out.clear();
  for (size_t i = 0; i < tables.size(); ++i) {
    frame::encodeOpen(out, static_cast<uint32_t>(i + 1),
                      static_cast<frame::RecordType>(tables[i].type), tables[i].name);
  }
  if (Status sent = sendAll(fd, out, deadline); !sent.ok()) return fail(sent.error());
  std::vector<bool> answered(tables.size(), false);
  for (size_t remaining = tables.size(); remaining > 0;) {
    if (Status got = readFrame(fd, result.reader, &frame, deadline); !got.ok()) {
      return fail(got.error());
    }
    switch (frame.header.type) {
      case FrameType::kOpenResult: {
        frame::OpenResult open;
        if (!frame::parseOpenResult(frame.payload, &open, &code) || open.request_id == 0 ||
            open.request_id > tables.size() || answered[open.request_id - 1]) {
          return fail(protocolError("unexpected OPEN_RESULT"));
        }
        const size_t i = open.request_id - 1;
        answered[i] = true;
        --remaining;
        if (open.error_code == frame::ErrorCode::kOk) {
          result.handles[i] = open.handle;
        } else {
          result.open_errors[i] =
              daemonError(open.error_code, frame::defaultRetriable(open.error_code),
                          "reopening " + tables[i].name + ": " + std::string(open.message));
        }
        break;
      }
      case FrameType::kWindow: {
        frame::Window window;
        if (!frame::parseWindow(frame.payload, &window, &code)) {
          return fail(protocolError("malformed WINDOW"));
        }
        result.window_records = window.window_records;
        result.window_bytes = window.window_bytes;
        break;
      }
      case FrameType::kError: {
        frame::ErrorFrame error;
        if (!frame::parseError(frame.payload, &error, &code)) {
          return fail(protocolError("malformed ERROR"));
        }
        Error e = daemonError(error.error_code, error.retriable, error.message);
        if (error.fatal) return fail(e);
        if (error.context >= 1 && error.context <= tables.size() && !answered[error.context - 1]) {
          answered[error.context - 1] = true;
          result.open_errors[error.context - 1] = e;
          --remaining;
        }
        break;
      }
      case FrameType::kDaemonGoodbye:
        return fail(Error{ErrorCode::kShuttingDown, true, "zerobusd is shutting down"});
      default:
        return fail(protocolError(std::string("unexpected ") +
                                  frame::frameTypeName(frame.header.type) +
                                  " while reopening tables"));
    }
  }
  result.fd = fd;
  return result;
}

void ClientCore::installLocked(Established& established, const std::vector<Reopen>& tables) {
  ++generation_;
  connected_ = true;
  ever_connected_ = true;
  goodbye_sent_ = false;
  leaving_.reset();
  abort_io_ = false;
  last_connect_error_.reset();
  ack_levels_ = established.ack_levels;
  max_frame_bytes_ = established.max_frame_bytes;
  max_records_per_frame_ = established.max_records_per_frame;
  window_records_ = established.window_records;
  window_bytes_ = established.window_bytes;
  daemon_version_ = established.daemon_version;
  next_request_id_ = static_cast<uint32_t>(tables.size() + 1);
  by_handle_.clear();
  for (size_t i = 0; i < tables.size(); ++i) {
    TableState& table = *tables[i].table;
    table.generation = generation_;
    table.handle = established.handles[i];
    table.open_error = established.open_errors[i];
    if (table.handle == 0) continue;
    if (table.closed) {
      // Closed while we were reconnecting: give the fresh handle straight back.
      OutFrame close;
      frame::encodeCloseHandle(close.bytes, table.handle);
      out_queue_.push_back(std::move(close));
      table.handle = 0;
      continue;
    }
    by_handle_[table.handle] = &table;
  }
  io_thread_ = std::thread(&ClientCore::ioLoop, this, shared_from_this(), generation_,
                           established.fd, std::move(established.reader));
  state_cv_.notify_all();
  space_cv_.notify_all();
}

// ---------------------------------------------------------------- requests

std::shared_ptr<ClientCore::Request> ClientCore::addRequestLocked(FrameType kind, uint32_t* id) {
  auto request = std::make_shared<Request>();
  request->kind = kind;
  // Skip ids still in use after a wrap-around (a request can stay registered when abandoned).
  do {
    *id = next_request_id_++;
  } while (*id == 0 || requests_.count(*id) != 0);
  requests_[*id] = request;
  return request;
}

Result<ClientCore::Reply> ClientCore::awaitReply(const std::shared_ptr<Request>& request,
                                                 std::chrono::milliseconds timeout,
                                                 const char* what) {
  std::future<Reply> future = request->promise.get_future();
  wake();
  if (future.wait_for(timeout) != std::future_status::ready) {
    std::lock_guard lock(mu_);
    request->abandoned = true;
    return Error{ErrorCode::kWaitTimeout, true, std::string(what) + " timed out"};
  }
  Reply reply = future.get();
  if (reply.error) return *reply.error;
  return reply;
}

Status ClientCore::refuseWaitOnIoThread(const char* what) const {
  if (!onIoThread()) return {};
  return Error{ErrorCode::kInvalidArgument, false,
               std::string(what) + " cannot wait on the client's own I/O thread (in a callback)"};
}

Result<Table> ClientCore::openTable(std::string_view name, RecordType type) {
  if (name.empty() || name.size() > frame::kMaxTableNameBytes ||
      !frame::wire::isValidUtf8(name)) {
    return Error{ErrorCode::kInvalidArgument, false,
                 "table name must be 1..1024 bytes of UTF-8 (catalog.schema.table)"};
  }
  if (type != RecordType::kProto && type != RecordType::kJson) {
    return Error{ErrorCode::kInvalidArgument, false, "unknown record type"};
  }
  if (Status refused = refuseWaitOnIoThread("openTable"); !refused.ok()) return refused.error();
  std::shared_ptr<Request> request;
  {
    std::unique_lock lock(mu_);
    if (Status connected = ensureConnectedLocked(lock); !connected.ok()) {
      return connected.error();
    }
    uint32_t id = 0;
    request = addRequestLocked(FrameType::kOpen, &id);
    request->table = std::make_shared<TableState>(shared_from_this(), std::string(name), type);
    OutFrame open;
    frame::encodeOpen(open.bytes, id, static_cast<frame::RecordType>(type), name);
    open.request = request;
    open.request_id = id;
    out_queue_.push_back(std::move(open));
  }
  Result<Reply> reply = awaitReply(request, options_.connect_timeout, "OPEN");
  if (!reply.ok()) return reply.error();
  return Access::table(request->table);
}

// ---------------------------------------------------------------- ingest and flow control

bool ClientCore::queueHasRoomLocked(uint64_t records, uint64_t bytes) const {
  // An empty queue always takes one call, so a record (or batch) larger than the window can
  // still make progress; frames are then cut to fit the window.
  if (queued_records_ == 0) return true;
  const uint64_t max_records = saturatingAdd(window_records_, options_.max_queued_records);
  const uint64_t max_bytes = saturatingAdd(window_bytes_, options_.max_queued_bytes);
  return queued_records_ <= max_records && records <= max_records - queued_records_ &&
         queued_bytes_ <= max_bytes && bytes <= max_bytes - queued_bytes_;
}

bool ClientCore::windowAllowsLocked(uint64_t records, uint64_t bytes) const {
  // The protocol lets any frame into an empty, non-zero window (WELCOME guarantees one frame
  // fits); otherwise the frame must fit beside what is in flight.
  if (inflight_records_ == 0) return window_records_ > 0 && window_bytes_ > 0;
  return inflight_records_ <= window_records_ && records <= window_records_ - inflight_records_ &&
         inflight_bytes_ <= window_bytes_ && bytes <= window_bytes_ - inflight_bytes_;
}

AckHandle ClientCore::ingest(TableState& table, std::span<const std::string_view> records,
                             bool may_block) {
  const size_t count = records.size();
  if (count == 0) return failedHandle(0, finalIsDurable(), {});
  if (count > UINT32_MAX) {
    return failedHandle(count, finalIsDurable(),
                        Error{ErrorCode::kInvalidArgument, false, "too many records in one call"});
  }
  uint64_t bytes = 0;
  size_t largest = 0;
  for (std::string_view record : records) {
    bytes += record.size();
    largest = std::max(largest, record.size());
  }

  std::unique_lock lock(mu_);
  const auto deadline = SteadyClock::now() + options_.block_timeout;
  for (;;) {
    if (closed_ || table.closed) {
      return failedHandle(count, finalIsDurable(),
                          Error{ErrorCode::kClosed, false,
                                closed_ ? "the client is closed" : "the table is closed"});
    }
    if (Status connected = ensureConnectedLocked(lock); !connected.ok()) {
      return failedHandle(count, finalIsDurable(), connected.error());
    }
    if (table.generation != generation_ || table.handle == 0) {
      return failedHandle(count, finalIsDurable(),
                          table.open_error ? *table.open_error
                                           : notConnected("the table has no handle"));
    }
    if (frame::recordsPayloadSize(1, largest) > max_frame_bytes_) {
      return failedHandle(
          count, finalIsDurable(),
          Error{ErrorCode::kRecordTooLarge, false,
                "a record of " + std::to_string(largest) +
                    " bytes does not fit the daemon's frame limit of " +
                    std::to_string(max_frame_bytes_) + " bytes"});
    }
    if (queueHasRoomLocked(count, bytes)) break;
    if (!may_block || onIoThread()) {
      return failedHandle(count, finalIsDurable(),
                          Error{ErrorCode::kWouldBlock, true, "the flow-control queue is full"});
    }
    if (space_cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
        !queueHasRoomLocked(count, bytes) && !closed_ && connected_) {
      return failedHandle(count, finalIsDurable(),
                          Error{ErrorCode::kWouldBlock, true,
                                "the flow-control queue stayed full for block_timeout"});
    }
  }

  auto state = std::make_shared<AckState>(count, finalIsDurable());
  for (size_t i = 0; i < count; ++i) {
    const std::string_view record = records[i];
    frame::RecordsEncoder& encoder = table.encoder;
    if (encoder.active() && (encoder.count() >= max_records_per_frame_ ||
                             encoder.payloadSizeWith(record.size()) > max_frame_bytes_)) {
      sealLocked(table);
    }
    if (!encoder.active()) encoder.begin(table.open_frame, table.handle, table.next_seq);
    encoder.add(table.open_frame, record);
    table.pending.push_back(
        {state, static_cast<uint32_t>(i), static_cast<uint32_t>(record.size()), 0});
    ++table.next_seq;
  }
  queued_records_ += count;
  queued_bytes_ += bytes;
  lock.unlock();
  wake();
  return Access::handle(std::move(state));
}

void ClientCore::sealLocked(TableState& table) {
  if (!table.encoder.active()) return;
  table.encoder.finish(table.open_frame);
  OutFrame out;
  out.table = &table;
  out.records = table.encoder.count();
  out.record_bytes = table.encoder.recordBytes();
  out.end_seq = table.encoder.firstSeq() + table.encoder.count();
  out.bytes = std::move(table.open_frame);
  table.open_frame.clear();
  out_queue_.push_back(std::move(out));
  ++records_frames_queued_;
}

void ClientCore::sealAllLocked() {
  for (const auto& table : tables_) sealLocked(*table);
}

void ClientCore::pumpLocked(std::deque<std::string>& writes) {
  // Frames go out in order, records frames only when they fit the window. Open frames are
  // sealed only when no sealed frame is left waiting: while one waits for the window, ingest
  // calls keep filling the open frames, which is where coalescing comes from.
  auto drain = [this, &writes] {
    while (!out_queue_.empty()) {
      OutFrame& next = out_queue_.front();
      if (next.table != nullptr) {
        if (!windowAllowsLocked(next.records, next.record_bytes)) return;
        inflight_records_ += next.records;
        inflight_bytes_ += next.record_bytes;
        next.table->sent_upto = next.end_seq;
        --records_frames_queued_;
      }
      writes.push_back(std::move(next.bytes));
      out_queue_.pop_front();
    }
  };
  drain();
  if (records_frames_queued_ == 0) {
    sealAllLocked();
    drain();
  }
  // Drop closed tables whose last outcome has arrived.
  std::erase_if(tables_, [this](const std::shared_ptr<TableState>& table) {
    if (!table->closed || !table->pending.empty() || table->encoder.active()) return false;
    if (table->handle != 0) by_handle_.erase(table->handle);
    return true;
  });
}

// ---------------------------------------------------------------- flush, close, ping, status

Status ClientCore::flush(TableState* table, std::chrono::milliseconds timeout,
                         bool table_closing) {
  if (Status refused = refuseWaitOnIoThread("flush"); !refused.ok()) return refused;
  std::shared_ptr<Request> request;
  {
    std::unique_lock lock(mu_);
    state_cv_.wait(lock, [this] { return !connecting_; });
    if (closed_) return Error{ErrorCode::kClosed, false, "the client is closed"};
    if (table != nullptr && table->closed && !table_closing) {
      return Error{ErrorCode::kClosed, false, "the table is closed"};
    }
    // Not connected: every record has had its outcome (a lost connection fails them all), so
    // there is nothing to wait for and no reason to reconnect.
    if (!connected_) return {};
    if (leaving_) return *leaving_;  // the daemon would not read the FLUSH
    if (table != nullptr) {
      if (table->generation != generation_ || table->handle == 0) {
        if (table->open_error) return *table->open_error;
        return {};
      }
      sealLocked(*table);
    } else {
      sealAllLocked();
    }
    uint32_t id = 0;
    request = addRequestLocked(FrameType::kFlush, &id);
    OutFrame flush;
    frame::encodeFlush(flush.bytes, id, table != nullptr ? table->handle : frame::kAllHandles);
    flush.request = request;
    flush.request_id = id;
    out_queue_.push_back(std::move(flush));
  }
  Result<Reply> reply = awaitReply(request, timeout, "flush");
  if (!reply.ok()) return reply.error();
  return {};
}

Status ClientCore::closeTable(TableState& table, std::chrono::milliseconds timeout) {
  if (Status refused = refuseWaitOnIoThread("Table::close"); !refused.ok()) return refused;
  {
    std::lock_guard lock(mu_);
    if (table.closed) return {};
    // From here on ingests fail, so the flush below covers every record the table will have.
    table.closed = true;
  }
  Status flushed = flush(&table, timeout, /*table_closing=*/true);
  {
    std::lock_guard lock(mu_);
    if (connected_ && table.generation == generation_ && table.handle != 0) {
      // The daemon still reports outcomes of records sent before CLOSE_HANDLE, so the table
      // stays registered until its last one arrives (pumpLocked drops it then).
      OutFrame close;
      frame::encodeCloseHandle(close.bytes, table.handle);
      out_queue_.push_back(std::move(close));
    }
  }
  wake();
  return flushed;
}

Result<std::chrono::nanoseconds> ClientCore::ping(std::chrono::milliseconds timeout) {
  if (Status refused = refuseWaitOnIoThread("ping"); !refused.ok()) return refused.error();
  std::shared_ptr<Request> request;
  {
    std::unique_lock lock(mu_);
    if (Status connected = ensureConnectedLocked(lock); !connected.ok()) {
      return connected.error();
    }
    request = std::make_shared<Request>();
    request->kind = FrameType::kPing;
    const uint64_t nonce = next_nonce_++;
    pings_[nonce] = request;
    OutFrame ping;
    frame::encodePing(ping.bytes, nonce);
    ping.request = request;
    ping.nonce = nonce;
    out_queue_.push_back(std::move(ping));
  }
  const auto start = SteadyClock::now();
  Result<Reply> reply = awaitReply(request, timeout, "ping");
  if (!reply.ok()) return reply.error();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start);
}

Result<std::string> ClientCore::status(std::chrono::milliseconds timeout) {
  if (Status refused = refuseWaitOnIoThread("status"); !refused.ok()) return refused.error();
  std::shared_ptr<Request> request;
  {
    std::unique_lock lock(mu_);
    if (Status connected = ensureConnectedLocked(lock); !connected.ok()) {
      return connected.error();
    }
    uint32_t id = 0;
    request = addRequestLocked(FrameType::kStatus, &id);
    OutFrame status;
    frame::encodeStatus(status.bytes, id);
    status.request = request;
    status.request_id = id;
    out_queue_.push_back(std::move(status));
  }
  Result<Reply> reply = awaitReply(request, timeout, "status");
  if (!reply.ok()) return reply.error();
  return std::move(reply.value().text);
}

Status ClientCore::close(std::chrono::milliseconds timeout) {
  if (Status refused = refuseWaitOnIoThread("close"); !refused.ok()) return refused;
  Status result;
  std::unique_lock lock(mu_);
  state_cv_.wait(lock, [this] { return !connecting_; });
  if (closed_ && !io_thread_.joinable() && tables_.empty()) return {};
  closed_ = true;
  space_cv_.notify_all();
  if (connected_) {
    if (!leaving_) {
      sealAllLocked();
      OutFrame goodbye;
      frame::encodeGoodbye(goodbye.bytes);
      out_queue_.push_back(std::move(goodbye));
      goodbye_sent_ = true;
      wake();
    }
    // Otherwise the daemon is draining already: just wait for it to finish and close.
    if (!state_cv_.wait_for(lock, timeout, [this] { return !connected_; })) {
      result = Error{ErrorCode::kWaitTimeout, true,
                     "close timed out; records still pending were failed"};
      abort_io_ = true;
      wake();
      state_cv_.wait(lock, [this] { return !connected_; });
    }
  }
  std::thread thread = std::move(io_thread_);
  std::vector<std::shared_ptr<TableState>> tables = std::move(tables_);
  tables_.clear();
  by_handle_.clear();
  lock.unlock();
  if (thread.joinable()) thread.join();
  tables.clear();  // TableState holds the core: this breaks the cycle
  return result;
}

bool ClientCore::isConnected() const {
  std::lock_guard lock(mu_);
  return connected_;
}

ConnectionInfo ClientCore::connectionInfo() const {
  std::lock_guard lock(mu_);
  ConnectionInfo info;
  info.connected = connected_;
  info.daemon_version = daemon_version_;
  const uint8_t granted = ack_levels_.load(std::memory_order_relaxed);
  info.ack_levels = static_cast<AckLevels>(granted != 0 ? granted : 3);
  info.max_frame_bytes = max_frame_bytes_;
  info.max_records_per_frame = max_records_per_frame_;
  info.window_records = window_records_;
  info.window_bytes = window_bytes_;
  return info;
}

// ---------------------------------------------------------------- the I/O thread

void ClientCore::ioLoop(std::shared_ptr<ClientCore> self, uint64_t generation, int fd,
                        frame::FrameReader reader) {
  t_io_core = this;
  std::deque<std::string> writes;
  size_t write_offset = 0;
  Completions completions;
  std::vector<Error> reports;
  std::optional<Error> end;
  std::optional<Error> read_error;
  bool graceful = false;
  bool quiet_end = false;

  for (;;) {
    {
      std::lock_guard lock(mu_);
      // Frames first (including any that arrived with the handshake), then what to send.
      frame::Frame frame;
      frame::ErrorCode code = frame::ErrorCode::kOk;
      while (!end) {
        const auto next = reader.next(&frame, &code);
        if (next == frame::FrameReader::Result::kNeedMore) break;
        if (next == frame::FrameReader::Result::kError) {
          end = protocolError(std::string("invalid frame: ") + frame::errorName(code));
          break;
        }
        end = handleFrameLocked(frame, completions, reports, &graceful);
      }
      if (!end && read_error) {
        // After the daemon's shutdown GOODBYE the close is expected, and was reported then.
        quiet_end = leaving_.has_value();
        end = leaving_ ? *leaving_ : *read_error;
      }
      if (!end && abort_io_) {
        end = Error{ErrorCode::kClosed, false, "the client was closed before the daemon answered"};
      }
      if (!end) pumpLocked(writes);
      if (end) connectionLostLocked(generation, *end, graceful, completions);
    }
    runCompletions(completions);
    if (options_.on_error) {
      for (const auto& report : reports) options_.on_error(report);
    }
    reports.clear();
    if (end) break;

    if (!writes.empty()) {
      if (Status written = writeSome(fd, writes, write_offset); !written.ok()) {
        read_error = written.error();
        continue;
      }
    }
    pollfd fds[2] = {{fd, static_cast<short>(POLLIN | (writes.empty() ? 0 : POLLOUT)), 0},
                     {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      read_error = Error{ErrorCode::kConnectionLost, true, "poll: " + errnoText(errno)};
      continue;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      uint64_t value = 0;
      [[maybe_unused]] ssize_t n = ::read(wake_fd_, &value, sizeof(value));
      // Cleared after draining: a wake() racing with this either finds the flag set and its
      // work already visible to the next pump, or sets it anew and writes the eventfd.
      wake_pending_.store(false);
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      // Bounded, so a flood of acks cannot starve our writes.
      for (int i = 0; i < 16; ++i) {
        Result<size_t> got = readSome(fd, reader);
        if (!got.ok()) {
          read_error = got.error();
          break;
        }
        if (got.value() == 0) break;
      }
    }
  }
  ::close(fd);
  if (!graceful && !quiet_end && options_.on_error && end->code != ErrorCode::kClosed) {
    options_.on_error(*end);
  }
  // `self` kept the core alive until here. If it is the last reference, ~ClientCore runs on
  // this thread (still marked as the I/O thread) and detaches it instead of joining itself.
  self.reset();
  t_io_core = nullptr;
}

TableState* ClientCore::tableByHandleLocked(uint32_t handle) {
  auto it = by_handle_.find(handle);
  return it == by_handle_.end() ? nullptr : it->second;
}

std::optional<Error> ClientCore::handleFrameLocked(const frame::Frame& frame,
                                                   Completions& completions,
                                                   std::vector<Error>& reports, bool* graceful) {
  frame::ErrorCode code = frame::ErrorCode::kOk;
  auto malformed = [&frame]() {
    return protocolError(std::string("malformed ") + frame::frameTypeName(frame.header.type));
  };
  auto takeRequest = [this](uint32_t id, FrameType kind) -> std::shared_ptr<Request> {
    auto it = requests_.find(id);
    if (it == requests_.end() || it->second->kind != kind) return nullptr;
    auto request = std::move(it->second);
    requests_.erase(it);
    return request;
  };
  // Errors that end the connection are reported to on_error once, when the I/O thread ends.
  auto violation = [](Error error) { return std::optional<Error>(std::move(error)); };

  switch (frame.header.type) {
    case FrameType::kAck: {
      frame::Ack ack;
      if (!frame::parseAck(frame.payload, &ack, &code)) return violation(malformed());
      if (auto error = applyAckLocked(ack, completions)) return violation(*error);
      return std::nullopt;
    }
    case FrameType::kReject: {
      frame::Reject reject;
      if (!frame::parseReject(frame.payload, &reject, &code)) return violation(malformed());
      if (auto error = applyRejectLocked(reject, completions)) return violation(*error);
      return std::nullopt;
    }
    case FrameType::kOpenResult: {
      frame::OpenResult open;
      if (!frame::parseOpenResult(frame.payload, &open, &code)) return violation(malformed());
      auto request = takeRequest(open.request_id, FrameType::kOpen);
      if (request == nullptr) return violation(protocolError("OPEN_RESULT for no OPEN"));
      Reply reply;
      if (open.error_code != frame::ErrorCode::kOk) {
        reply.error = daemonError(open.error_code, frame::defaultRetriable(open.error_code),
                                  "opening " + request->table->name + ": " +
                                      std::string(open.message));
      } else if (by_handle_.count(open.handle) != 0) {
        return violation(protocolError("OPEN_RESULT reused a live handle"));
      } else if (request->abandoned) {
        // Nobody will use this handle: give it back.
        OutFrame close;
        frame::encodeCloseHandle(close.bytes, open.handle);
        out_queue_.push_back(std::move(close));
      } else {
        TableState& table = *request->table;
        table.generation = generation_;
        table.handle = open.handle;
        tables_.push_back(request->table);
        by_handle_[open.handle] = &table;
        reply.handle = open.handle;
      }
      request->promise.set_value(std::move(reply));
      return std::nullopt;
    }
    case FrameType::kFlushed: {
      frame::Flushed flushed;
      if (!frame::parseFlushed(frame.payload, &flushed, &code)) return violation(malformed());
      auto request = takeRequest(flushed.request_id, FrameType::kFlush);
      if (request == nullptr) return violation(protocolError("FLUSHED for no FLUSH"));
      Reply reply;
      if (flushed.error_code != frame::ErrorCode::kOk) {
        reply.error = daemonError(flushed.error_code, frame::defaultRetriable(flushed.error_code),
                                  "flush failed: " + std::string(flushed.message));
      }
      request->promise.set_value(std::move(reply));
      return std::nullopt;
    }
    case FrameType::kPong: {
      frame::Pong pong;
      if (!frame::parsePong(frame.payload, &pong, &code)) return violation(malformed());
      auto it = pings_.find(pong.nonce);
      if (it != pings_.end()) {  // an unknown nonce is harmless: ignore it
        it->second->promise.set_value(Reply{});
        pings_.erase(it);
      }
      return std::nullopt;
    }
    case FrameType::kStatusResult: {
      frame::StatusResult status;
      if (!frame::parseStatusResult(frame.payload, &status, &code)) return violation(malformed());
      auto request = takeRequest(status.request_id, FrameType::kStatus);
      if (request == nullptr) return violation(protocolError("STATUS_RESULT for no STATUS"));
      Reply reply;
      reply.text = std::string(status.json);
      request->promise.set_value(std::move(reply));
      return std::nullopt;
    }
    case FrameType::kWindow: {
      frame::Window window;
      if (!frame::parseWindow(frame.payload, &window, &code)) return violation(malformed());
      window_records_ = window.window_records;
      window_bytes_ = window.window_bytes;
      space_cv_.notify_all();
      return std::nullopt;
    }
    case FrameType::kError: {
      frame::ErrorFrame error;
      if (!frame::parseError(frame.payload, &error, &code)) return violation(malformed());
      Error e = daemonError(error.error_code, error.retriable,
                            "zerobusd: " + std::string(error.message));
      if (error.fatal) return violation(e);
      if (error.error_code == frame::ErrorCode::kUnknownHandle &&
          tableByHandleLocked(error.context) != nullptr) {
        // The daemon dropped records we sent on a handle we hold: their outcomes will never
        // come. Start over on a fresh connection rather than wait forever.
        return violation(e);
      }
      auto it = requests_.find(error.context);
      if (error.context != 0 && it != requests_.end()) {
        // The daemon could not answer a request with its own result frame.
        it->second->promise.set_value(Reply{e, 0, {}});
        requests_.erase(it);
        return std::nullopt;
      }
      reports.push_back(std::move(e));
      return std::nullopt;
    }
    case FrameType::kDaemonGoodbye: {
      frame::DaemonGoodbye goodbye;
      if (!frame::parseDaemonGoodbye(frame.payload, &goodbye, &code)) {
        return violation(malformed());
      }
      if (goodbye.reason == frame::GoodbyeReason::kAnswer && goodbye_sent_) {
        *graceful = true;
        return Error{ErrorCode::kConnectionLost, true, "the daemon ended the session"};
      }
      if (!leaving_) {
        Error leaving{ErrorCode::kShuttingDown, true,
                      "zerobusd is shutting down: " + std::string(goodbye.message)};
        daemonLeavingLocked(leaving, completions);
        reports.push_back(std::move(leaving));
      }
      // Keep reading: the daemon still delivers the outcomes of what it read, then closes.
      return std::nullopt;
    }
    default:
      return violation(protocolError(std::string("unexpected ") +
                                     frame::frameTypeName(frame.header.type) + " frame"));
  }
}

std::optional<Error> ClientCore::applyAckLocked(const frame::Ack& ack, Completions& completions) {
  TableState* table = tableByHandleLocked(ack.handle);
  if (table == nullptr) return std::nullopt;  // a handle we gave back: late acks are harmless
  if (ack.next_seq > table->sent_upto) {
    return protocolError("ACK up to seq " + std::to_string(ack.next_seq) + " on handle " +
                         std::to_string(ack.handle) + ", but only " +
                         std::to_string(table->sent_upto) + " records were sent");
  }
  const bool final = ack.level == frame::AckLevel::kDurable || !finalIsDurable();
  AckUpdater updater(completions);
  advanceLocked(*table, ack.next_seq, final, updater);
  return std::nullopt;
}

void ClientCore::advanceLocked(TableState& table, uint64_t next_seq, bool final,
                               AckUpdater& updater) {
  uint64_t& upto = final ? table.final_upto : table.accepted_upto;
  if (next_seq <= upto) return;  // cumulative: a repeated or older ack changes nothing
  for (uint64_t seq = std::max(upto, table.base_seq); seq < next_seq; ++seq) {
    PendingRecord& record = table.pending[seq - table.base_seq];
    if ((record.flags & kFinalFlag) != 0) continue;  // rejected earlier
    const bool newly_accepted = (record.flags & kAcceptedFlag) == 0;
    record.flags |= kAcceptedFlag;
    if (final) finalizeRecordLocked(table, record);
    updater.progress(record.state, newly_accepted, final);
  }
  upto = next_seq;
  if (final) {
    table.accepted_upto = std::max(table.accepted_upto, next_seq);
    updater.flush();
    popFinalLocked(table);
  }
}

void ClientCore::finalizeRecordLocked(TableState& table, PendingRecord& record) {
  (void)table;
  record.flags |= kFinalFlag | kAcceptedFlag;
  --inflight_records_;
  inflight_bytes_ -= record.size;
  --queued_records_;
  queued_bytes_ -= record.size;
}

void ClientCore::popFinalLocked(TableState& table) {
  bool popped = false;
  while (!table.pending.empty() && (table.pending.front().flags & kFinalFlag) != 0) {
    table.pending.pop_front();
    ++table.base_seq;
    popped = true;
  }
  if (popped) space_cv_.notify_all();
}

std::optional<Error> ClientCore::applyRejectLocked(const frame::Reject& reject,
                                                   Completions& completions) {
  TableState* table = tableByHandleLocked(reject.handle);
  if (table == nullptr) return std::nullopt;
  const uint64_t end = reject.first_seq + reject.count;  // parseReject excludes overflow
  if (end > table->sent_upto) {
    return protocolError("REJECT of seqs up to " + std::to_string(end) + " on handle " +
                         std::to_string(reject.handle) + ", but only " +
                         std::to_string(table->sent_upto) + " records were sent");
  }
  const Error error = daemonError(reject.error_code, reject.retriable, reject.message);
  AckUpdater updater(completions);
  for (uint64_t seq = std::max(reject.first_seq, table->base_seq); seq < end; ++seq) {
    PendingRecord& record = table->pending[seq - table->base_seq];
    if ((record.flags & kFinalFlag) != 0) continue;  // exactly one outcome per record
    const bool newly_accepted = (record.flags & kAcceptedFlag) == 0;
    finalizeRecordLocked(*table, record);
    updater.fail(record.state, record.index, newly_accepted, error);
  }
  updater.flush();
  popFinalLocked(*table);
  return std::nullopt;
}

void ClientCore::daemonLeavingLocked(const Error& reason, Completions& completions) {
  leaving_ = reason;
  const Error unsent{ErrorCode::kShuttingDown, true,
                     reason.message + " (the record was not sent)"};
  {
    AckUpdater updater(completions);
    for (const auto& table : tables_) {
      // Unsent records are the tail of `pending` (seq >= sent_upto).
      while (!table->pending.empty() &&
             table->base_seq + table->pending.size() > table->sent_upto) {
        PendingRecord& record = table->pending.back();
        if ((record.flags & kFinalFlag) == 0) {
          updater.fail(record.state, record.index, (record.flags & kAcceptedFlag) == 0, unsent);
          --queued_records_;
          queued_bytes_ -= record.size;
        }
        table->pending.pop_back();
      }
      table->next_seq = table->base_seq + table->pending.size();
      table->open_frame.clear();
      table->encoder = frame::RecordsEncoder();
    }
  }
  for (OutFrame& out : out_queue_) {
    if (out.request == nullptr) continue;
    if (out.request->kind == FrameType::kPing) {
      pings_.erase(out.nonce);
    } else {
      requests_.erase(out.request_id);
    }
    out.request->promise.set_value(Reply{reason, 0, {}});
  }
  out_queue_.clear();
  records_frames_queued_ = 0;
  space_cv_.notify_all();
}

void ClientCore::connectionLostLocked(uint64_t generation, const Error& reason, bool graceful,
                                      Completions& completions) {
  if (generation != generation_ || !connected_) return;
  connected_ = false;
  const Error sent{ErrorCode::kConnectionLost, true,
                   (graceful ? std::string("the session ended before the outcome arrived")
                             : "connection to zerobusd lost: " + reason.message) +
                       " (the record was sent and may still land)"};
  const Error unsent =
      closed_ ? Error{ErrorCode::kClosed, false, "the client was closed before the record was sent"}
              : Error{ErrorCode::kConnectionLost, true,
                      "connection to zerobusd lost: " + reason.message +
                          " (the record was not sent)"};
  {
    AckUpdater updater(completions);
    for (const auto& table : tables_) {
      for (size_t i = 0; i < table->pending.size(); ++i) {
        PendingRecord& record = table->pending[i];
        if ((record.flags & kFinalFlag) != 0) continue;
        const bool was_sent = table->base_seq + i < table->sent_upto;
        updater.fail(record.state, record.index, (record.flags & kAcceptedFlag) == 0,
                     was_sent ? sent : unsent);
      }
      table->pending.clear();
      table->open_frame.clear();
      table->encoder = frame::RecordsEncoder();
      table->handle = 0;
      table->next_seq = table->base_seq = table->sent_upto = 0;
      table->accepted_upto = table->final_upto = 0;
    }
  }
  std::erase_if(tables_, [](const std::shared_ptr<TableState>& table) {
    if (!table->closed) return false;
    return true;
  });
  by_handle_.clear();
  out_queue_.clear();
  records_frames_queued_ = 0;
  inflight_records_ = inflight_bytes_ = 0;
  queued_records_ = queued_bytes_ = 0;
  const Error request_error{ErrorCode::kConnectionLost, true,
                            "connection to zerobusd lost: " + reason.message};
  for (auto& [id, request] : requests_) request->promise.set_value(Reply{request_error, 0, {}});
  for (auto& [nonce, request] : pings_) request->promise.set_value(Reply{request_error, 0, {}});
  requests_.clear();
  pings_.clear();
  space_cv_.notify_all();
  state_cv_.notify_all();
}

}  // namespace zerobusd::details
