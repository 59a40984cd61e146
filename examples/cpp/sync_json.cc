// Synchronous JSON ingestion with the C++ client: each record is handed to zerobusd and waited
// for (durable in the table) before the next one - the simplest way to use the library, and
// the slowest. See async_json.cc for the pipelined way.
//   examples/run.sh build/dev/examples/cpp/sync_json
// The daemon's socket comes from $ZEROBUSD_SOCKET (examples/run.sh sets it).

#include <chrono>
#include <cstdio>
#include <string>

#include "zerobusd/client.h"

namespace {

constexpr int kRecords = 300;
constexpr auto kAckTimeout = std::chrono::seconds(30);

// One row of main.default.events (id bigint NOT NULL, kind string NOT NULL, tags array<string>).
std::string eventJson(int id) {
  return R"({"id":)" + std::to_string(id) + R"(,"kind":"cpp_sync_json","tags":["example"]})";
}

}  // namespace

int main() {
  zerobusd::ClientOptions options;  // socket_path empty: $ZEROBUSD_SOCKET
  options.client_name = "example-cpp-sync-json";
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
  int durable = 0;
  int failed = 0;
  for (int i = 0; i < kRecords; ++i) {
    const zerobusd::Status status = table->ingestJson(eventJson(i)).waitDurable(kAckTimeout);
    if (status.ok()) {
      ++durable;
    } else {
      ++failed;
      std::fprintf(stderr, "record %d: %s\n", i, status.error().toString().c_str());
    }
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);

  const zerobusd::Status closed = client->close(kAckTimeout);
  if (!closed.ok()) std::fprintf(stderr, "close: %s\n", closed.error().toString().c_str());
  std::printf("sync_json: %d records durable, %d failed, in %lld ms\n", durable, failed,
              static_cast<long long>(elapsed.count()));
  return failed == 0 && durable == kRecords && closed.ok() ? 0 : 1;
}
