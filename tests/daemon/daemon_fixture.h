#pragma once
// Harness for zerobusd end-to-end tests: zerobus-fake in-process (plaintext, free ports), the
// daemon's Server on its own loop thread with a config generated for those ports, and a raw
// protocol client that can send well-formed and malformed frames and read what comes back
// (bounded waits, never sleeps).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/frame/frame.h"
#include "common/frame/messages.h"
#include "daemon/config/config.h"
#include "daemon/loop/uv_event_loop.h"
#include "daemon/server/server.h"
#include "tests/fake/fake_fixture.h"

namespace zerobusd::testing {

using fake::testing::airQualityJson;
using fake::testing::airQualityRecord;
using fake::testing::airQualityRecords;
using fake::testing::kAirQuality;
using fake::testing::kEvents;

struct RawFrame {
  frame::FrameType type{};
  std::string payload;
};

// A producer speaking the protocol by hand over a blocking Unix socket.
class RawClient {
 public:
  explicit RawClient(const std::string& socket_path);
  ~RawClient();
  bool connected() const { return fd_ >= 0; }
  bool send(const std::string& bytes);
  // The next frame, or nullopt when the daemon closed the connection or `limit` passed.
  std::optional<RawFrame> read(std::chrono::milliseconds limit = std::chrono::seconds(20));
  // Reads until `pred` accepts a frame (returned) or the connection ends / time runs out.
  std::optional<RawFrame> readUntil(const std::function<bool(const RawFrame&)>& pred,
                                    std::chrono::milliseconds limit = std::chrono::seconds(20));
  void closeNow();

  // Conveniences on top: HELLO + WELCOME, OPEN -> handle (0 on refusal), RECORDS.
  bool hello(uint8_t ack_levels = frame::kAckBitsAll);
  uint32_t open(const std::string& table, frame::RecordType type, frame::ErrorCode* refused = nullptr);
  bool sendRecords(uint32_t handle, uint64_t first_seq, const std::vector<std::string>& records);
  // Waits for a durable ACK of `handle` reaching `next_seq`; collects REJECTs on the way.
  bool waitDurable(uint32_t handle, uint64_t next_seq, std::vector<frame::Reject>* rejects = nullptr,
                   std::chrono::milliseconds limit = std::chrono::seconds(30));

 private:
  int fd_ = -1;
  std::string buffer_;
  std::vector<std::string> reject_storage_;
};

// JSON records for the events table: {"id": first..first+count-1, "kind": "k"}.
std::vector<std::string> eventRecords(int first, int count);

// The fatal ERROR the daemon sends before closing the connection (nullopt if it ended without
// one, or `limit` passed). `storage` keeps the bytes the returned frame's message points into.
std::optional<frame::ErrorFrame> fatalError(RawClient& client, std::string* storage,
                                            std::chrono::milliseconds limit = std::chrono::seconds(20));

class DaemonTest : public fake::testing::FakeTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The YAML the daemon runs with (edit before startDaemon()).
  std::string daemonYaml() const;
  // daemonYaml() + extra_yaml + the tables (each with `table_extra` lines appended).
  std::string configYaml(const std::string& extra_yaml = "", const std::string& table_extra = "",
                         bool air_quality = true, bool events = true) const;
  absl::StatusOr<std::shared_ptr<const config::Config>> parseYaml(const std::string& yaml) const;
  void startDaemon(const std::string& extra_yaml = "", const std::string& table_extra = "");
  void startDaemonWith(const std::string& yaml);
  // Server::reload with `yaml` parsed as the daemon's config would be (errors included).
  absl::Status reloadDaemon(const std::string& yaml);
  void stopDaemon();
  // Graceful shutdown; returns whether it drained.
  bool shutdownDaemon(std::chrono::seconds limit = std::chrono::seconds(60));
  std::string socketPath() const { return socket_dir_.path() + "/zd.sock"; }
  std::string statusJson();
  // The daemon's /metrics page ("" if it cannot be fetched).
  std::string metricsText();

  fake::testing::TempDir socket_dir_;
  std::unique_ptr<LoopThread> loop_;
  std::unique_ptr<server::Server> server_;
  std::shared_ptr<const config::Config> config_;
  bool shut_down_ = false;  // shutdownDaemon() ran: TearDown must not shut down again
};

}  // namespace zerobusd::testing
