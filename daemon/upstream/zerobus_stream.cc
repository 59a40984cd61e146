#include "daemon/upstream/zerobus_stream.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/log_limiter.h"

namespace zerobusd::upstream {

namespace {

using Clock = EventLoop::Clock;
using std::chrono::milliseconds;

absl::Status fromGrpc(const grpc::Status& status) {
  if (status.ok()) {
    // A clean end in the middle of a stream is an error for the client, and retriable (§7).
    return absl::UnavailableError("Stream closed by server without errors.");
  }
  return {static_cast<absl::StatusCode>(status.error_code()), status.error_message()};
}

bool isAuthError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnauthenticated ||
         status.code() == absl::StatusCode::kPermissionDenied;
}

size_t varintSize(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// The encoded size of the request that will carry `records`, at most (offset at 10 bytes).
uint64_t encodedRequestBound(const Records& records) {
  uint64_t inner = 0;
  for (const std::string& record : records) inner += 1 + varintSize(record.size()) + record.size();
  // batch { offset (11), kind { records } } inside the request envelope.
  uint64_t batch = 11 + 1 + varintSize(inner) + inner;
  return 1 + varintSize(batch) + batch;
}

Records takeRecords(zb::EphemeralStreamRequest& request) {
  Records out;
  if (request.has_ingest_record()) {
    auto* single = request.mutable_ingest_record();
    std::string* record = single->has_proto_encoded_record() ? single->mutable_proto_encoded_record()
                                                             : single->mutable_json_record();
    out.Add()->swap(*record);
  } else if (request.has_ingest_record_batch()) {
    auto* batch = request.mutable_ingest_record_batch();
    out.Swap(batch->has_proto_encoded_batch() ? batch->mutable_proto_encoded_batch()->mutable_records()
                                              : batch->mutable_json_batch()->mutable_records());
  }
  return out;
}

milliseconds jittered(int64_t base_ms) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  return milliseconds(static_cast<int64_t>(static_cast<double>(base_ms) * factor(rng)));
}

}  // namespace

const char* stateName(StreamState state) {
  switch (state) {
    case StreamState::Uninitialized: return "UNINITIALIZED";
    case StreamState::Opened: return "OPENED";
    case StreamState::Flushing: return "FLUSHING";
    case StreamState::Recovering: return "RECOVERING";
    case StreamState::Closed: return "CLOSED";
    case StreamState::Failed: return "FAILED";
  }
  return "?";
}

std::shared_ptr<ZerobusStream> ZerobusStream::create(EventLoop& loop,
                                                     std::shared_ptr<grpc::Channel> channel,
                                                     std::shared_ptr<TokenSource> tokens,
                                                     TableTarget target, StreamOptions options,
                                                     StreamCallbacks callbacks,
                                                     UpstreamMetrics* metrics) {
  return std::shared_ptr<ZerobusStream>(new ZerobusStream(loop, std::move(channel),
                                                          std::move(tokens), std::move(target),
                                                          std::move(options), std::move(callbacks),
                                                          metrics));
}

ZerobusStream::ZerobusStream(EventLoop& loop, std::shared_ptr<grpc::Channel> channel,
                             std::shared_ptr<TokenSource> tokens, TableTarget target,
                             StreamOptions options, StreamCallbacks callbacks,
                             UpstreamMetrics* metrics)
    : loop_(loop),
      channel_(std::move(channel)),
      stub_(zb::Zerobus::NewStub(channel_)),
      tokens_(std::move(tokens)),
      target_(std::move(target)),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      metrics_(metrics) {
  static UpstreamMetrics unused;  // a null sink when the owner keeps no metrics
  if (metrics_ == nullptr) metrics_ = &unused;
  auto* create = create_request_.mutable_create_stream();
  create->set_table_name(target_.table_name);
  create->set_record_type(target_.record_type == RecordType::Proto ? zb::PROTO : zb::JSON);
  if (target_.record_type == RecordType::Proto) {
    create->set_descriptor_proto(target_.descriptor_proto);
  }
}

