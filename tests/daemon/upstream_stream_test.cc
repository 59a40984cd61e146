// ZerobusStream against zerobus-fake: the official SDK's stream behaviour (zerobus-protocol.md
// §4-§8) under every fault the fake can inject. For each: no batch lost (every batch has one
// outcome and every durable one landed), duplicates only where a replay happened, the right
// final state and reason, bounded time.

#include <set>

#include "tests/daemon/upstream_fixture.h"

namespace zerobusd::upstream::testing {
namespace {

using Json = nlohmann::json;

// Every batch got exactly one outcome, and the durable ones are acked in logical order.
void expectEachBatchOnce(const std::vector<Outcome>& outcomes, size_t batches) {
  ASSERT_EQ(outcomes.size(), batches);
  std::set<int64_t> seen;
  int64_t last_durable = -1;
  for (const auto& o : outcomes) {
    EXPECT_TRUE(seen.insert(o.outcome.logical_offset).second) << o.outcome.logical_offset;
    if (o.outcome.status.ok()) {
      EXPECT_GT(o.outcome.logical_offset, last_durable);
      last_durable = o.outcome.logical_offset;
    }
  }
}

size_t durable(const std::vector<Outcome>& outcomes) {
  size_t n = 0;
  for (const auto& o : outcomes) n += o.outcome.status.ok() ? 1u : 0u;
  return n;
}

class UpstreamStreamTest : public UpstreamTest {};

TEST_F(UpstreamStreamTest, OpensAndAcksEveryBatchInOrder) {
  open();
  for (const auto& s : ingest(20, 50)) EXPECT_TRUE(s.ok()) << s;
  ASSERT_TRUE(waitOutcomes(20));
  auto all = outcomes();
  expectEachBatchOnce(all, 20);
  EXPECT_EQ(durable(all), 20u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].outcome.logical_offset, static_cast<int64_t>(i));
    EXPECT_EQ(all[i].outcome.records, 50u);
    EXPECT_FALSE(all[i].outcome.replayed);
  }
  EXPECT_EQ(state(), StreamState::Opened);
  EXPECT_EQ(counters().landed_records, 1000u);
  EXPECT_EQ(counters().duplicates, 0u);
  EXPECT_EQ(metrics_.stream_opens, 1u);
}

TEST_F(UpstreamStreamTest, IdentifiesItselfAsZerobusdAndSendsTheTableHeader) {
  open();
  ingest(1, 1);
  ASSERT_TRUE(waitOutcomes(1));
  auto calls = adminGet("/admin/streams")["calls"];
  ASSERT_FALSE(calls.empty());
  EXPECT_NE(calls.back()["user_agent"].get<std::string>().find("zerobusd/"), std::string::npos)
      << calls.back();
  EXPECT_EQ(calls.back()["table_header"], kAirQuality);
}

TEST_F(UpstreamStreamTest, OneRecordTravelsAsIngestRecordAndMoreAsABatch) {
  open();
  ingest(1, 1);
  ingest(1, 3, 1);
  ASSERT_TRUE(waitOutcomes(2));
  EXPECT_EQ(counters().landed_messages, 2u);
  EXPECT_EQ(counters().landed_batches, 1u);
}

TEST_F(UpstreamStreamTest, RefusesEmptyAndOversizedBatchesWithoutTakingThem) {
  auto options = fastOptions();
  options.max_request_bytes = 10 * 1024;
  open(options);
  EXPECT_EQ(ingestRecords({}).code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> big(200, airQualityRecord(0));  // ~20 KB
  EXPECT_EQ(ingestRecords(big).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ingestRecords({airQualityRecord(1)}).ok());
  ASSERT_TRUE(waitOutcomes(1));
  EXPECT_EQ(outcomes().size(), 1u);
}

TEST_F(UpstreamStreamTest, FullWindowRefusesThenReportsCapacity) {
  admin("/admin/faults/acks", {{"mode", "stop"}});
  auto options = fastOptions();
  options.max_inflight_records = 2;
  open(options);
  auto statuses = ingest(3, 1);
  EXPECT_TRUE(statuses[0].ok());
  EXPECT_TRUE(statuses[1].ok());
  EXPECT_EQ(statuses[2].code(), absl::StatusCode::kResourceExhausted);
  admin("/admin/faults/acks", {{"mode", "normal"}});
  ASSERT_TRUE(waitOutcomes(2));
  std::unique_lock lock(mu_);
  EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [&] { return capacity_calls_ > 0; }));
}

