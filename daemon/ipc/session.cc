#include "daemon/ipc/session.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/frame/frame.h"
#include "common/frame/messages.h"
#include "common/log_limiter.h"

namespace zerobusd::ipc {

namespace f = zerobusd::frame;

namespace {
constexpr uint8_t kAckAccepted = f::kAckBitAccepted;
constexpr uint8_t kAckDurable = f::kAckBitDurable;
constexpr uint32_t kAllHandles = f::kAllHandles;

uint16_t code(f::ErrorCode c) { return static_cast<uint16_t>(c); }
}  // namespace

Session::Session(SessionDeps deps, std::shared_ptr<Connection> connection, uint64_t id)
    : deps_(std::move(deps)), connection_(std::move(connection)), id_(id) {}

Session::~Session() {
  *alive_ = false;
  if (handshake_timer_) deps_.loop.cancelTimer(*handshake_timer_);
  if (watchdog_timer_) deps_.loop.cancelTimer(*watchdog_timer_);
  for (auto& flush : flushes_) deps_.loop.cancelTimer(flush.timer);
}

void Session::start() {
  std::weak_ptr<Session> weak = weak_from_this();
  connection_->start({[weak](std::string_view data) {
                        if (auto self = weak.lock()) self->onData(data);
                      },
                      [weak](const std::string& reason) {
                        if (auto self = weak.lock()) {
                          spdlog::debug("session {} (pid {} uid {}) closed: {}", self->id_,
                                        self->peer().pid, self->peer().uid, reason);
                          if (self->deps_.metrics && self->window_records_ > 0) {
                            self->deps_.metrics->outcomeDropped(self->window_records_);
                          }
                          self->deps_.on_closed(self->id_);
                        }
                      }});
  // A peer that connects and says nothing (or one byte a second) is dropped on time.
  handshake_timer_ = deps_.loop.addTimer(std::chrono::milliseconds(deps_.limits.handshake_timeout_ms), [weak] {
    auto self = weak.lock();
    if (!self) return;
    self->handshake_timer_.reset();
    if (!self->hello_) self->fatal(code(f::ErrorCode::kHandshakeRequired), "handshake timed out", "handshake_timeout");
  });
  last_activity_at_ = deps_.loop.now();
  armWatchdog();
}

void Session::armWatchdog() {
  // Checked a few times per period: a peer is dropped at most a quarter period late.
  int64_t period = deps_.limits.frame_timeout_ms;
  if (deps_.limits.idle_timeout_ms > 0) period = std::min(period, deps_.limits.idle_timeout_ms);
  auto tick = std::chrono::milliseconds(std::max<int64_t>(period / 4, 10));
  std::weak_ptr<Session> weak = weak_from_this();
  watchdog_timer_ = deps_.loop.addTimer(tick, [weak] {
    auto self = weak.lock();
    if (!self) return;
    self->watchdog_timer_.reset();
    self->checkTimeouts();
  });
}

void Session::checkTimeouts() {
  // Ending anyway (the producer said goodbye or the daemon stops): nothing more is read.
  if (connection_->closed() || goodbye_ || shutting_down_) return;
  auto now = deps_.loop.now();
  auto ms = [](EventLoop::Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  // A frame trickling in (one byte a second) holds a buffer and a slot: drop the peer. Time
  // the daemon spends not reading (back-pressure) does not count: partial_since_ is unset.
  if (!paused_ && partial_since_ && ms(now - *partial_since_) >= deps_.limits.frame_timeout_ms) {
    fatal(code(f::ErrorCode::kTimeout),
          fmt::format("a frame was begun {} ms ago and is still incomplete ({} bytes received)",
                      ms(now - *partial_since_), in_.size()),
          "frame_timeout");
    return;
  }
  // Acks still to be written count as pending: closing now would lose the producer's acks.
  if (deps_.limits.idle_timeout_ms > 0 && hello_ && window_records_ == 0 && flushes_.empty() && in_.empty() &&
      dirty_.empty() && !acks_scheduled_ && ms(now - last_activity_at_) >= deps_.limits.idle_timeout_ms) {
    fatal(code(f::ErrorCode::kTimeout), fmt::format("idle for {} ms", ms(now - last_activity_at_)), "idle_timeout");
    return;
  }
  armWatchdog();
}

void Session::close(const std::string& reason) { connection_->close(reason, true); }

void Session::announceShutdown(const std::string& message) {
  shutting_down_ = true;
  connection_->pauseReading();
  scratch_.clear();
  f::encodeDaemonGoodbye(scratch_, f::GoodbyeReason::kShuttingDown, message);
  connection_->write(scratch_);
  if (window_records_ == 0) close("daemon shutting down");
}

// --- input ----------------------------------------------------------------------------------

void Session::onData(std::string_view data) {
  in_.append(data);
  process();
}

void Session::process() {
  size_t offset = 0;
  while (!paused_ && !connection_->closed() && !goodbye_ && !shutting_down_) {
    uint32_t max_payload = hello_ ? deps_.limits.max_frame_bytes : f::kPreHandshakeMaxFrame;
    auto header = f::parseHeader(reinterpret_cast<const uint8_t*>(in_.data() + offset),
                                 in_.size() - offset, max_payload);
    if (header.status == f::HeaderStatus::kNeedMore) break;
    if (header.status == f::HeaderStatus::kError) {
      fatal(code(header.error), fmt::format("bad frame header: {}", f::errorName(header.error)), "bad_header");
      break;
    }
    size_t total = f::kHeaderSize + header.header.payload_size;
    if (in_.size() - offset < total) break;
    std::string_view payload(in_.data() + offset + f::kHeaderSize, header.header.payload_size);
    auto type = static_cast<uint8_t>(header.header.type);
    if (deps_.metrics) deps_.metrics->frame(type);
    last_activity_at_ = deps_.loop.now();
    partial_since_.reset();
    if (!handleFrame(type, payload)) {
      if (paused_) break;  // the frame stays in in_ and is handled on resume
      offset += total;
      break;
    }
    offset += total;
  }
  in_.erase(0, offset);
  if (in_.empty() || paused_) {
    partial_since_.reset();
  } else if (!partial_since_) {
    partial_since_ = deps_.loop.now();
  }
  if (hello_ && !dirty_.empty()) flushAcks();
}

bool Session::handleFrame(uint8_t type, std::string_view payload) {
  auto frame_type = static_cast<f::FrameType>(type);
  if (!f::isClientFrameType(type)) {
    fatal(code(f::ErrorCode::kUnknownFrameType), fmt::format("frame type 0x{:02x} is not a client frame", type),
          "unknown_type");
    return false;
  }
  if (!hello_ && frame_type != f::FrameType::kHello) {
    fatal(code(f::ErrorCode::kHandshakeRequired), "the first frame must be HELLO", "no_hello");
    return false;
  }
  switch (frame_type) {
    case f::FrameType::kHello:
      return onHello(payload);
    case f::FrameType::kOpen:
      return onOpen(payload);
    case f::FrameType::kRecords:
      return onRecords(payload);
    case f::FrameType::kFlush:
      return onFlush(payload);
    case f::FrameType::kPing: {
      f::Ping ping;
      f::ErrorCode error{};
      if (!f::parsePing(payload, &ping, &error)) {
        fatal(code(error), "malformed PING", "malformed");
        return false;
      }
      scratch_.clear();
      f::encodePong(scratch_, ping.nonce);
      connection_->write(scratch_);
      return true;
    }
    case f::FrameType::kCloseHandle: {
      f::CloseHandle close_handle;
      f::ErrorCode error{};
      if (!f::parseCloseHandle(payload, &close_handle, &error)) {
        fatal(code(error), "malformed CLOSE_HANDLE", "malformed");
        return false;
      }
      // No new records on it; what was sent still gets its outcomes, then the handle goes.
      auto it = handles_.find(close_handle.handle);
      if (it != handles_.end()) it->second.closed = true;
      eraseDrainedClosedHandles();
      return true;
    }
    case f::FrameType::kGoodbye: {
      f::ErrorCode error{};
      if (!f::parseGoodbye(payload, &error)) {
        fatal(code(error), "malformed GOODBYE", "malformed");
        return false;
      }
      goodbye_ = true;
      connection_->pauseReading();
      for (auto& [id, handle] : handles_) {
        if (handle.table != nullptr) handle.table->pipeline->flushNow();
      }
      checkGoodbye();
      return false;
    }
    case f::FrameType::kStatus: {
      f::StatusRequest request;
      f::ErrorCode error{};
      if (!f::parseStatus(payload, &request, &error)) {
        fatal(code(error), "malformed STATUS", "malformed");
        return false;
      }
      scratch_.clear();
      f::encodeStatusResult(scratch_, request.request_id, deps_.status_json ? deps_.status_json() : "{}");
      connection_->write(scratch_);
      return true;
    }
    default:
      fatal(code(f::ErrorCode::kUnknownFrameType), fmt::format("unknown frame type 0x{:02x}", type), "unknown_type");
      return false;
  }
}

bool Session::onHello(std::string_view payload) {
  if (hello_) {
    fatal(code(f::ErrorCode::kMalformedFrame), "HELLO sent twice", "malformed");
    return false;
  }
  f::Hello hello;
  f::ErrorCode error{};
  if (!f::parseHello(payload, &hello, &error)) {
    fatal(code(error), "malformed HELLO", "malformed");
    return false;
  }
  hello_ = true;
  ack_levels_ = hello.ack_levels;
  if (handshake_timer_) {
    deps_.loop.cancelTimer(*handshake_timer_);
    handshake_timer_.reset();
  }
  spdlog::debug("session {}: HELLO from '{}' (pid {} uid {} gid {}), ack levels {}", id_,
                hello.client_name, peer().pid, peer().uid, peer().gid, ack_levels_);
  scratch_.clear();
  f::Welcome welcome;
  welcome.ack_levels = ack_levels_;
  welcome.max_frame_bytes = std::max(deps_.limits.max_frame_bytes, f::kMinMaxFrameBytes);
  welcome.max_records_per_frame = std::max<uint32_t>(1, deps_.limits.max_records_per_frame);
  // The protocol promises a window that holds at least one full frame.
  welcome.window_records = std::max<uint64_t>(deps_.limits.window_records, welcome.max_records_per_frame);
  welcome.window_bytes = std::max<uint64_t>(deps_.limits.window_bytes, welcome.max_frame_bytes);
  window_records_limit_ = welcome.window_records;
  window_bytes_limit_ = welcome.window_bytes;
  welcome.daemon_version = deps_.daemon_version;
  f::encodeWelcome(scratch_, welcome);
  connection_->write(scratch_);
  return true;
}

bool Session::onOpen(std::string_view payload) {
  f::Open open;
  f::ErrorCode error{};
  if (!f::parseOpen(payload, &open, &error)) {
    fatal(code(error), "malformed OPEN", "malformed");
    return false;
  }
  auto answer = [&](f::ErrorCode result, uint32_t handle, const std::string& message) {
    scratch_.clear();
    f::encodeOpenResult(scratch_, open.request_id, result, handle, message);
    connection_->write(scratch_);
    if (result != f::ErrorCode::kOk) {
      spdlog::debug("session {} (pid {} uid {} gid {}): OPEN {} refused: {}", id_, peer().pid, peer().uid, peer().gid,
                    open.table, message);
      if (deps_.metrics) deps_.metrics->openRefused(f::errorName(result));
    }
    return true;
  };
  std::string table_name(open.table);
  const TableBinding* table = deps_.find_table(table_name);
  if (table == nullptr) {
    return answer(f::ErrorCode::kUnknownTable, 0, fmt::format("table '{}' is not configured", table_name));
  }
  if (table->allowed && !table->allowed(peer())) {
    return answer(f::ErrorCode::kPermissionDenied, 0,
                  fmt::format("uid {} gid {} may not write table '{}'", peer().uid, peer().gid, table_name));
  }
  if (static_cast<uint8_t>(open.record_type) != table->record_type) {
    return answer(f::ErrorCode::kRecordTypeMismatch, 0,
                  fmt::format("table '{}' takes {} records", table_name, table->record_type == 1 ? "PROTO" : "JSON"));
  }
  if (handles_.size() >= deps_.limits.max_handles) {
    return answer(f::ErrorCode::kLimitExceeded, 0,
                  fmt::format("at most {} open handles per connection", deps_.limits.max_handles));
  }
  uint32_t id = next_handle_++;
  Handle handle;
  handle.tracker = std::make_shared<pipeline::HandleTracker>(id, weak_from_this());
  handle.table = table;
  handle.table_name = table_name;
  handles_.emplace(id, std::move(handle));
  return answer(f::ErrorCode::kOk, id, "");
}

void Session::rebind(const TableBinding* from, const TableBinding* to, const std::string& why) {
  for (auto& [id, handle] : handles_) {
    if (handle.table != from) continue;
    if (to != nullptr && to->record_type == from->record_type) {
      handle.table = to;
      continue;
    }
    handle.table = nullptr;
    handle.gone = why;
    spdlog::info("session {}: handle {} of table '{}' closed for new records: {}", id_, id, handle.table_name, why);
  }
}

bool Session::onRecords(std::string_view payload) {
  f::RecordsView view;
  f::ErrorCode error{};
  if (!f::parseRecords(payload, &view, &error, deps_.limits.max_records_per_frame)) {
    if (error == f::ErrorCode::kTooManyRecords) {
      fatal(code(error), fmt::format("more than {} records in one frame", deps_.limits.max_records_per_frame),
            "too_many_records");
    } else {
      fatal(code(error), "malformed RECORDS", "malformed");
    }
    return false;
  }
  auto it = handles_.find(view.handle);
  if (it == handles_.end() || it->second.closed) {
    // Nothing can be tracked for an unknown handle: say so, the connection stays.
    sendError(code(f::ErrorCode::kUnknownHandle), false, view.handle,
              fmt::format("handle {} is not open; {} records ignored", view.handle, view.count));
    return true;
  }
  Handle& handle = it->second;
  if (view.first_seq != handle.tracker->nextSeq()) {
    fatal(code(f::ErrorCode::kSequenceGap),
          fmt::format("handle {}: records start at {}, expected {}", view.handle, view.first_seq,
                      handle.tracker->nextSeq()),
          "sequence_gap");
    return false;
  }
  // Back-pressure before anything is taken: the frame stays unread until there is room.
  uint64_t frame_bytes = view.record_bytes;
  if (window_records_ > 0 && (window_records_ + view.count > window_records_limit_ ||
                              window_bytes_ + frame_bytes > window_bytes_limit_)) {
    pauseFor("window");
    return false;
  }
  // A handle whose table a reload removed has no pipeline: its records are all rejected.
  const TableBinding* table = handle.table;
  pipeline::TablePipeline* pipeline = table != nullptr ? table->pipeline : nullptr;
  if (pipeline != nullptr && !pipeline->hasRoom()) {
    pauseFor("table queue full");
    std::weak_ptr<Session> weak = weak_from_this();
    pipeline->waitForRoom([weak] {
      if (auto self = weak.lock()) self->resume();
    });
    return false;
  }

  const std::string& table_name = handle.table_name;
  pipeline::Records records;
  records.Reserve(static_cast<int>(view.count));
  std::vector<uint32_t> rejected;
  uint64_t bytes = 0;
  uint64_t received_bytes = 0;
  std::string reason;
  uint32_t index = 0;
  // Runs of rejected records with one reason go out as one REJECT frame.
  uint32_t run_start = 0, run_len = 0;
  uint16_t run_code = 0;
  std::string run_message;
  auto flushRun = [&] {
    if (run_len == 0) return;
    scratch_.clear();
    f::encodeReject(scratch_, view.handle, view.first_seq + run_start, run_len, static_cast<f::ErrorCode>(run_code),
                    false, run_message);
    connection_->write(scratch_);
    run_len = 0;
  };
  auto reject = [&](f::ErrorCode c, const char* metric_reason, std::string message) {
    rejected.push_back(index);
    if (deps_.metrics) deps_.metrics->recordsRejected(table_name, metric_reason, 1);
    if (run_len > 0 && run_start + run_len == index && run_code == code(c) && run_message == message) {
      ++run_len;
      return;
    }
    flushRun();
    run_start = index;
    run_len = 1;
    run_code = code(c);
    run_message = std::move(message);
  };
  for (std::string_view record : view) {
    received_bytes += record.size();
    if (table == nullptr) {
      reject(f::ErrorCode::kUnknownTable, "table_removed", handle.gone);
    } else if (record.size() > deps_.limits.max_record_bytes) {
      reject(f::ErrorCode::kRecordTooLarge, "too_large",
             fmt::format("record of {} bytes, at most {}", record.size(), deps_.limits.max_record_bytes));
    } else if (table->check != nullptr && !table->check->check(record, &reason)) {
      reject(f::ErrorCode::kInvalidRecord, "invalid", reason);
    } else {
      records.Add()->assign(record.data(), record.size());
      bytes += record.size();
    }
    ++index;
  }
  flushRun();
  if (deps_.metrics) {
    deps_.metrics->recordsReceived(table_name, view.count, received_bytes);
    deps_.metrics->recordsAccepted(table_name, static_cast<uint64_t>(records.size()), bytes);
  }
  bool any = !records.empty();
  auto seg = handle.tracker->addFrame(view.count, std::move(rejected), bytes, any ? 1 : 0);
  if (any) {
    window_records_ += static_cast<uint64_t>(records.size());
    window_bytes_ += bytes;
    pipeline->submit(seg, std::move(records));
  }
  if (ack_levels_ & kAckAccepted) dirty_.insert(view.handle);
  return true;
}

bool Session::onFlush(std::string_view payload) {
  f::Flush flush;
  f::ErrorCode error{};
  if (!f::parseFlush(payload, &flush, &error)) {
    fatal(code(error), "malformed FLUSH", "malformed");
    return false;
  }
  FlushWait wait{flush.request_id, {}, 0};
  for (auto& [id, handle] : handles_) {
    if (flush.handle != kAllHandles && flush.handle != id) continue;
    if (handle.table != nullptr) handle.table->pipeline->flushNow();  // no linger for a producer that waits
    if (handle.tracker->durableNext() < handle.tracker->nextSeq()) wait.targets[id] = handle.tracker->nextSeq();
  }
  if (flush.handle != kAllHandles && !handles_.contains(flush.handle)) {
    scratch_.clear();
    f::encodeFlushed(scratch_, flush.request_id, f::ErrorCode::kUnknownHandle,
                     fmt::format("handle {} is not open", flush.handle));
    connection_->write(scratch_);
    return true;
  }
  if (wait.targets.empty()) {
    scratch_.clear();
    f::encodeFlushed(scratch_, flush.request_id, f::ErrorCode::kOk, "");
    connection_->write(scratch_);
    return true;
  }
  std::weak_ptr<Session> weak = weak_from_this();
  uint32_t request_id = flush.request_id;
  wait.timer = deps_.loop.addTimer(std::chrono::milliseconds(deps_.limits.flush_timeout_ms), [weak, request_id] {
    auto self = weak.lock();
    if (!self) return;
    auto& flushes = self->flushes_;
    auto found = std::find_if(flushes.begin(), flushes.end(), [&](const FlushWait& w) { return w.request_id == request_id; });
    if (found == flushes.end()) return;
    flushes.erase(found);
    self->scratch_.clear();
    f::encodeFlushed(self->scratch_, request_id, f::ErrorCode::kTimeout, "flush timed out");
    self->connection_->write(self->scratch_);
  });
  flushes_.push_back(std::move(wait));
  return true;
}

// --- outcomes ---------------------------------------------------------------------------------

void Session::onReject(uint32_t handle, uint64_t first_seq, uint64_t count, uint16_t error_code,
                       bool retriable, const std::string& message) {
  if (!handles_.contains(handle)) return;
  scratch_.clear();
  f::encodeReject(scratch_, handle, first_seq, static_cast<uint32_t>(count),
                  static_cast<f::ErrorCode>(error_code), retriable, message);
  connection_->write(scratch_);
}

void Session::onFinal(uint32_t handle, uint64_t records, uint64_t bytes, uint64_t /*durable_next*/) {
  window_records_ -= std::min(window_records_, records);
  window_bytes_ -= std::min(window_bytes_, bytes);
  last_activity_at_ = deps_.loop.now();
  if (handles_.contains(handle) && (ack_levels_ & kAckDurable)) dirty_.insert(handle);
  scheduleAcks();
  if (paused_) resume();
}

void Session::scheduleAcks() {
  if (acks_scheduled_) return;
  acks_scheduled_ = true;
  // One pass per loop turn: many segments finishing together give one ACK per handle.
  std::weak_ptr<Session> weak = weak_from_this();
  deps_.loop.post([weak] {
    if (auto self = weak.lock()) {
      self->acks_scheduled_ = false;
      self->flushAcks();
    }
  });
}

void Session::flushAcks() {
  scratch_.clear();
  for (uint32_t id : dirty_) {
    auto it = handles_.find(id);
    if (it == handles_.end()) continue;
    Handle& handle = it->second;
    uint64_t accepted = handle.tracker->nextSeq();
    if ((ack_levels_ & kAckAccepted) && accepted > handle.accepted_sent) {
      f::encodeAck(scratch_, id, f::AckLevel::kAccepted, accepted);
      handle.accepted_sent = accepted;
    }
    uint64_t durable = handle.tracker->durableNext();
    if ((ack_levels_ & kAckDurable) && durable > handle.durable_sent) {
      f::encodeAck(scratch_, id, f::AckLevel::kDurable, durable);
      handle.durable_sent = durable;
    }
  }
  dirty_.clear();
  if (!scratch_.empty()) connection_->write(scratch_);
  eraseDrainedClosedHandles();
  checkFlushes();
  checkGoodbye();
}

void Session::eraseDrainedClosedHandles() {
  for (auto it = handles_.begin(); it != handles_.end();) {
    const Handle& h = it->second;
    bool drained = h.tracker->durableNext() == h.tracker->nextSeq() &&
                   (!(ack_levels_ & kAckDurable) || h.durable_sent == h.tracker->nextSeq());
    if (h.closed && drained && !dirty_.contains(it->first)) {
      it = handles_.erase(it);
    } else {
      ++it;
    }
  }
}

void Session::checkFlushes() {
  for (auto it = flushes_.begin(); it != flushes_.end();) {
    bool done = true;
    for (auto& [id, target] : it->targets) {
      auto h = handles_.find(id);
      if (h != handles_.end() && h->second.tracker->durableNext() < target) done = false;
    }
    if (!done) {
      ++it;
      continue;
    }
    deps_.loop.cancelTimer(it->timer);
    scratch_.clear();
    f::encodeFlushed(scratch_, it->request_id, f::ErrorCode::kOk, "");
    connection_->write(scratch_);
    it = flushes_.erase(it);
  }
}

void Session::checkGoodbye() {
  if ((!goodbye_ && !shutting_down_) || window_records_ > 0) return;
  if (goodbye_) {
    scratch_.clear();
    f::encodeDaemonGoodbye(scratch_, f::GoodbyeReason::kAnswer, "");
    connection_->write(scratch_);
  }
  connection_->close(goodbye_ ? "goodbye" : "daemon shutting down", true);
}

// --- flow control and errors ----------------------------------------------------------------

void Session::pauseFor(const char* why) {
  if (paused_) return;
  paused_ = true;
  connection_->pauseReading();
  spdlog::debug("session {}: reading paused ({})", id_, why);
}

void Session::resume() {
  if (!paused_ || connection_->closed()) return;
  paused_ = false;
  if (!goodbye_ && !shutting_down_) connection_->resumeReading();
  process();  // the frame that paused us is still in in_
}

void Session::sendError(uint16_t error_code, bool fatal, uint32_t context, const std::string& message) {
  scratch_.clear();
  f::encodeError(scratch_, static_cast<f::ErrorCode>(error_code),
                 f::defaultRetriable(static_cast<f::ErrorCode>(error_code)), fatal, context, message);
  connection_->write(scratch_);
}

void Session::fatal(uint16_t error_code, const std::string& message, const char* metric) {
  // One misbehaving client reconnecting in a loop must not flood the log (the metric counts all).
  thread_local LogLimiter limiter;  // per loop thread
  uint64_t suppressed = 0;
  if (limiter.allow(metric, &suppressed)) {
    spdlog::warn("session {} (pid {} uid {}): protocol error, closing: {}{}", id_, peer().pid, peer().uid, message,
                 suppressed > 0 ? fmt::format(" ({} similar errors not logged)", suppressed) : "");
  }
  if (deps_.metrics) deps_.metrics->protocolError(metric);
  // Outcomes already known go out before the ERROR: the producer must not retry records the
  // daemon has already made durable.
  if (!dirty_.empty()) flushAcks();
  if (connection_->closed()) return;
  sendError(error_code, true, 0, message);
  // Records already accepted on this connection still complete upstream.
  connection_->close(message, true);
}

}  // namespace zerobusd::ipc
