#include "daemon/pipeline/handle_tracker.h"

#include <algorithm>

namespace zerobusd::pipeline {

uint32_t FrameSeg::indexOfAccepted(uint32_t ordinal) const {
  // Walk past the rejected indices that come before the answer; rejections are rare.
  uint32_t index = ordinal;
  for (uint32_t r : rejected) {
    if (r <= index) {
      ++index;
    } else {
      break;
    }
  }
  return index;
}

std::shared_ptr<FrameSeg> HandleTracker::addFrame(uint32_t count, std::vector<uint32_t> rejected,
                                                  uint64_t bytes, uint32_t pieces) {
  auto seg = std::make_shared<FrameSeg>();
  seg->handle = shared_from_this();
  seg->first_seq = next_seq_;
  seg->count = count;
  seg->rejected = std::move(rejected);
  seg->bytes = bytes;
  seg->pieces_pending = pieces;
  next_seq_ += count;
  segs_.push_back(seg);
  if (pieces == 0) finishSeg(*seg);
  return seg;
}

void HandleTracker::pieceDurable(FrameSeg& seg) {
  if (seg.pieces_pending > 0 && --seg.pieces_pending == 0) finishSeg(seg);
}

void HandleTracker::pieceFailed(FrameSeg& seg, uint32_t begin, uint32_t end, uint16_t code,
                                bool retriable, const std::string& message) {
  if (auto listener = listener_.lock()) {
    // Report runs of consecutive sequence numbers (rejected-at-validation records split runs).
    uint32_t run_start = seg.indexOfAccepted(begin);
    uint32_t run_len = 1;
    for (uint32_t ordinal = begin + 1; ordinal < end; ++ordinal) {
      uint32_t index = seg.indexOfAccepted(ordinal);
      if (index == run_start + run_len) {
        ++run_len;
        continue;
      }
      listener->onReject(id_, seg.first_seq + run_start, run_len, code, retriable, message);
      run_start = index;
      run_len = 1;
    }
    if (end > begin) listener->onReject(id_, seg.first_seq + run_start, run_len, code, retriable, message);
  }
  pieceDurable(seg);
}

void HandleTracker::finishSeg(FrameSeg& seg) {
  seg.final = true;
  // Fold finished segments at the front into the durable mark.
  while (!segs_.empty() && segs_.front()->final) {
    durable_next_ = segs_.front()->first_seq + segs_.front()->count;
    segs_.pop_front();
  }
  if (auto listener = listener_.lock()) {
    listener->onFinal(id_, seg.accepted(), seg.bytes, durable_next_);
  }
}

}  // namespace zerobusd::pipeline