TEST_F(UpstreamStreamTest, AbortMidLoadRecoversAndReplaysInOrder) {
  admin("/admin/faults/acks", {{"mode", "stop"}});
  open();
  ingest(10, 20);
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_messages == 10; }));
  // The stream ends with a retriable status while 10 batches are unacked (none landed); the
  // replacement call re-sends them, and acks resume once it is up.
  admin("/admin/faults/abort", {{"code", "UNAVAILABLE"}});
  ASSERT_TRUE(fake::testing::waitFor([&] { return metrics_.stream_opens.load() == 2; }));
  admin("/admin/faults/acks", {{"mode", "normal"}});
  ASSERT_TRUE(waitOutcomes(10));
  auto all = outcomes();
  expectEachBatchOnce(all, 10);
  EXPECT_EQ(durable(all), 10u);
  EXPECT_EQ(counters().landed_records, 200u);
  EXPECT_EQ(counters().duplicates, 0u);
  EXPECT_GE(metrics_.recoveries, 1u);
  EXPECT_EQ(state(), StreamState::Opened);
}

TEST_F(UpstreamStreamTest, CommittedButUnackedBatchIsReplayedAndCountedAsDuplicate) {
  open();
  ingest(1, 1);
  ASSERT_TRUE(waitOutcomes(1));  // stream is up
  admin("/admin/faults/drop-after-commit", {{"count", 1}});
  ingest(1, 10, 100);
  ASSERT_TRUE(waitOutcomes(2));
  auto all = outcomes();
  EXPECT_TRUE(all[1].outcome.status.ok());
  EXPECT_TRUE(all[1].outcome.replayed);
  EXPECT_EQ(counters().duplicates, 10u);  // duplicates only where a replay happened
  EXPECT_EQ(counters().landed_records, 21u);
}

TEST_F(UpstreamStreamTest, UnavailableOnTheNextOpensIsRetriedWithBackoff) {
  admin("/admin/faults/create", {{"count", 2}, {"code", "UNAVAILABLE"}});
  open();
  ingest(5, 10);
  ASSERT_TRUE(waitOutcomes(5));
  EXPECT_EQ(durable(outcomes()), 5u);
  EXPECT_EQ(metrics_.open_failures, 2u);
  EXPECT_EQ(adminGet("/admin/counters")["streams"]["opened"], 1);
}

TEST_F(UpstreamStreamTest, GivesUpAfterTheRetryBudgetAndHandsBatchesBackRetriable) {
  admin("/admin/faults/create", {{"count", -1}, {"code", "UNAVAILABLE"}, {"message", "down"}});
  open();
  ingest(3, 10);  // queued while the stream opens
  ASSERT_TRUE(waitState(StreamState::Failed));
  ASSERT_TRUE(waitOutcomes(3));
  for (const auto& o : outcomes()) {
    EXPECT_EQ(o.outcome.status.code(), absl::StatusCode::kUnavailable);
    EXPECT_TRUE(o.outcome.retriable);
    EXPECT_EQ(o.records_back, 10);  // the records come back to the owner
  }
  // 1 + recovery_retries attempts, no more.
  EXPECT_EQ(adminGet("/admin/counters")["faults_fired"]["create"], 4);
}

TEST_F(UpstreamStreamTest, NonRetriableStatusOnCreateFailsAtOnce) {
  admin("/admin/faults/create", {{"count", -1}, {"code", "NOT_FOUND"}});
  open();
  ingest(2, 5);
  ASSERT_TRUE(waitState(StreamState::Failed));
  ASSERT_TRUE(waitOutcomes(2));
  for (const auto& o : outcomes()) {
    EXPECT_EQ(o.outcome.status.code(), absl::StatusCode::kNotFound);
    EXPECT_FALSE(o.outcome.retriable);
  }
  EXPECT_EQ(adminGet("/admin/counters")["faults_fired"]["create"], 1);
}

TEST_F(UpstreamStreamTest, NonRetriableStatusMidStreamFailsAndHandsEveryBatchBack) {
  admin("/admin/faults/acks", {{"mode", "stop"}});
  open();
  ingest(4, 5);
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_messages == 4; }));
  admin("/admin/faults/abort", {{"code", "INVALID_ARGUMENT"}, {"message", "bad"}});
  ASSERT_TRUE(waitOutcomes(4));
  for (const auto& o : outcomes()) {
    EXPECT_EQ(o.outcome.status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(o.outcome.status.message(), "bad");
    EXPECT_FALSE(o.outcome.retriable);
    // Every batch was on the call the service refused: each may hold the bad records.
    EXPECT_TRUE(o.outcome.suspect);
    EXPECT_FALSE(o.outcome.isolated);  // that is for a pool to find out
    EXPECT_EQ(o.records_back, 5);
  }
  EXPECT_EQ(state(), StreamState::Failed);
  EXPECT_EQ(ingest(1, 1)[0].code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(UpstreamStreamTest, UndecodableRecordFailsTheStreamNonRetriably) {
  admin("/admin/faults/acks", {{"mode", "stop"}});
  open();
  ingest(2, 5);
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_messages == 2; }));
  admin("/admin/faults/acks", {{"mode", "normal"}});
  ASSERT_TRUE(ingestRecords({airQualityRecord(1), std::string("\x0a\x7f", 2)}).ok());
  ASSERT_TRUE(waitOutcomes(3));
  auto all = outcomes();
  // The two good batches were acked before the bad one failed the stream (ack_before_failure).
  EXPECT_TRUE(all[0].outcome.status.ok());
  EXPECT_TRUE(all[1].outcome.status.ok());
  EXPECT_EQ(all[2].outcome.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(all[2].outcome.retriable);
  EXPECT_TRUE(all[2].outcome.suspect);
  EXPECT_EQ(state(), StreamState::Failed);
}

