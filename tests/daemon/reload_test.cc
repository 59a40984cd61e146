// Configuration reload (SIGHUP): tables added, removed and changed, limits and socket access
// changed, while producers stay connected and nothing they sent is lost; a config that cannot
// be applied is refused whole and the running one stays.

#include <sys/stat.h>

#include <sstream>

#include "tests/daemon/daemon_fixture.h"

namespace zerobusd::testing {
namespace {

namespace f = zerobusd::frame;
using Json = nlohmann::json;

class ReloadTest : public DaemonTest {
 protected:
  // The value of the first /metrics line starting with `series` ("" if none).
  std::string metric(const std::string& series) {
    std::istringstream lines(metricsText());
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(series + " ")) return line.substr(series.size() + 1);
    }
    return "";
  }
};

TEST_F(ReloadTest, ChangedTableKeepsItsProducersAndLosesNothing) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kEvents, f::RecordType::kJson);
  ASSERT_NE(handle, 0u);
  ASSERT_TRUE(client.sendRecords(handle, 0, eventRecords(0, 300)));
  // Reload while those may still be in flight: another batch size for every table.
  ASSERT_TRUE(reloadDaemon(configYaml("", "    batch: {max_records: 7}\n")).ok());
  ASSERT_TRUE(client.sendRecords(handle, 300, eventRecords(300, 300)));
  std::vector<f::Reject> rejects;
  ASSERT_TRUE(client.waitDurable(handle, 600, &rejects));
  EXPECT_TRUE(rejects.empty());
  EXPECT_EQ(counters(kEvents).landed_records, 600u);
  EXPECT_EQ(counters(kEvents).duplicates, 0u);
  EXPECT_EQ(metric("zerobusd_config_reloads_total{result=\"applied\"}"), "1");
}

TEST_F(ReloadTest, RemovedTableFinishesWhatItAcceptedAndRefusesTheRest) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t air = client.open(kAirQuality, f::RecordType::kProto);
  uint32_t ev = client.open(kEvents, f::RecordType::kJson);
  ASSERT_TRUE(client.sendRecords(air, 0, airQualityRecords(0, 200)));
  // Accepted: the daemon owns them now; the reload must not lose them.
  ASSERT_TRUE(client.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kAck; }));
  ASSERT_TRUE(reloadDaemon(configYaml("", "", /*air_quality=*/false, /*events=*/true)).ok());
  ASSERT_TRUE(client.sendRecords(air, 200, airQualityRecords(200, 5)));
  std::vector<f::Reject> rejects;
  ASSERT_TRUE(client.waitDurable(air, 205, &rejects));
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].first_seq, 200u);
  EXPECT_EQ(rejects[0].count, 5u);
  EXPECT_EQ(rejects[0].error_code, f::ErrorCode::kUnknownTable);
  EXPECT_NE(std::string(rejects[0].message).find("removed"), std::string::npos) << rejects[0].message;
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().landed_records == 200; }));
  // The other table on the same connection is untouched, and new OPENs of the removed one fail.
  ASSERT_TRUE(client.sendRecords(ev, 0, eventRecords(0, 10)));
  ASSERT_TRUE(client.waitDurable(ev, 10));
  f::ErrorCode refused{};
  EXPECT_EQ(client.open(kAirQuality, f::RecordType::kProto, &refused), 0u);
  EXPECT_EQ(refused, f::ErrorCode::kUnknownTable);
  EXPECT_EQ(Json::parse(statusJson())["tables"].size(), 1u);
}

TEST_F(ReloadTest, AddedTableCanBeOpenedOnAnExistingConnection) {
  startDaemonWith(configYaml("", "", /*air_quality=*/false, /*events=*/true));
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  f::ErrorCode refused{};
  EXPECT_EQ(client.open(kAirQuality, f::RecordType::kProto, &refused), 0u);
  EXPECT_EQ(refused, f::ErrorCode::kUnknownTable);
  ASSERT_TRUE(reloadDaemon(configYaml()).ok());
  uint32_t air = client.open(kAirQuality, f::RecordType::kProto, &refused);
  ASSERT_NE(air, 0u) << static_cast<int>(refused);
  ASSERT_TRUE(client.sendRecords(air, 0, airQualityRecords(0, 50)));
  ASSERT_TRUE(client.waitDurable(air, 50));
  EXPECT_EQ(counters().landed_records, 50u);
}

TEST_F(ReloadTest, InvalidConfigIsRefusedAndTheRunningOneStays) {
  startDaemon();
  absl::Status bad = reloadDaemon(configYaml() + "limits: {max_connections: -3}\n");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("max_connections"), std::string::npos) << bad;
  // Settings that need a restart refuse the whole reload.
  std::string yaml = configYaml();
  auto at = yaml.find("listen: 127.0.0.1:0");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, std::string("listen: 127.0.0.1:0").size(), "listen: 127.0.0.1:1");
  absl::Status restart = reloadDaemon(yaml);
  EXPECT_FALSE(restart.ok());
  EXPECT_NE(restart.message().find("metrics.listen"), std::string::npos) << restart;
  EXPECT_EQ(metric("zerobusd_config_reloads_total{result=\"refused\"}"), "2");
  EXPECT_EQ(metric("zerobusd_config_last_reload_successful"), "0");
  // Still serving both tables with the old settings.
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  ASSERT_NE(handle, 0u);
  ASSERT_TRUE(client.sendRecords(handle, 0, airQualityRecords(0, 10)));
  ASSERT_TRUE(client.waitDurable(handle, 10));
}

TEST_F(ReloadTest, LimitsAndSocketAccessApplyWithoutDroppingAnyone) {
  startDaemon();
  RawClient first(socketPath());
  ASSERT_TRUE(first.hello());
  uint32_t handle = first.open(kEvents, f::RecordType::kJson);
  ASSERT_TRUE(reloadDaemon(configYaml("limits:\n  max_connections: 1\n")).ok());
  // The second producer is over the new limit; the first goes on.
  RawClient second(socketPath());
  std::string storage;
  auto refused = second.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kError; });
  ASSERT_TRUE(refused.has_value());
  f::ErrorFrame error;
  f::ErrorCode parse_error{};
  ASSERT_TRUE(f::parseError(refused->payload, &error, &parse_error));
  EXPECT_EQ(error.error_code, f::ErrorCode::kLimitExceeded);
  ASSERT_TRUE(first.sendRecords(handle, 0, eventRecords(0, 20)));
  ASSERT_TRUE(first.waitDurable(handle, 20));

  std::string yaml = configYaml();
  auto at = yaml.find("socket:\n");
  ASSERT_NE(at, std::string::npos);
  yaml.insert(at + std::string("socket:\n").size(), "  mode: \"0600\"\n");
  ASSERT_TRUE(reloadDaemon(yaml).ok());
  struct stat st {};
  ASSERT_EQ(::stat(socketPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ReloadTest, ShutdownAfterAReloadWaitsForTheRetiredTable) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello(f::kAckBitAccepted));
  uint32_t air = client.open(kAirQuality, f::RecordType::kProto);
  admin("/admin/faults/acks", {{"delay_ms", 300}});
  ASSERT_TRUE(client.sendRecords(air, 0, airQualityRecords(0, 100)));
  ASSERT_TRUE(client.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kAck; }));
  ASSERT_TRUE(reloadDaemon(configYaml("", "", /*air_quality=*/false, /*events=*/true)).ok());
  EXPECT_TRUE(shutdownDaemon());
  EXPECT_EQ(counters().landed_records, 100u);
}

}  // namespace
}  // namespace zerobusd::testing
