#include "tests/systemd/systemd_fixture.h"

#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace zerobusd::testing {

void SystemdDaemonTest::SetUp() {
  FakeTest::SetUp();
  std::filesystem::create_directory(dir_.path() + "/credentials");
  std::ofstream(dir_.path() + "/credentials/client-secret") << "test-secret\n";
  std::ofstream(dir_.path() + "/air_quality.proto")
      << "syntax = \"proto2\";\nmessage AirQuality { optional string device_name = 1; "
         "optional int32 temp = 2; optional int64 humidity = 3; }\n";
  notify_ = std::make_unique<NotifyReceiver>(dir_.path() + "/notify.sock");
  ASSERT_TRUE(notify_->ok()) << "cannot bind " << notify_->path();
}

void SystemdDaemonTest::TearDown() {
  if (daemon_ && daemon_->started() && !daemon_->waitExit(std::chrono::milliseconds(0))) {
    std::string log = daemon_->log();
    daemon_.reset();  // SIGKILL: a failed test must not wait for a drain
    if (HasFailure()) std::fprintf(stderr, "zerobusd log:\n%s\n", log.c_str());
  } else if (daemon_ && HasFailure()) {
    std::fprintf(stderr, "zerobusd log:\n%s\n", daemon_->log().c_str());
  }
  daemon_.reset();
  notify_.reset();
  FakeTest::TearDown();
}

void SystemdDaemonTest::writeConfig(bool with_air_quality, const std::string& extra_yaml) {
  std::string yaml = fmt::format(R"(
service:
  endpoint: http://127.0.0.1:{grpc}
  workspace_url: http://127.0.0.1:{http}
  plaintext: true
auth:
  mode: oauth
  client_id: test-client
  client_secret_file: client-secret
socket:
  path: {socket}
metrics:
  listen: 127.0.0.1:0
log:
  level: info
shutdown:
  drain_timeout_ms: 10000
defaults:
  batch: {{linger_ms: 2}}
{extra}
tables:
  - name: {events}
    record_type: json
)",
                                 fmt::arg("grpc", fake_->grpcPort()), fmt::arg("http", fake_->httpPort()),
                                 fmt::arg("socket", socketPath()), fmt::arg("events", fake::testing::kEvents),
                                 fmt::arg("extra", extra_yaml));
  if (with_air_quality) {
    yaml += fmt::format("  - name: {}\n    record_type: proto\n    proto_file: air_quality.proto\n"
                        "    message: AirQuality\n",
                        fake::testing::kAirQuality);
  }
  // Write and rename: a reload must never read a half-written file.
  std::string temp = configPath() + ".new";
  std::ofstream(temp) << yaml;
  ::chmod(temp.c_str(), 0600);
  std::filesystem::rename(temp, configPath());
}

void SystemdDaemonTest::spawn(std::vector<std::string> env, int listen_fd) {
  SpawnOptions options;
  options.binary = ZEROBUSD_BINARY;
  options.args = {"--config", configPath()};
  options.env = {"NOTIFY_SOCKET=" + notify_->path(), "CREDENTIALS_DIRECTORY=" + dir_.path() + "/credentials"};
  options.env.insert(options.env.end(), env.begin(), env.end());
  options.log_path = dir_.path() + "/zerobusd.log";
  options.listen_fd = listen_fd;
  daemon_ = std::make_unique<DaemonProcess>(options);
  ASSERT_TRUE(daemon_->started());
}

std::optional<int> SystemdDaemonTest::stop() {
  daemon_->signal(SIGTERM);
  return daemon_->waitExit(std::chrono::seconds(30));
}

::testing::AssertionResult SystemdDaemonTest::ingestEvent(int id) {
  ClientOptions options;
  options.socket_path = socketPath();
  options.client_name = "systemd-test";
  auto client = Client::connect(options);
  if (!client.ok()) return ::testing::AssertionFailure() << "connect: " << client.error().toString();
  auto table = client->openTable(fake::testing::kEvents, RecordType::kJson);
  if (!table.ok()) return ::testing::AssertionFailure() << "open: " << table.error().toString();
  auto ack = table->ingestJson(fmt::format(R"({{"id": {}, "kind": "systemd"}})", id));
  if (auto status = ack.waitDurable(std::chrono::seconds(30)); !status.ok()) {
    return ::testing::AssertionFailure() << "durable: " << status.error().toString();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace zerobusd::testing
