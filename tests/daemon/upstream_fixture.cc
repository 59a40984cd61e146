#include "tests/daemon/upstream_fixture.h"

#include <future>

#include "daemon/upstream/channel.h"

namespace zerobusd::upstream::testing {

void UpstreamTest::TearDown() {
  // The stream lives on the loop: drop it there, before the fake goes.
  loop_.runSync([&] { stream_.reset(); });
  FakeTest::TearDown();
}

StreamOptions UpstreamTest::fastOptions() {
  StreamOptions o;
  o.recovery_backoff_ms = 50;
  o.recovery_timeout_ms = 5000;
  o.recovery_retries = 3;
  o.flush_timeout_ms = 20000;
  o.server_lack_of_ack_timeout_ms = 10000;
  o.drain_late_acks_ms = 200;
  return o;
}

std::shared_ptr<grpc::Channel> UpstreamTest::channel() {
  TransportOptions transport;
  transport.endpoint = "http://127.0.0.1:" + std::to_string(fake_->grpcPort());
  transport.plaintext = true;
  auto made = makeChannel(transport, [](const char*) -> const char* { return nullptr; });
  EXPECT_TRUE(made.ok()) << made.status();
  return *made;
}

void UpstreamTest::open(StreamOptions options, std::shared_ptr<TokenSource> tokens,
                        const std::string& table) {
  if (!tokens) tokens = std::make_shared<StaticTokenSource>("test-token");
  TableTarget target{table, RecordType::Proto, airQualityDescriptor().SerializeAsString()};
  StreamCallbacks callbacks;
  callbacks.on_batch_done = [this](BatchOutcome outcome, Records records) {
    std::lock_guard lock(mu_);
    outcomes_.push_back({std::move(outcome), records.size()});
    cv_.notify_all();
  };
  callbacks.on_state = [this](StreamState state) {
    std::lock_guard lock(mu_);
    states_.push_back(state);
    cv_.notify_all();
  };
  callbacks.on_close_signal = [this](std::chrono::milliseconds) {
    std::lock_guard lock(mu_);
    ++close_signals_;
  };
  callbacks.on_capacity = [this] {
    std::lock_guard lock(mu_);
    ++capacity_calls_;
    cv_.notify_all();
  };
  auto ch = channel();
  loop_.runSync([&] {
    stream_ = ZerobusStream::create(loop_.loop(), ch, tokens, target, options, callbacks, &metrics_);
    stream_->start();
  });
}

std::vector<absl::Status> UpstreamTest::ingest(int batches, int per_batch, int first) {
  std::vector<absl::Status> statuses;
  loop_.runSync([&] {
    int index = first;
    for (int b = 0; b < batches; ++b) {
      Records records;
      for (int r = 0; r < per_batch; ++r) *records.Add() = airQualityRecord(index++);
      auto offset = stream_->ingest(records, static_cast<uint64_t>(first + b * per_batch));
      statuses.push_back(offset.status());
    }
  });
  return statuses;
}

absl::Status UpstreamTest::ingestRecords(std::vector<std::string> records) {
  absl::Status status;
  loop_.runSync([&] {
    Records batch;
    for (auto& r : records) *batch.Add() = std::move(r);
    status = stream_->ingest(batch, 0).status();
  });
  return status;
}

bool UpstreamTest::waitOutcomes(size_t count, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return outcomes_.size() >= count; });
}

bool UpstreamTest::waitState(StreamState state, std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return !states_.empty() && states_.back() == state; });
}

std::vector<Outcome> UpstreamTest::outcomes() {
  std::lock_guard lock(mu_);
  return outcomes_;
}

StreamState UpstreamTest::state() {
  StreamState s{};
  loop_.runSync([&] { s = stream_->state(); });
  return s;
}

absl::Status UpstreamTest::flushSync() {
  std::promise<absl::Status> result;
  loop_.runSync([&] { stream_->flush([&](absl::Status s) { result.set_value(s); }); });
  auto future = result.get_future();
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return absl::DeadlineExceededError("test: flush never completed");
  }
  return future.get();
}

absl::Status UpstreamTest::closeSync() {
  std::promise<absl::Status> result;
  loop_.runSync([&] { stream_->close([&](absl::Status s) { result.set_value(s); }); });
  auto future = result.get_future();
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return absl::DeadlineExceededError("test: close never completed");
  }
  return future.get();
}

}  // namespace zerobusd::upstream::testing