TEST_F(UpstreamStreamTest, NonRetriableStatusAtCreationIsNoRecordsFault) {
  // A refused creation (e.g. a descriptor that does not match the table) says nothing about
  // the records: sending them alone would fail the same way.
  admin("/admin/faults/create", {{"count", -1}, {"code", "INVALID_ARGUMENT"}, {"message", "schema"}});
  open();
  ingest(2, 5);
  ASSERT_TRUE(waitOutcomes(2));
  for (const auto& o : outcomes()) {
    EXPECT_EQ(o.outcome.status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(o.outcome.suspect);
  }
}

TEST_F(UpstreamStreamTest, AckStallIsDetectedAndTheStreamRecovers) {
  admin("/admin/faults/acks", {{"mode", "stop"}});
  auto options = fastOptions();
  options.server_lack_of_ack_timeout_ms = 300;
  open(options);
  ingest(3, 10);
  ASSERT_TRUE(fake::testing::waitFor([&] { return metrics_.lack_of_ack_timeouts.load() >= 1; }));
  admin("/admin/faults/acks", {{"mode", "normal"}});
  ASSERT_TRUE(waitOutcomes(3));
  auto all = outcomes();
  EXPECT_EQ(durable(all), 3u);
  // A call the client gave up on may still be acked (and land) on the server before it sees
  // the cancel: those batches were replayed, and only they may be duplicated.
  uint64_t replayed_records = 0;
  for (const auto& o : all) replayed_records += o.outcome.replayed ? o.outcome.records : 0;
  EXPECT_GE(replayed_records, 30u);
  EXPECT_LE(counters().duplicates, replayed_records);
  EXPECT_EQ(counters().landed_records, 30u + counters().duplicates);
}

TEST_F(UpstreamStreamTest, DelayedAcksAreWaitedForAndTheirLatencyReported) {
  admin("/admin/faults/acks", {{"delay_ms", 200}});
  open();
  ingest(3, 10);
  ASSERT_TRUE(waitOutcomes(3));
  for (const auto& o : outcomes()) {
    EXPECT_TRUE(o.outcome.status.ok());
    EXPECT_GE(o.outcome.latency, std::chrono::milliseconds(200));
  }
  EXPECT_EQ(metrics_.recoveries, 0u);
}

TEST_F(UpstreamStreamTest, CloseSignalUnderLoadPausesDrainsAndReconnectsWithoutLoss) {
  open();
  ingest(5, 10);
  ASSERT_TRUE(waitOutcomes(5));
  admin("/admin/faults/acks", {{"delay_ms", 100}});  // keep batches in flight at the signal
  ingest(5, 10, 50);
  admin("/admin/faults/close-signal", {{"duration_ms", 400}, {"end", true}});
  ingest(5, 10, 100);  // accepted (queued) during the pause
  ASSERT_TRUE(waitOutcomes(15));
  auto all = outcomes();
  expectEachBatchOnce(all, 15);
  EXPECT_EQ(durable(all), 15u);
  EXPECT_EQ(counters().landed_records, 150u);
  EXPECT_EQ(metrics_.close_signals, 1u);
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(close_signals_, 1);
  }
  ASSERT_TRUE(fake::testing::waitFor([&] { return metrics_.stream_opens.load() == 2; }));
}

TEST_F(UpstreamStreamTest, DroppedConnectionsAreRecovered) {
  open();
  ingest(2, 10);
  ASSERT_TRUE(waitOutcomes(2));
  admin("/admin/faults/drop-connections", Json::object());
  ingest(3, 10, 20);
  ASSERT_TRUE(waitOutcomes(5));
  EXPECT_EQ(durable(outcomes()), 5u);
  EXPECT_EQ(counters().landed_records, 50u);
}

TEST_F(UpstreamStreamTest, CleanServerEndMidStreamIsRetriable) {
  open();
  ingest(1, 1);
  ASSERT_TRUE(waitOutcomes(1));
  admin("/admin/faults/abort", {{"code", "OK"}});
  ingest(1, 1, 1);
  ASSERT_TRUE(waitOutcomes(2));
  EXPECT_TRUE(outcomes()[1].outcome.status.ok());
  EXPECT_GE(metrics_.recoveries, 1u);
}