ZerobusStream::~ZerobusStream() {
  for (auto* timer : {&attempt_timer_, &backoff_timer_, &pause_timer_, &ack_timer_, &drain_timer_}) {
    cancelTimer(*timer);
  }
  for (auto& flush : flushes_) loop_.cancelTimer(flush.timer);
  if (call_ != nullptr) {
    call_->cancel();
    call_->release();
  }
}

void ZerobusStream::cancelTimer(std::optional<EventLoop::TimerId>& timer) {
  if (timer) loop_.cancelTimer(*timer);
  timer.reset();
}

void ZerobusStream::setState(StreamState state) {
  if (state_ == state) return;
  state_ = state;
  if (callbacks_.on_state) callbacks_.on_state(state);
}

// --- opening and recovery -----------------------------------------------------------------------

void ZerobusStream::start() {
  if (state_ != StreamState::Uninitialized || phase_ != CallPhase::None) return;
  attempts_in_episode_ = 0;
  beginAttempt();
}

void ZerobusStream::beginAttempt() {
  backoff_timer_.reset();
  ++attempt_;
  ++attempts_in_episode_;
  phase_ = CallPhase::Connecting;
  std::weak_ptr<ZerobusStream> weak = weak_from_this();
  uint64_t attempt = attempt_;
  // The whole attempt (token, call, headers, create response) is bounded, as the SDK's.
  attempt_timer_ = loop_.addTimer(milliseconds(options_.recovery_timeout_ms), [weak, attempt] {
    auto self = weak.lock();
    if (!self || self->attempt_ != attempt) return;
    self->attempt_timer_.reset();
    self->attemptFailed(absl::DeadlineExceededError("Stream creation timed out"));
  });
  bool invalidate = invalidate_token_;
  invalidate_token_ = false;
  tokens_->getToken(invalidate, [weak, attempt](absl::StatusOr<std::string> token) {
    auto self = weak.lock();
    if (!self || self->attempt_ != attempt || self->phase_ != CallPhase::Connecting ||
        self->call_ != nullptr) {
      return;
    }
    self->onToken(attempt, std::move(token));
  });
}

void ZerobusStream::onToken(uint64_t /*attempt*/, absl::StatusOr<std::string> token) {
  if (!token.ok()) {
    attemptFailed(token.status());
    return;
  }
  std::vector<std::pair<std::string, std::string>> metadata = {
      {"authorization", "Bearer " + *token},
      {"x-databricks-zerobus-table-name", target_.table_name}};
  for (const auto& [key, value] : options_.extra_headers) metadata.emplace_back(key, value);
  ++call_id_;
  call_ = GrpcCall::start(*stub_, channel_, loop_, weak_from_this(), call_id_, metadata);
}

void ZerobusStream::onHeaders(uint64_t call_id, bool ok) {
  if (!isCurrent(call_id) || phase_ != CallPhase::Connecting || !ok) return;
  // Only now may the client write: the service sends its headers first (§4.1).
  phase_ = CallPhase::AwaitCreate;
  writing_ = true;
  call_->write(&create_request_);
}

void ZerobusStream::attemptFailed(const absl::Status& error) {
  cancelTimer(attempt_timer_);
  abandonCall();
  last_error_ = error;
  UpstreamMetrics::add(metrics_->open_failures);
  // A refused token is dropped and fetched anew; the first auth failure of an episode is
  // retried once even though auth errors are not retriable (the newer SDK's rule).
  bool auth_retry = isAuthError(error) && !invalidate_token_ && attempts_in_episode_ == 1;
  if (isAuthError(error)) invalidate_token_ = true;
  bool retriable = isRetriable(error) || auth_retry;
  if (!options_.recovery || !retriable || attempts_in_episode_ > options_.recovery_retries) {
    spdlog::warn("zerobus stream on {}: giving up after {} attempt(s): {}", target_.table_name,
                 attempts_in_episode_, error.ToString());
    fail(error);
    return;
  }
  spdlog::info("zerobus stream on {}: attempt {} failed ({}), retrying", target_.table_name,
               attempts_in_episode_, error.ToString());
  if (state_ != StreamState::Uninitialized) setState(StreamState::Recovering);
  std::weak_ptr<ZerobusStream> weak = weak_from_this();
  backoff_timer_ = loop_.addTimer(jittered(options_.recovery_backoff_ms), [weak] {
    if (auto self = weak.lock()) self->beginAttempt();
  });
}

