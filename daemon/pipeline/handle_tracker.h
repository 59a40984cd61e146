#pragma once
// Per-handle outcome bookkeeping: every record a producer sends on a handle ends with exactly
// one outcome (durable, or rejected with a reason), and the durable ack the producer sees is
// cumulative: every record below it is final. A frame's accepted records are one FrameSeg
// (the unit of acceptance and ack, and later of the spool); its pieces travel in upstream
// batches and may complete in any order; the durable mark advances over the segments in
// sequence order.
//
// Thread affinity: loop thread only. Segments hold the tracker by shared_ptr, so outcomes of a
// disconnected producer still complete (they are counted and dropped by the listener).

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace zerobusd::pipeline {

// Receives a handle's outcomes (the producer's session). Loop thread.
class OutcomeListener {
 public:
  virtual ~OutcomeListener() = default;
  // Records [first_seq, first_seq + count) failed for good.
  virtual void onReject(uint32_t handle, uint64_t first_seq, uint64_t count, uint16_t code,
                        bool retriable, const std::string& message) = 0;
  // A segment became final (its records left the producer's window); `durable_next` may have
  // advanced.
  virtual void onFinal(uint32_t handle, uint64_t records, uint64_t bytes, uint64_t durable_next) = 0;
};

class HandleTracker;

struct FrameSeg {
  std::shared_ptr<HandleTracker> handle;
  uint64_t first_seq = 0;
  uint32_t count = 0;                 // records in the frame, rejected ones included
  std::vector<uint32_t> rejected;     // frame indices rejected before acceptance, ascending
  uint32_t pieces_pending = 0;        // upstream pieces not yet final
  uint64_t bytes = 0;                 // accepted record bytes
  bool final = false;

  uint32_t accepted() const { return count - static_cast<uint32_t>(rejected.size()); }
  // The frame index of the `ordinal`-th accepted record.
  uint32_t indexOfAccepted(uint32_t ordinal) const;
};

class HandleTracker : public std::enable_shared_from_this<HandleTracker> {
 public:
  HandleTracker(uint32_t id, std::weak_ptr<OutcomeListener> listener)
      : id_(id), listener_(std::move(listener)) {}

  uint32_t id() const { return id_; }
  uint64_t nextSeq() const { return next_seq_; }
  uint64_t durableNext() const { return durable_next_; }

  // Registers a frame [next_seq, next_seq + count) (the tracker must be owned by a shared_ptr) whose indices `rejected` were refused
  // before acceptance (already reported). Returns the segment (final at once if nothing was
  // accepted).
  std::shared_ptr<FrameSeg> addFrame(uint32_t count, std::vector<uint32_t> rejected, uint64_t bytes,
                                     uint32_t pieces);
  // One piece of `seg` is durable.
  void pieceDurable(FrameSeg& seg);
  // One piece of `seg`, accepted ordinals [begin, end), failed: reported, then final.
  void pieceFailed(FrameSeg& seg, uint32_t begin, uint32_t end, uint16_t code, bool retriable,
                   const std::string& message);

 private:
  void finishSeg(FrameSeg& seg);

  uint32_t id_;
  std::weak_ptr<OutcomeListener> listener_;
  uint64_t next_seq_ = 0;
  uint64_t durable_next_ = 0;
  std::deque<std::shared_ptr<FrameSeg>> segs_;  // not yet folded into durable_next_
};

}  // namespace zerobusd::pipeline
