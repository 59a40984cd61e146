#pragma once
// Test harness for zerobus-fake: the server in-process on free loopback ports with its own
// temporary output directory, a plain gRPC client for EphemeralStream, the admin HTTP API, and
// the AirQuality test message (descriptor and hand-encoded records, as the SDK driver makes).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "proto/zerobus_service.grpc.pb.h"
#include "tools/zerobus-fake/fake_server.h"

namespace zerobusd::fake::testing {

namespace zb = databricks::zerobus;

inline constexpr char kAirQuality[] = "main.default.air_quality";
inline constexpr char kEvents[] = "main.default.events";
inline constexpr auto kCallDeadline = std::chrono::seconds(30);

// A unique temporary directory, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

FakeConfig testConfig(const std::string& output_dir);
google::protobuf::DescriptorProto airQualityDescriptor();
std::string airQualityRecord(int i, size_t size = 100);  // AirQuality, padded to `size` bytes
std::vector<std::string> airQualityRecords(int first, int count);  // records first..first+count-1
std::string airQualityJson(int i);

// Waits (bounded) until `condition` holds, polling; for state only observable from outside.
bool waitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds limit = std::chrono::seconds(10));

// A loopback TCP port nobody listens on (bound, then released), or -1: connecting is refused.
int closedLoopbackPort();

// Waits up to `limit` for the child `pid` to exit and reaps it. Returns its wait status, or
// nothing if it is still running then (it is left alone) or is not a child waiting to be reaped.
std::optional<int> waitChild(pid_t pid, std::chrono::milliseconds limit);

// One EphemeralStream call, driven synchronously.
class Call {
 public:
  Call(zb::Zerobus::Stub& stub, const std::string& table, const std::string& token = "test-token");
  Call(zb::Zerobus::Stub& stub, const std::vector<std::pair<std::string, std::string>>& metadata);

  bool waitHeaders() { return stream_->WaitForInitialMetadata(), true; }
  bool write(const zb::EphemeralStreamRequest& request) { return stream_->Write(request); }
  bool create(const std::string& table, zb::RecordType type,
              std::optional<google::protobuf::DescriptorProto> descriptor);
  bool createProto(const std::string& table = kAirQuality) {
    return create(table, zb::PROTO, airQualityDescriptor());
  }
  bool sendBatch(int64_t offset, const std::vector<std::string>& records, bool json = false);
  bool sendRecord(int64_t offset, const std::string& record, bool json = false);
  std::optional<zb::EphemeralStreamResponse> read();
  // Reads until an ack for `offset` (or later) arrives; false if the call ended first.
  bool readAck(int64_t offset);
  // Reads the create response; returns its stream id ("" if the call failed).
  std::string readCreated();
  grpc::Status finish();  // half-close, drain, status
  grpc::Status finishWithoutHalfClose();  // drain, status
  void cancel() { context_.TryCancel(); }
  int64_t lastAck() const { return last_ack_; }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<zb::EphemeralStreamRequest, zb::EphemeralStreamResponse>>
      stream_;
  int64_t last_ack_ = -1;
};

class FakeTest : public ::testing::Test {
 protected:
  void SetUp() override { startFake(testConfig(out_.path())); }
  void TearDown() override {
    if (fake_) fake_->stop();
  }
  void startFake(FakeConfig config);
  // Changes the config and restarts the fake (for settings fixed at start).
  void restartWith(const std::function<void(FakeConfig&)>& edit);

  std::unique_ptr<zb::Zerobus::Stub> newStub();
  zb::Zerobus::Stub& stub() { return *stub_; }
  nlohmann::json admin(const std::string& path, const nlohmann::json& body);
  nlohmann::json adminGet(const std::string& path);
  TableCounters counters(const std::string& table = kAirQuality) {
    return fake_->landing().counters(table);
  }
  std::vector<nlohmann::json> landedRows(const std::string& table = kAirQuality);

  TempDir out_;
  FakeConfig config_;
  std::unique_ptr<FakeServer> fake_;
  std::unique_ptr<zb::Zerobus::Stub> stub_;
};

}  // namespace zerobusd::fake::testing
