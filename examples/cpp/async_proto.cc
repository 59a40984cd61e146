// Asynchronous protobuf ingestion with the C++ client: AirQuality messages (generated from
// config/schemas/air_quality.proto at build time) are handed over in batches with ingestMany,
// each batch's handle tallying its outcome in an onDone callback; one flush waits for all.
//   examples/run.sh build/dev/examples/cpp/async_proto

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "air_quality.pb.h"
#include "zerobusd/client.h"

namespace {

constexpr size_t kRecords = 300;
constexpr size_t kBatch = 50;
constexpr auto kTimeout = std::chrono::seconds(60);

// Outcomes reported by the callbacks (on the client's I/O thread), read by main.
class Tally {
 public:
  // Called from onDone: must not block, so it only counts.
  void add(const zerobusd::Outcome& outcome) {
    std::lock_guard lock(mu_);
    durable_ += outcome.records - outcome.failed;
    failed_ += outcome.failed;
    for (const zerobusd::RecordFailure& failure : outcome.failures) {
      std::fprintf(stderr, "records %zu..%zu of a batch: %s\n", failure.first_index,
                   failure.first_index + failure.count - 1, failure.error.toString().c_str());
    }
    cv_.notify_all();
  }
  bool waitFor(size_t records, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return durable_ + failed_ >= records; });
  }
  void print(const char* name, long long ms) {
    std::lock_guard lock(mu_);
    std::printf("%s: %zu records durable, %zu failed, in %lld ms\n", name, durable_, failed_, ms);
  }
  bool allDurable(size_t records) {
    std::lock_guard lock(mu_);
    return durable_ == records && failed_ == 0;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t durable_ = 0;
  size_t failed_ = 0;
};

std::string reading(size_t i) {
  AirQuality message;
  message.set_device_name("cpp-async-sensor-" + std::to_string(i % 10));
  message.set_temp(static_cast<int32_t>(10 + i % 25));
  message.set_humidity(static_cast<int64_t>(30 + i % 60));
  return message.SerializeAsString();
}

}  // namespace

int main() {
  Tally tally;  // declared first: it outlives the client, whose I/O thread runs the callbacks
  zerobusd::ClientOptions options;  // socket_path empty: $ZEROBUSD_SOCKET
  options.client_name = "example-cpp-async-proto";
  zerobusd::Result<zerobusd::Client> client = zerobusd::Client::connect(std::move(options));
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.error().toString().c_str());
    return 1;
  }
  zerobusd::Result<zerobusd::Table> table =
      client->openTable("main.default.air_quality", zerobusd::RecordType::kProto);
  if (!table.ok()) {
    std::fprintf(stderr, "open table: %s\n", table.error().toString().c_str());
    return 1;
  }

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> batch;
  for (size_t i = 0; i < kRecords; ++i) {
    batch.push_back(reading(i));
    if (batch.size() == kBatch || i + 1 == kRecords) {
      // ingestMany copies the bytes: the batch can be reused at once.
      table->ingestMany(batch).onDone(
          [&tally](const zerobusd::Outcome& outcome) { tally.add(outcome); });
      batch.clear();
    }
  }
  const zerobusd::Status flushed = table->flush(kTimeout);
  if (!flushed.ok()) std::fprintf(stderr, "flush: %s\n", flushed.error().toString().c_str());
  const bool complete = tally.waitFor(kRecords, kTimeout);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);

  const zerobusd::Status closed = client->close(kTimeout);
  if (!closed.ok()) std::fprintf(stderr, "close: %s\n", closed.error().toString().c_str());
  tally.print("async_proto", static_cast<long long>(elapsed.count()));
  if (!complete) std::fprintf(stderr, "not every outcome arrived in time\n");
  return complete && flushed.ok() && closed.ok() && tally.allDurable(kRecords) ? 0 : 1;
}
