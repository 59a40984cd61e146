#pragma once
// A table's pool of upstream streams: least-loaded routing, growth when every stream is full or
// unavailable (e.g. the service's per-stream quota keeps windows full) up to max_streams,
// shrinking idle streams down to min_streams, a replacement opened as soon as a stream gets a
// close signal (make-before-break), failed streams dropped and replaced. Batches that find no
// stream with room wait in the pool, in order.
//
// Thread affinity: loop thread only.
// Error contract: every submitted batch gets exactly one on_batch_done: durable, or failed
// (records handed back). Retriable failures of one stream are retried on the pool up to
// `max_batch_attempts` before they are reported.
//
// Isolation: when the service refuses records mid-stream (INVALID_ARGUMENT), it ends the whole
// call, and every batch in flight on it is a suspect (BatchOutcome::suspect). One producer's bad
// record must not fail everyone else's, so each suspect is sent again *alone*: on a stream
// reserved for it, with nothing else in flight, one such batch at a time. Alone and refused,
// it is the guilty one and is reported (`isolated`); the owner may split it and submit the
// halves alone (submit(..., alone)). Alone and acked, it was innocent.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/loop/event_loop.h"
#include "daemon/upstream/zerobus_stream.h"

namespace zerobusd::upstream {

struct PoolOptions {
  int min_streams = 1;
  int max_streams = 4;
  int64_t idle_close_ms = 60000;  // close a stream idle this long while above min_streams
  int max_batch_attempts = 3;     // streams a batch may fail on (retriably) before it fails
  // A stream with this many batches in flight counts as saturated: the pool opens another
  // (up to max_streams) rather than queue more on it. The service's per-stream quota shows up
  // as acks slowing down, so in-flight batches pile up on a saturated stream.
  int64_t grow_at_inflight_batches = 64;
};

struct PoolCallbacks {
  std::function<void(uint64_t cookie, BatchOutcome outcome, Records records)> on_batch_done;
  std::function<void()> on_capacity;  // optional: queued batches drained below the limit
};

class StreamPool {
 public:
  // Makes a stream with the given callbacks (the owner binds channel, tokens, target, options).
  using StreamFactory = std::function<std::shared_ptr<ZerobusStream>(StreamCallbacks callbacks)>;

  StreamPool(EventLoop& loop, PoolOptions options, StreamFactory factory, PoolCallbacks callbacks,
             UpstreamMetrics* metrics);
  ~StreamPool();

  void start();  // opens min_streams
  // `alone`: send it only as the one batch on a call (isolation, above).
  void submit(uint64_t cookie, Records records, bool alone = false);
  // Completes when every batch submitted so far is final.
  void drain(std::function<void()> done);
  // Closes every stream (after their flush); batches still queued fail as CANCELLED.
  void close(std::function<void()> done);

  size_t queuedBatches() const { return queue_.size(); }
  int streamCount() const { return static_cast<int>(streams_.size()); }
  int openStreams() const;   // streams in OPENED/FLUSHING
  uint64_t inflightBatches() const { return static_cast<uint64_t>(meta_.size()); }

 private:
  struct Member {
    uint64_t id;
    std::shared_ptr<ZerobusStream> stream;
    EventLoop::Clock::time_point last_busy;
    bool retiring = false;  // close signal or idle: takes no new batches
  };
  struct Queued {
    uint64_t cookie;
    Records records;
  };
  struct Meta {
    int attempts = 0;
    bool alone = false;  // to be sent alone (a suspect, or the owner asked)
  };

  Member* addStream();
  Member* pick(uint64_t bytes);
  void pump();
  void pumpIsolation();
  Member* reserveForIsolation();
  void requeue(uint64_t cookie, Records records);
  void failQueued(Queued queued, absl::Status status, bool retriable);
  void onBatchDone(uint64_t member, BatchOutcome outcome, Records records);
  void onStreamState(uint64_t member, StreamState state);
  void onCloseSignal(uint64_t member);
  void removeStream(uint64_t member);
  void checkIdle();
  void checkDrained();
  Member* find(uint64_t member);
  int activeStreams() const;  // usable and not retiring

  EventLoop& loop_;
  PoolOptions options_;
  StreamFactory factory_;
  PoolCallbacks callbacks_;
  UpstreamMetrics* metrics_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  uint64_t next_member_ = 1;
  std::vector<Member> streams_;
  std::deque<Queued> queue_;
  std::deque<Queued> retry_;  // failed retriably on one stream: sent again before queue_
  std::deque<Queued> isolate_;  // to be sent alone, in order, one at a time
  // The stream reserved for the next alone batch (it takes nothing else), and that batch once
  // it is on the stream.
  std::optional<uint64_t> isolation_member_;
  std::optional<uint64_t> isolating_cookie_;
  std::map<uint64_t, Meta> meta_;  // batches submitted and not yet final
  std::vector<std::function<void()>> drain_waiters_;
  std::optional<EventLoop::TimerId> idle_timer_;
  bool closing_ = false;
};

}  // namespace zerobusd::upstream
