// Asynchronous JSON ingestion with the C++ client: records are handed over without waiting,
// each with an onDone callback that tallies its outcome; one flush at the end waits for them
// all. Many records are in flight at once, so this is far faster than sync_json.cc.
//   examples/run.sh build/dev/examples/cpp/async_json

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>

#include "zerobusd/client.h"

namespace {

constexpr size_t kRecords = 300;
constexpr auto kTimeout = std::chrono::seconds(60);

// Outcomes reported by the callbacks (on the client's I/O thread), read by main.
class Tally {
 public:
  // Called from onDone: must not block, so it only counts.
  void add(const zerobusd::Outcome& outcome) {
    std::lock_guard lock(mu_);
    durable_ += outcome.records - outcome.failed;
    failed_ += outcome.failed;
    if (const zerobusd::Error* error = outcome.firstError(); error != nullptr && first_.empty()) {
      first_ = error->toString();
    }
    cv_.notify_all();
  }
  // Waits until `records` outcomes arrived; false if time ran out first.
  bool waitFor(size_t records, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return durable_ + failed_ >= records; });
  }
  void print(const char* name, long long ms) {
    std::lock_guard lock(mu_);
    std::printf("%s: %zu records durable, %zu failed, in %lld ms\n", name, durable_, failed_, ms);
    if (!first_.empty()) std::fprintf(stderr, "first failure: %s\n", first_.c_str());
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
  std::string first_;
};

std::string eventJson(size_t id) {
  return R"({"id":)" + std::to_string(id) + R"(,"kind":"cpp_async_json","attrs":{"mode":"async"}})";
}

}  // namespace

int main() {
  Tally tally;  // declared first: it outlives the client, whose I/O thread runs the callbacks
  zerobusd::ClientOptions options;  // socket_path empty: $ZEROBUSD_SOCKET
  options.client_name = "example-cpp-async-json";
  zerobusd::Result<zerobusd::Client> client = zerobusd::Client::connect(std::move(options));
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.error().toString().c_str());
    return 1;
  }
  zerobusd::Result<zerobusd::Table> table =
      client->openTable("main.default.events", zerobusd::RecordType::kJson);
  if (!table.ok()) {
    std::fprintf(stderr, "open table: %s\n", table.error().toString().c_str());
    return 1;
  }

  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kRecords; ++i) {
    // The handle need not be kept: the outcome arrives either way.
    table->ingestJson(eventJson(i)).onDone([&tally](const zerobusd::Outcome& outcome) {
      tally.add(outcome);
    });
  }
  const zerobusd::Status flushed = table->flush(kTimeout);
  if (!flushed.ok()) std::fprintf(stderr, "flush: %s\n", flushed.error().toString().c_str());
  const bool complete = tally.waitFor(kRecords, kTimeout);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);

  const zerobusd::Status closed = client->close(kTimeout);
  if (!closed.ok()) std::fprintf(stderr, "close: %s\n", closed.error().toString().c_str());
  tally.print("async_json", static_cast<long long>(elapsed.count()));
  if (!complete) std::fprintf(stderr, "not every outcome arrived in time\n");
  return complete && flushed.ok() && closed.ok() && tally.allDurable(kRecords) ? 0 : 1;
}
