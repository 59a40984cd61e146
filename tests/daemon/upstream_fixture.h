#pragma once
// Harness for upstream stream tests: zerobus-fake in-process (plaintext, free ports), an event
// loop on its own thread, and a ZerobusStream driven on that loop whose batch outcomes are
// collected for the test thread to wait on (bounded, never by sleeping).

#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "daemon/loop/uv_event_loop.h"
#include "daemon/upstream/zerobus_stream.h"
#include "tests/fake/fake_fixture.h"

namespace zerobusd::upstream::testing {

using fake::testing::airQualityDescriptor;
using fake::testing::airQualityRecord;
using fake::testing::kAirQuality;

struct Outcome {
  BatchOutcome outcome;
  int records_back = 0;
};

class UpstreamTest : public fake::testing::FakeTest {
 protected:
  void TearDown() override;

  // Fast recovery settings so fault tests finish in well under a second each.
  static StreamOptions fastOptions();
  std::shared_ptr<grpc::Channel> channel();
  // Creates and starts the stream on the loop.
  void open(StreamOptions options = fastOptions(), std::shared_ptr<TokenSource> tokens = nullptr,
            const std::string& table = kAirQuality);
  // Ingests `batches` batches of `per_batch` records numbered from `first` (loop thread).
  // Returns the statuses of the ingest() calls.
  std::vector<absl::Status> ingest(int batches, int per_batch, int first = 0);
  absl::Status ingestRecords(std::vector<std::string> records);

  bool waitOutcomes(size_t count, std::chrono::milliseconds limit = std::chrono::seconds(20));
  bool waitState(StreamState state, std::chrono::milliseconds limit = std::chrono::seconds(20));
  std::vector<Outcome> outcomes();
  StreamState state();
  absl::Status flushSync();
  absl::Status closeSync();

  LoopThread loop_;
  std::shared_ptr<ZerobusStream> stream_;
  UpstreamMetrics metrics_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Outcome> outcomes_;
  std::vector<StreamState> states_;
  int close_signals_ = 0;
  int capacity_calls_ = 0;
};

}  // namespace zerobusd::upstream::testing
