#pragma once
// One configured table's path upstream: frames from every producer of the table are coalesced
// into batch requests (bounded by records, bytes and a linger time), handed to the table's
// stream pool, and each batch's outcome is mapped back to the frames (pieces) it carried.
// Memory is bounded: queued and unacknowledged record bytes of the table stay under
// max_queue_bytes; producers are paused (waitForRoom) instead of anything being dropped.
//
// Thread affinity: loop thread only. No I/O of its own (the pool does it).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/loop/event_loop.h"
#include "daemon/pipeline/handle_tracker.h"
#include "daemon/upstream/stream_pool.h"

namespace zerobusd::pipeline {

using upstream::Records;

struct BatchingOptions {
  int64_t max_records = 10000;
  int64_t max_bytes = 4 * 1024 * 1024;
  int64_t linger_ms = 5;
  int64_t max_queue_bytes = 64 * 1024 * 1024;
};

// Protocol error codes the pipeline reports (docs/protocol.md).
inline constexpr uint16_t kUpstreamUnavailable = 14;
inline constexpr uint16_t kUpstreamRejected = 15;
inline constexpr uint16_t kShuttingDown = 16;

struct TableStats {
  uint64_t queued_bytes = 0;       // accepted, not yet final
  uint64_t batcher_records = 0;    // waiting for the linger timer
  uint64_t batches_inflight = 0;
  uint64_t records_durable = 0;
  uint64_t records_failed = 0;
};

class TablePipeline {
 public:
  using PoolFactory = std::function<std::unique_ptr<upstream::StreamPool>(upstream::PoolCallbacks)>;
  // Observes each batch as it completes (metrics): records, bytes, accepted-to-durable latency.
  using BatchObserver = std::function<void(const upstream::BatchOutcome&)>;

  TablePipeline(EventLoop& loop, std::string table, BatchingOptions options, PoolFactory pools,
                BatchObserver observer = nullptr);
  ~TablePipeline();

  void start();
  const std::string& table() const { return table_; }

  // Takes `records`, the accepted records of `seg` (seg->accepted() of them, in order; at least
  // one), and sets seg->pieces_pending. The caller checks hasRoom() first; going over
  // max_queue_bytes by one frame is allowed.
  void submit(const std::shared_ptr<FrameSeg>& seg, Records records);
  bool hasRoom() const { return queued_bytes_ < static_cast<uint64_t>(options_.max_queue_bytes); }
  // Calls `resume` once when there is room again.
  void waitForRoom(std::function<void()> resume);
  void flushNow();  // send what lingers at once (producer flush, shutdown)
  // Completes when everything submitted so far is final.
  void drain(std::function<void()> done);
  void close(std::function<void()> done);

  TableStats stats() const;
  const upstream::StreamPool& pool() const { return *pool_; }

 private:
  struct Piece {
    std::shared_ptr<FrameSeg> seg;
    uint32_t begin = 0;  // accepted ordinals [begin, end) of the segment
    uint32_t end = 0;
  };
  struct Batch {
    std::vector<Piece> pieces;
    Records records;
    uint64_t bytes = 0;
    // Set once the service refused the batch alone (a bad record in it): how many more alone
    // sends its parts may cost (each refusal is a failed stream) before the rest fail whole.
    // Shared by every part of one original batch.
    std::shared_ptr<int> alone_sends_left;
  };

  void appendPiece(Piece piece, std::vector<std::string*>& owned, uint32_t from, uint32_t to,
                   uint64_t bytes);
  void sendBatch();
  void onBatchDone(uint64_t cookie, upstream::BatchOutcome outcome, Records records);
  // A batch the service refused alone: its two halves go again alone, to find the bad records.
  void split(Batch batch, Records records);
  void submitAlone(Batch batch, Records records);
  void release(uint64_t bytes);

  EventLoop& loop_;
  std::string table_;
  BatchingOptions options_;
  BatchObserver observer_;
  std::unique_ptr<upstream::StreamPool> pool_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  Batch current_;
  std::optional<EventLoop::TimerId> linger_timer_;
  uint64_t next_cookie_ = 1;
  std::map<uint64_t, Batch> inflight_;  // pieces of each batch in the pool (records moved out)
  uint64_t queued_bytes_ = 0;
  std::vector<std::function<void()>> room_waiters_;
  uint64_t records_durable_ = 0;
  uint64_t records_failed_ = 0;
};

}  // namespace zerobusd::pipeline
