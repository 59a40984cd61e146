// HandleTracker: every record gets exactly one outcome, the durable mark only advances over
// final segments in sequence order, and failed pieces are reported as runs of sequence numbers
// that skip records rejected at validation.

#include <gtest/gtest.h>

#include "daemon/pipeline/handle_tracker.h"

namespace zerobusd::pipeline {
namespace {

struct Listener : OutcomeListener {
  struct Reject {
    uint64_t first, count;
    uint16_t code;
    bool retriable;
  };
  std::vector<Reject> rejects;
  uint64_t final_records = 0;
  uint64_t final_bytes = 0;
  uint64_t durable_next = 0;
  void onReject(uint32_t, uint64_t first, uint64_t count, uint16_t code, bool retriable,
                const std::string&) override {
    rejects.push_back({first, count, code, retriable});
  }
  void onFinal(uint32_t, uint64_t records, uint64_t bytes, uint64_t durable) override {
    final_records += records;
    final_bytes += bytes;
    durable_next = durable;
  }
};

TEST(HandleTracker, DurableMarkAdvancesOnlyOverFinalSegmentsInOrder) {
  auto listener = std::make_shared<Listener>();
  auto tracker = std::make_shared<HandleTracker>(7, listener);
  auto a = tracker->addFrame(10, {}, 1000, 1);
  auto b = tracker->addFrame(5, {}, 500, 2);
  EXPECT_EQ(tracker->nextSeq(), 15u);
  tracker->pieceDurable(*b);
  EXPECT_EQ(listener->durable_next, 0u);  // b has a piece left
  tracker->pieceDurable(*b);
  EXPECT_EQ(tracker->durableNext(), 0u);  // a is not final: b cannot be acked past it
  EXPECT_EQ(listener->final_records, 5u);
  tracker->pieceDurable(*a);
  EXPECT_EQ(tracker->durableNext(), 15u);
  EXPECT_EQ(listener->durable_next, 15u);
  EXPECT_EQ(listener->final_records, 15u);
  EXPECT_EQ(listener->final_bytes, 1500u);
}

TEST(HandleTracker, FrameWithEveryRecordRejectedIsFinalAtOnce) {
  auto listener = std::make_shared<Listener>();
  auto tracker = std::make_shared<HandleTracker>(1, listener);
  tracker->addFrame(3, {0, 1, 2}, 0, 0);
  EXPECT_EQ(tracker->durableNext(), 3u);
}

TEST(HandleTracker, FailedPieceIsReportedAsRunsSkippingValidationRejects) {
  auto listener = std::make_shared<Listener>();
  auto tracker = std::make_shared<HandleTracker>(1, listener);
  auto first = tracker->addFrame(2, {}, 20, 1);  // seq 0..1, still pending
  // seq 2..11; indices 3 and 4 (seq 5, 6) were rejected at validation.
  auto seg = tracker->addFrame(10, {3, 4}, 80, 2);
  ASSERT_EQ(seg->accepted(), 8u);
  EXPECT_EQ(seg->indexOfAccepted(0), 0u);
  EXPECT_EQ(seg->indexOfAccepted(3), 5u);
  EXPECT_EQ(seg->indexOfAccepted(7), 9u);
  // The piece with accepted ordinals [2, 6) = frame indices 2, 5, 6, 7 = seq 4, 7, 8, 9 fails.
  tracker->pieceFailed(*seg, 2, 6, 14, true, "upstream down");
  ASSERT_EQ(listener->rejects.size(), 2u);
  EXPECT_EQ(listener->rejects[0].first, 4u);
  EXPECT_EQ(listener->rejects[0].count, 1u);
  EXPECT_EQ(listener->rejects[1].first, 7u);
  EXPECT_EQ(listener->rejects[1].count, 3u);
  EXPECT_TRUE(listener->rejects[1].retriable);
  tracker->pieceDurable(*seg);
  EXPECT_EQ(tracker->durableNext(), 0u);  // the first frame is still pending
  tracker->pieceDurable(*first);
  EXPECT_EQ(tracker->durableNext(), 12u);
}

TEST(HandleTracker, OutcomesOfAVanishedProducerAreDropped) {
  auto listener = std::make_shared<Listener>();
  auto tracker = std::make_shared<HandleTracker>(1, listener);
  auto seg = tracker->addFrame(4, {}, 40, 1);
  listener.reset();  // the session is gone; the segment still completes
  tracker->pieceFailed(*seg, 0, 4, 15, false, "rejected");
  EXPECT_EQ(tracker->durableNext(), 4u);
}

}  // namespace
}  // namespace zerobusd::pipeline
