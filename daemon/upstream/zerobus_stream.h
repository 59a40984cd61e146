#pragma once
// One upstream Zerobus stream with the official SDK's behaviour (zerobus-protocol.md §4-§8):
// handshake, per-call physical offsets under stable logical ones, a bounded in-flight window,
// cumulative acks checked for regress and over-ack, recovery with jittered backoff that
// replays every unacked batch in order, close-signal pause, lack-of-ack detection, flush and
// graceful close. Its owner (a table's stream pool) gets each batch's outcome by callback.
//
// Thread affinity: everything runs on the event loop's thread (create() too); gRPC reactions
// and token fetches arrive there as posted events. Not thread-safe.
// Error contract: ingest() refuses at once (InvalidArgument, FailedPrecondition,
// ResourceExhausted) and then owns nothing; every batch it accepted gets exactly one
// BatchOutcome: durable (OK) or failed, with the status and whether a retry can help. A failed
// batch's records are handed back so the owner can send them elsewhere.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "common/status.h"
#include "daemon/auth/token_source.h"
#include "daemon/loop/event_loop.h"
#include "daemon/upstream/grpc_call.h"
#include "daemon/upstream/stream_options.h"
#include "daemon/upstream/upstream_metrics.h"

namespace zerobusd::upstream {

// The seed SDK's states (Java wrapper names).
enum class StreamState { Uninitialized, Opened, Flushing, Recovering, Closed, Failed };
const char* stateName(StreamState state);

struct BatchOutcome {
  uint64_t cookie = 0;           // the owner's id for the batch
  int64_t logical_offset = -1;   // stable across reconnects
  absl::Status status;           // OK: durable
  bool retriable = false;        // on failure: may another attempt (e.g. another stream) help?
  std::chrono::nanoseconds latency{0};  // from ingest() to the ack (or the failure)
  uint64_t records = 0;
  uint64_t bytes = 0;
  bool replayed = false;         // was sent on more than one call (duplicates possible)
  // The service refused a message's records (INVALID_ARGUMENT mid-stream) while this batch was
  // in flight on the call: the refused records may be this batch's or another's. A pool sends
  // such a batch again alone to find out (StreamPool); alone, it is `isolated` as well.
  bool suspect = false;
  bool isolated = false;         // set by the pool: the batch was refused while alone on a call
};

struct StreamCallbacks {
  // Every accepted batch, exactly once, in logical order for acks. `records` is empty on
  // success; on failure it holds the batch's records.
  std::function<void(BatchOutcome outcome, Records records)> on_batch_done;
  std::function<void(StreamState state)> on_state;  // optional
  // The service announced the end of this call (close_stream_signal). The stream stops
  // sending, drains acks and reconnects by itself; an owner with a pool should route new
  // batches elsewhere meanwhile (make-before-break). Optional.
  std::function<void(std::chrono::milliseconds duration)> on_close_signal;
  std::function<void()> on_capacity;  // the window has room again after being full. Optional.
};

class ZerobusStream final : public CallSink, public std::enable_shared_from_this<ZerobusStream> {
 public:
  // The channel may be shared by many streams; `tokens` by the streams of one table.
  static std::shared_ptr<ZerobusStream> create(EventLoop& loop,
                                               std::shared_ptr<grpc::Channel> channel,
                                               std::shared_ptr<TokenSource> tokens,
                                               TableTarget target, StreamOptions options,
                                               StreamCallbacks callbacks,
                                               UpstreamMetrics* metrics = nullptr);
  ~ZerobusStream() override;

  // Opens the first call (Uninitialized -> Opened, or Failed after the attempts).
  void start();

  // Queues a batch (one record or many). Returns its logical offset. Refused without taking
  // ownership when: the stream is closed or failed (FailedPrecondition), the batch is empty or
  // its encoded request exceeds max_request_bytes (InvalidArgument), or the window is full
  // (ResourceExhausted: wait for on_capacity). `records` is moved from only on success.
  absl::StatusOr<int64_t> ingest(Records& records, uint64_t cookie);

  bool hasCapacity(uint64_t bytes = 0) const;
  // False while paused by a close signal or not open: route new batches elsewhere.
  bool acceptingNewBatches() const;

  // Completes when every batch ingested before the call is acked (OK), when the stream
  // failed (its error), or after flush_timeout_ms (DeadlineExceeded "Flush timed out").
  void flush(std::function<void(absl::Status)> done);
  // Flush, then half-close and end the call; further ingests are refused. OK at once when
  // already closed or failed.
  void close(std::function<void(absl::Status)> done);