void ZerobusStream::callFailed(const absl::Status& error, bool from_service) {
  abandonCall();
  last_error_ = error;
  if (isAuthError(error)) invalidate_token_ = true;
  uint64_t suppressed = 0;
  if (!options_.recovery || !isRetriable(error)) {
    // Refused records fail a stream per halving while the pool isolates them: rate-limited.
    thread_local LogLimiter failures(10);  // per loop thread
    if (failures.allow(target_.table_name, &suppressed)) {
      spdlog::warn("zerobus stream {} on {} failed: {}{}", stream_id_, target_.table_name, error.ToString(),
                   LogLimiter::note(suppressed));
    }
    fail(error, from_service && error.code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  // A service that drops every stream at once would otherwise log a line per stream and retry.
  thread_local LogLimiter limiter(10);  // per loop thread
  if (limiter.allow(target_.table_name, &suppressed)) {
    spdlog::info("zerobus stream {} on {} ended ({}); recovering{}", stream_id_, target_.table_name,
                 error.ToString(), LogLimiter::note(suppressed));
  }
  recoverNow();
}

void ZerobusStream::recoverNow() {
  abandonCall();
  paused_ = false;
  cancelTimer(pause_timer_);
  cancelTimer(drain_timer_);
  // Everything sent and unacked goes back to the queue front; the new call re-sends it from
  // physical offset 0, then the never-sent batches.
  sent_ = 0;
  UpstreamMetrics::add(metrics_->recoveries);
  setState(StreamState::Recovering);
  attempts_in_episode_ = 0;
  beginAttempt();  // the first reconnect after a mid-stream failure is immediate
}

void ZerobusStream::abandonCall() {
  cancelTimer(ack_timer_);
  if (call_ != nullptr) {
    if (writing_) {
      // Its write completes on its own; the entry must live until then and must not be
      // re-sent (its offset rewritten) before.
      ++old_writes_;
      if (writing_entry_) old_write_entries_.push_back(std::move(writing_entry_));
    }
    call_->cancel();
    call_->release();
    call_ = nullptr;
  }
  writing_ = false;
  writing_entry_.reset();
  ++call_id_;  // late events of the old call are now stale
  phase_ = CallPhase::None;
  draining_for_pause_ = false;
}

void ZerobusStream::fail(const absl::Status& error, bool refused_records) {
  const size_t on_the_wire = sent_;  // the first sent_ pending batches were on the failed call
  abandonCall();
  for (auto* timer : {&attempt_timer_, &backoff_timer_, &pause_timer_, &drain_timer_}) {
    cancelTimer(*timer);
  }
  last_error_ = error;
  UpstreamMetrics::add(metrics_->failures);
  setState(StreamState::Failed);
  bool retriable = isRetriable(error);
  auto now = loop_.now();
  std::deque<std::shared_ptr<Entry>> failed;
  failed.swap(pending_);
  sent_ = 0;
  inflight_bytes_ = 0;
  for (size_t i = 0; i < failed.size(); ++i) {
    const auto& entry = failed[i];
    UpstreamMetrics::add(metrics_->batches_failed);
    BatchOutcome outcome{entry->cookie, entry->logical, error, retriable, now - entry->enqueued,
                         entry->records, entry->bytes, entry->sends > 1};
    if (refused_records && i < on_the_wire) {
      outcome.suspect = true;
    } else if (refused_records) {
      // The service never saw this batch on the call it refused: another stream may take it.
      outcome.retriable = true;
    }
    callbacks_.on_batch_done(std::move(outcome), takeRecords(entry->request));
  }
  auto flushes = std::move(flushes_);
  flushes_.clear();
  for (auto& flush : flushes) {
    loop_.cancelTimer(flush.timer);
    flush.done(error);
  }
  if (closing_ && close_done_) {
    auto done = std::move(close_done_);
    close_done_ = nullptr;
    done(error);
  }
}

// --- events of the current call -------------------------------------------------------------

void ZerobusStream::onResponse(uint64_t call_id, zb::EphemeralStreamResponse response) {
  if (!isCurrent(call_id)) return;
  auto self = shared_from_this();  // callbacks below may drop the owner's reference
  last_inbound_ = loop_.now();
  if (phase_ == CallPhase::AwaitCreate) {
    if (!response.has_create_stream_response()) {
      attemptFailed(absl::InternalError("Unexpected response from server"));
      return;
    }
    if (!response.create_stream_response().has_stream_id()) {
      attemptFailed(absl::InternalError("Server did not return a stream id"));
      return;
    }
    cancelTimer(attempt_timer_);
    stream_id_ = response.create_stream_response().stream_id();
    phase_ = CallPhase::Streaming;
    call_base_ = 0;
    sent_ = 0;
    last_acked_ = -1;
    attempts_in_episode_ = 0;
    UpstreamMetrics::add(metrics_->stream_opens);
    spdlog::debug("zerobus stream {} opened on {}", stream_id_, target_.table_name);
    setState(flushes_.empty() ? StreamState::Opened : StreamState::Flushing);
    maybeWrite();
    return;
  }
  if (phase_ != CallPhase::Streaming && phase_ != CallPhase::Ending) return;
  if (response.has_ingest_record_response()) {
    if (!response.ingest_record_response().has_durability_ack_up_to_offset()) {
      callFailed(absl::InternalError("Missing ack offset in server response"));
      return;
    }
    applyAck(response.ingest_record_response().durability_ack_up_to_offset());
  } else if (response.has_close_stream_signal()) {
    onCloseSignal(response.close_stream_signal());
  } else {
    callFailed(absl::InternalError("Unexpected response from server"));
  }
}

void ZerobusStream::applyAck(int64_t ack) {
  if (ack == last_acked_) return;  // a duplicate ack is harmless
  if (ack < last_acked_) {
    callFailed(absl::InvalidArgumentError(fmt::format(
        "Server acknowledged offset {} after {}: acks must not regress", ack, last_acked_)));
    return;
  }
  int64_t highest_sent = call_base_ + static_cast<int64_t>(sent_) - 1;
  if (ack > highest_sent) {
    callFailed(absl::InvalidArgumentError(fmt::format(
        "Server acknowledged offset {} but only {} was sent", ack, highest_sent)));
    return;
  }
  last_acked_ = ack;
  auto now = loop_.now();
  while (call_base_ <= ack) {
    std::shared_ptr<Entry> entry = std::move(pending_.front());
    pending_.pop_front();
    ++call_base_;
    --sent_;
    inflight_bytes_ -= static_cast<int64_t>(entry->bytes);
    acked_logical_ = entry->logical;
    UpstreamMetrics::add(metrics_->batches_durable);
    UpstreamMetrics::add(metrics_->records_durable, entry->records);
    UpstreamMetrics::add(metrics_->bytes_durable, entry->bytes);
    BatchOutcome outcome{entry->cookie, entry->logical, absl::OkStatus(), false,
                         now - entry->enqueued, entry->records, entry->bytes, entry->sends > 1};
    callbacks_.on_batch_done(std::move(outcome), Records());
    if (state_ == StreamState::Failed || state_ == StreamState::Closed) return;
  }
  checkFlushes();
  if (window_was_full_ && hasCapacity()) {
    window_was_full_ = false;
    if (callbacks_.on_capacity) callbacks_.on_capacity();
  }
  if (paused_ && sent_ == 0) leavePause();
  if (closing_ && pending_.empty() && phase_ == CallPhase::Ending) finishClose();
  maybeWrite();
}

void ZerobusStream::onWriteDone(uint64_t call_id, bool ok) {
  if (call_id != call_id_) {
    if (old_writes_ > 0 && --old_writes_ == 0) old_write_entries_.clear();
    maybeWrite();
    return;
  }
  writing_ = false;
  writing_entry_.reset();
  if (ok) maybeWrite();  // a failed write: the read side ends and reports the status
}

void ZerobusStream::onReadClosed(uint64_t call_id) {
  if (!isCurrent(call_id)) return;
  // The server ended the call; its status follows once the hold is gone.
  call_->release();
  call_ = nullptr;
}

void ZerobusStream::onCallDone(uint64_t call_id, grpc::Status status) {
  if (call_id != call_id_) return;
  auto self = shared_from_this();
  CallPhase phase = phase_;
  bool draining = draining_for_pause_;
  writing_ = false;
  writing_entry_.reset();
  phase_ = CallPhase::None;
  draining_for_pause_ = false;
  ++call_id_;
  cancelTimer(ack_timer_);
  if (phase == CallPhase::Connecting || phase == CallPhase::AwaitCreate) {
    attemptFailed(status.ok() ? absl::UnavailableError("Stream closed by server before creation")
                              : fromGrpc(status));
  } else if (phase == CallPhase::Ending && closing_) {
    finishClose();
  } else if (phase == CallPhase::Ending && draining && status.ok()) {
    recoverNow();
  } else if (phase != CallPhase::None) {
    callFailed(fromGrpc(status), /*from_service=*/true);
  }
}

// --- sending ------------------------------------------------------------------------------------

absl::StatusOr<int64_t> ZerobusStream::ingest(Records& records, uint64_t cookie) {
  if (state_ == StreamState::Closed || state_ == StreamState::Failed || closing_) {
    return absl::FailedPreconditionError("Stream closed");
  }
  if (records.empty()) return absl::InvalidArgumentError("An empty batch is not sent");
  uint64_t encoded = encodedRequestBound(records);
  if (encoded > static_cast<uint64_t>(options_.max_request_bytes)) {
    return absl::InvalidArgumentError(fmt::format(
        "A request of {} bytes exceeds the limit of {}", encoded, options_.max_request_bytes));
  }
  uint64_t bytes = 0;
  for (const std::string& record : records) bytes += record.size();
  if (!hasCapacity(bytes)) {
    window_was_full_ = true;
    return absl::ResourceExhaustedError("The in-flight window is full");
  }
  auto entry = std::make_shared<Entry>();
  entry->logical = next_logical_++;
  entry->cookie = cookie;
  entry->records = static_cast<uint64_t>(records.size());
  entry->bytes = bytes;
  entry->enqueued = loop_.now();
  bool proto = target_.record_type == RecordType::Proto;
  // One record travels as ingest_record, more as ingest_record_batch (the SDK's choice).
  if (records.size() == 1) {
    auto* single = entry->request.mutable_ingest_record();
    std::string* slot = proto ? single->mutable_proto_encoded_record() : single->mutable_json_record();
    slot->swap(*records.Mutable(0));
    records.Clear();
  } else {
    auto* batch = entry->request.mutable_ingest_record_batch();
    (proto ? batch->mutable_proto_encoded_batch()->mutable_records()
           : batch->mutable_json_batch()->mutable_records())
        ->Swap(&records);
  }
  inflight_bytes_ += static_cast<int64_t>(bytes);
  pending_.push_back(std::move(entry));
  maybeWrite();
  return next_logical_ - 1;
}

bool ZerobusStream::hasCapacity(uint64_t bytes) const {
  if (static_cast<int64_t>(pending_.size()) >= options_.max_inflight_records) return false;
  if (options_.max_inflight_bytes <= 0 || pending_.empty()) return true;
  return inflight_bytes_ + static_cast<int64_t>(bytes) <= options_.max_inflight_bytes;
}

bool ZerobusStream::acceptingNewBatches() const {
  return (state_ == StreamState::Opened || state_ == StreamState::Flushing) && !paused_ &&
         !closing_;
}

void ZerobusStream::maybeWrite() {
  if (call_ == nullptr || phase_ != CallPhase::Streaming || writing_ || old_writes_ > 0 ||
      paused_ || sent_ >= pending_.size()) {
    return;
  }
  const std::shared_ptr<Entry>& entry = pending_[sent_];
  int64_t offset = call_base_ + static_cast<int64_t>(sent_);
  if (entry->request.has_ingest_record()) {
    entry->request.mutable_ingest_record()->set_offset_id(offset);
  } else {
    entry->request.mutable_ingest_record_batch()->set_offset_id(offset);
  }
  if (sent_ == 0) last_inbound_ = loop_.now();  // the ack clock starts with the first unacked
  if (++entry->sends == 2) UpstreamMetrics::add(metrics_->batches_replayed);
  UpstreamMetrics::add(metrics_->requests_sent);
  ++sent_;
  writing_ = true;
  writing_entry_ = entry;
  call_->write(&entry->request);
  armLackOfAck();
}

// --- close signal, lack of ack --------------------------------------------------------------

void ZerobusStream::onCloseSignal(const zb::CloseStreamSignal& signal) {
  UpstreamMetrics::add(metrics_->close_signals);
  int64_t server_ms = 0;
  if (signal.has_duration()) {
    server_ms = signal.duration().seconds() * 1000 + signal.duration().nanos() / 1000000;
  }
  spdlog::info("zerobus stream {} on {}: close signal, {} ms", stream_id_, target_.table_name,
               server_ms);
  if (callbacks_.on_close_signal) callbacks_.on_close_signal(milliseconds(server_ms));
  if (!options_.recovery) return;  // the SDK ignores it; the later status fails the stream
  int64_t cap = options_.stream_paused_max_wait_time_ms;
  int64_t wait_ms = cap < 0 ? server_ms : cap == 0 ? 0 : std::min(cap, server_ms);
  if (wait_ms <= 0 || sent_ == 0) {
    leavePause();
    return;
  }
  paused_ = true;
  std::weak_ptr<ZerobusStream> weak = weak_from_this();
  pause_timer_ = loop_.addTimer(milliseconds(wait_ms), [weak] {
    if (auto self = weak.lock()) {
      self->pause_timer_.reset();
      self->leavePause();
    }
  });
}

void ZerobusStream::leavePause() {
  cancelTimer(pause_timer_);
  paused_ = false;
  if (call_ != nullptr && sent_ > 0 && options_.drain_late_acks_ms > 0 &&
      phase_ == CallPhase::Streaming) {
    // Half-close and read late acks for a moment: fewer batches to replay (newer SDK).
    phase_ = CallPhase::Ending;
    draining_for_pause_ = true;
    call_->writesDone();
    std::weak_ptr<ZerobusStream> weak = weak_from_this();
    drain_timer_ = loop_.addTimer(milliseconds(options_.drain_late_acks_ms), [weak] {
      if (auto self = weak.lock()) {
        self->drain_timer_.reset();
        self->recoverNow();
      }
    });
    return;
  }
  recoverNow();
}

void ZerobusStream::armLackOfAck() {
  if (ack_timer_ || options_.server_lack_of_ack_timeout_ms <= 0) return;
  std::weak_ptr<ZerobusStream> weak = weak_from_this();
  ack_timer_ = loop_.addTimer(milliseconds(options_.server_lack_of_ack_timeout_ms), [weak] {
    if (auto self = weak.lock()) {
      self->ack_timer_.reset();
      self->checkLackOfAck();
    }
  });
}

void ZerobusStream::checkLackOfAck() {
  if (call_ == nullptr || (phase_ != CallPhase::Streaming && phase_ != CallPhase::Ending)) return;
  if (sent_ == 0 || paused_) return;  // re-armed by the next write
  auto timeout = milliseconds(options_.server_lack_of_ack_timeout_ms);
  auto silent = loop_.now() - last_inbound_;
  if (silent >= timeout) {
    UpstreamMetrics::add(metrics_->lack_of_ack_timeouts);
    callFailed(absl::DeadlineExceededError("Server ack timeout"));
    return;
  }
  std::weak_ptr<ZerobusStream> weak = weak_from_this();
  ack_timer_ = loop_.addTimer(
      std::chrono::duration_cast<milliseconds>(timeout - silent) + milliseconds(1), [weak] {
        if (auto self = weak.lock()) {
          self->ack_timer_.reset();
          self->checkLackOfAck();
        }
      });
}

// --- flush and close --------------------------------------------------------------------------

void ZerobusStream::flush(std::function<void(absl::Status)> done) {
  if (state_ == StreamState::Failed) {
    done(last_error_);
    return;
  }
  int64_t target = next_logical_ - 1;
  if (target <= acked_logical_) {
    done(absl::OkStatus());
    return;
  }
  std::weak_ptr<ZerobusStream> weak = weak_from_this();
  auto timer_holder = std::make_shared<EventLoop::TimerId>(0);
  EventLoop::TimerId timer =
      loop_.addTimer(milliseconds(options_.flush_timeout_ms), [weak, timer_holder] {
        auto self = weak.lock();
        if (!self) return;
        auto& flushes = self->flushes_;
        auto it = std::find_if(flushes.begin(), flushes.end(),
                               [&](const Flush& f) { return f.timer == *timer_holder; });
        if (it == flushes.end()) return;
        auto flush_done = std::move(it->done);
        flushes.erase(it);
        flush_done(absl::DeadlineExceededError("Flush timed out"));
      });
  *timer_holder = timer;
  flushes_.push_back({target, std::move(done), timer});
  if (state_ == StreamState::Opened) setState(StreamState::Flushing);
}

void ZerobusStream::checkFlushes() {
  auto done_end = std::stable_partition(flushes_.begin(), flushes_.end(),
                                        [&](const Flush& f) { return f.target > acked_logical_; });
  std::vector<Flush> completed(std::make_move_iterator(done_end),
                               std::make_move_iterator(flushes_.end()));
  flushes_.erase(done_end, flushes_.end());
  if (flushes_.empty() && state_ == StreamState::Flushing) setState(StreamState::Opened);
  for (auto& flush : completed) {
    loop_.cancelTimer(flush.timer);
    flush.done(absl::OkStatus());
  }
}

void ZerobusStream::close(std::function<void(absl::Status)> done) {
  if (state_ == StreamState::Closed || state_ == StreamState::Failed) {
    done(absl::OkStatus());
    return;
  }
  if (closing_) {
    done(absl::FailedPreconditionError("close() already in progress"));
    return;
  }
  closing_ = true;
  close_done_ = std::move(done);
  std::weak_ptr<ZerobusStream> weak = weak_from_this();
  flush([weak](absl::Status flushed) {
    auto self = weak.lock();
    if (!self || self->state_ == StreamState::Failed) return;  // fail() answered close_done_
    self->close_result_ = flushed;
    if (self->call_ != nullptr && self->phase_ == CallPhase::Streaming) {
      // Half-close, then read the response out briefly so the server sees a clean end.
      self->phase_ = CallPhase::Ending;
      self->call_->writesDone();
      self->drain_timer_ = self->loop_.addTimer(milliseconds(self->options_.drain_late_acks_ms),
                                                [weak] {
                                                  if (auto s = weak.lock()) {
                                                    s->drain_timer_.reset();
                                                    s->finishClose();
                                                  }
                                                });
      return;
    }
    self->finishClose();
  });
}

void ZerobusStream::finishClose() {
  if (state_ == StreamState::Closed) return;
  cancelTimer(drain_timer_);
  for (auto* timer : {&attempt_timer_, &backoff_timer_, &pause_timer_}) cancelTimer(*timer);
  abandonCall();
  setState(StreamState::Closed);
  // Batches still unacked (the flush timed out) end here, each with an outcome.
  auto now = loop_.now();
  std::deque<std::shared_ptr<Entry>> left;
  left.swap(pending_);
  sent_ = 0;
  inflight_bytes_ = 0;
  absl::Status closed = absl::CancelledError("Stream closed before the batch was acknowledged");
  for (auto& entry : left) {
    UpstreamMetrics::add(metrics_->batches_failed);
    BatchOutcome outcome{entry->cookie, entry->logical, closed, true, now - entry->enqueued,
                         entry->records, entry->bytes, entry->sends > 1};
    callbacks_.on_batch_done(std::move(outcome), takeRecords(entry->request));
  }
  if (close_done_) {
    auto done = std::move(close_done_);
    close_done_ = nullptr;
    done(close_result_);
  }
}

}  // namespace zerobusd::upstream
