// Synchronous protobuf ingestion with the C++ client: each AirQuality message (generated from
// config/schemas/air_quality.proto at build time) is serialized, handed to zerobusd and waited
// for (durable) before the next one. The client library itself needs no protobuf: it takes the
// serialized bytes.
//   examples/run.sh build/dev/examples/cpp/sync_proto

#include <chrono>
#include <cstdio>
#include <string>

#include "air_quality.pb.h"
#include "zerobusd/client.h"

namespace {

constexpr int kRecords = 300;
constexpr auto kAckTimeout = std::chrono::seconds(30);

AirQuality reading(int i) {
  AirQuality message;
  message.set_device_name("cpp-sync-sensor-" + std::to_string(i % 10));
  message.set_temp(15 + i % 20);
  message.set_humidity(40 + i % 50);
  return message;
}

}  // namespace

int main() {
  zerobusd::ClientOptions options;  // socket_path empty: $ZEROBUSD_SOCKET
  options.client_name = "example-cpp-sync-proto";
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
  int durable = 0;
  int failed = 0;
  for (int i = 0; i < kRecords; ++i) {
    const std::string bytes = reading(i).SerializeAsString();
    const zerobusd::Status status = table->ingest(bytes).waitDurable(kAckTimeout);
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
  std::printf("sync_proto: %d records durable, %d failed, in %lld ms\n", durable, failed,
              static_cast<long long>(elapsed.count()));
  return failed == 0 && durable == kRecords && closed.ok() ? 0 : 1;
}