  StreamState state() const { return state_; }
  const std::string& streamId() const { return stream_id_; }
  const absl::Status& lastError() const { return last_error_; }
  int64_t inflightBatches() const { return static_cast<int64_t>(pending_.size()); }
  int64_t inflightBytes() const { return inflight_bytes_; }

  // CallSink (posted events).
  void onHeaders(uint64_t call_id, bool ok) override;
  void onResponse(uint64_t call_id, zb::EphemeralStreamResponse response) override;
  void onWriteDone(uint64_t call_id, bool ok) override;
  void onReadClosed(uint64_t call_id) override;
  void onCallDone(uint64_t call_id, grpc::Status status) override;

 private:
  struct Entry {
    int64_t logical = 0;
    uint64_t cookie = 0;
    uint64_t records = 0;
    uint64_t bytes = 0;
    int sends = 0;
    EventLoop::Clock::time_point enqueued;
    zb::EphemeralStreamRequest request;
  };
  enum class CallPhase { None, Connecting, AwaitCreate, Streaming, Ending };

  ZerobusStream(EventLoop& loop, std::shared_ptr<grpc::Channel> channel,
                std::shared_ptr<TokenSource> tokens, TableTarget target, StreamOptions options,
                StreamCallbacks callbacks, UpstreamMetrics* metrics);

  void setState(StreamState state);
  void beginAttempt();
  void onToken(uint64_t attempt, absl::StatusOr<std::string> token);
  void attemptFailed(const absl::Status& error);
  // Mid-stream. `from_service`: the service ended the call with this status (not our own check
  // of its answers), so an INVALID_ARGUMENT means it refused records in flight.
  void callFailed(const absl::Status& error, bool from_service = false);
  void recoverNow();
  void abandonCall();
  // Fails every pending batch. With `refused_records`, the service refused records of one of
  // the batches in flight: those are suspects, and the never-sent ones (innocent) fail retriably.
  void fail(const absl::Status& error, bool refused_records = false);
  void maybeWrite();
  void applyAck(int64_t ack);
  void onCloseSignal(const zb::CloseStreamSignal& signal);
  void leavePause();
  void armLackOfAck();
  void checkLackOfAck();
  void checkFlushes();
  void finishClose();
  void cancelTimer(std::optional<EventLoop::TimerId>& timer);
  bool isCurrent(uint64_t call_id) const { return call_ != nullptr && call_id == call_id_; }

  EventLoop& loop_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<zb::Zerobus::Stub> stub_;
  std::shared_ptr<TokenSource> tokens_;
  TableTarget target_;
  StreamOptions options_;
  StreamCallbacks callbacks_;
  UpstreamMetrics* metrics_;

  StreamState state_ = StreamState::Uninitialized;
  absl::Status last_error_;
  std::string stream_id_;

  // The window: every unacked batch in logical order. The first `sent_` are in flight on the
  // current call, with physical offsets call_base_ .. call_base_ + sent_ - 1.
  std::deque<std::shared_ptr<Entry>> pending_;
  size_t sent_ = 0;
  int64_t call_base_ = 0;
  int64_t last_acked_ = -1;        // physical, on the current call
  int64_t next_logical_ = 0;
  int64_t acked_logical_ = -1;     // highest logical offset acked
  int64_t inflight_bytes_ = 0;
  bool window_was_full_ = false;

  // The current call.
  GrpcCall* call_ = nullptr;
  uint64_t call_id_ = 0;
  CallPhase phase_ = CallPhase::None;
  bool writing_ = false;
  std::shared_ptr<Entry> writing_entry_;  // kept alive until its write completes
  int old_writes_ = 0;  // writes of abandoned calls not yet completed
  std::vector<std::shared_ptr<Entry>> old_write_entries_;  // what those writes reference
  zb::EphemeralStreamRequest create_request_;

  // Recovery.
  uint64_t attempt_ = 0;
  int64_t attempts_in_episode_ = 0;
  bool invalidate_token_ = false;
  std::optional<EventLoop::TimerId> attempt_timer_;
  std::optional<EventLoop::TimerId> backoff_timer_;

  // Close signal pause, lack of ack, drain.
  bool paused_ = false;
  bool draining_for_pause_ = false;  // half-closed after a close signal, reading late acks
  std::optional<EventLoop::TimerId> pause_timer_;
  EventLoop::Clock::time_point last_inbound_;
  std::optional<EventLoop::TimerId> ack_timer_;
  std::optional<EventLoop::TimerId> drain_timer_;

  struct Flush {
    int64_t target;
    std::function<void(absl::Status)> done;
    EventLoop::TimerId timer;
  };
  std::vector<Flush> flushes_;
  bool closing_ = false;
  std::function<void(absl::Status)> close_done_;
  absl::Status close_result_;
};

}  // namespace zerobusd::upstream