TEST_F(UpstreamStreamTest, WithoutRecoveryARetriableFailureEndsTheStream) {
  auto options = fastOptions();
  options.recovery = false;
  admin("/admin/faults/acks", {{"mode", "stop"}});
  open(options);
  ingest(1, 1);
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_messages == 1; }));
  admin("/admin/faults/abort", {{"code", "UNAVAILABLE"}});
  ASSERT_TRUE(waitOutcomes(1));
  EXPECT_EQ(outcomes()[0].outcome.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(outcomes()[0].outcome.retriable);
  EXPECT_EQ(state(), StreamState::Failed);
}

TEST_F(UpstreamStreamTest, FlushWaitsForEveryAck) {
  admin("/admin/faults/acks", {{"delay_ms", 100}});
  open();
  ingest(3, 10);
  EXPECT_TRUE(flushSync().ok());
  EXPECT_EQ(counters().landed_records, 30u);
  EXPECT_EQ(outcomes().size(), 3u);
}

TEST_F(UpstreamStreamTest, FlushTimesOutWhenAcksStop) {
  admin("/admin/faults/acks", {{"mode", "stop"}});
  auto options = fastOptions();
  options.flush_timeout_ms = 200;
  open(options);
  ingest(1, 1);
  absl::Status flushed = flushSync();
  EXPECT_EQ(flushed.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(flushed.message(), "Flush timed out");
  // The batch is still in flight, not lost: acks resume and it completes.
  admin("/admin/faults/acks", {{"mode", "normal"}});
  ASSERT_TRUE(waitOutcomes(1));
  EXPECT_TRUE(outcomes()[0].outcome.status.ok());
}

TEST_F(UpstreamStreamTest, CloseDrainsThenRefusesIngest) {
  // A drain longer than the test: the server's clean end, not the timer, completes the close
  // (with the 200 ms default a loaded machine cancelled the call before the server ended it).
  auto options = fastOptions();
  options.drain_late_acks_ms = 20000;
  open(options);
  ingest(5, 10);
  EXPECT_TRUE(closeSync().ok());
  EXPECT_EQ(state(), StreamState::Closed);
  ASSERT_TRUE(waitOutcomes(5));
  EXPECT_EQ(durable(outcomes()), 5u);
  EXPECT_EQ(ingest(1, 1)[0].code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(closeSync().ok());  // closing twice is OK
  ASSERT_TRUE(fake::testing::waitFor(
      [&] { return adminGet("/admin/counters")["streams"]["ended"].contains("OK"); }));
}

TEST_F(UpstreamStreamTest, TokenRefusedMidStreamFailsAndAsksForANewToken) {
  struct CountingSource : TokenSource {
    int invalidations = 0;
    std::string token;
    void getToken(bool invalidate, Callback done) override {
      invalidations += invalidate ? 1 : 0;
      done(token);
    }
  };
  auto source = std::make_shared<CountingSource>();
  fake::TokenGrant grant;
  grant.tables = {kAirQuality};
  source->token = fake_->tokens().mint(grant, std::chrono::seconds(600));
  open(fastOptions(), source);
  ingest(1, 1);
  ASSERT_TRUE(waitOutcomes(1));
  admin("/admin/faults/acks", {{"mode", "stop"}});
  ingest(1, 1, 1);
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_messages == 2; }));
  admin("/admin/tokens/revoke", {{"end_streams", true}});
  ASSERT_TRUE(waitOutcomes(2));
  EXPECT_EQ(outcomes()[1].outcome.status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(outcomes()[1].outcome.retriable);
  EXPECT_EQ(state(), StreamState::Failed);
}

TEST_F(UpstreamStreamTest, ExpiredTokenAtCreationIsRetriedOnceWithAFreshToken) {
  struct RotatingSource : TokenSource {
    std::vector<std::string> tokens;
    size_t next = 0;
    int invalidations = 0;
    void getToken(bool invalidate, Callback done) override {
      if (invalidate) {
        ++invalidations;
        ++next;
      }
      done(tokens[std::min(next, tokens.size() - 1)]);
    }
  };
  auto source = std::make_shared<RotatingSource>();
  fake::TokenGrant grant;
  grant.tables = {kAirQuality};
  source->tokens = {fake_->tokens().mint(grant, std::chrono::seconds(-1)),  // expired
                    fake_->tokens().mint(grant, std::chrono::seconds(600))};
  open(fastOptions(), source);
  ingest(2, 5);
  ASSERT_TRUE(waitOutcomes(2));
  EXPECT_EQ(durable(outcomes()), 2u);
  loop_.runSync([&] { EXPECT_EQ(source->invalidations, 1); });
}

}  // namespace
}  // namespace zerobusd::upstream::testing
