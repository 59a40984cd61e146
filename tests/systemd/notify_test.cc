// zerobusd under Type=notify: readiness only once producers can connect, status lines, the
// watchdog, reload and stop, as systemd sees them through NOTIFY_SOCKET.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/systemd/systemd_fixture.h"

namespace zerobusd::testing {
namespace {

using std::chrono::milliseconds;

bool canConnect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

using NotifyTest = SystemdDaemonTest;

TEST_F(NotifyTest, ReadyOnlyOnceTheSocketAcceptsConnections) {
  writeConfig();
  spawn();
  auto ready = notify_->waitForLine("READY=1");
  ASSERT_TRUE(ready) << daemon_->log();
  // The very moment READY=1 is out, a producer must be able to connect.
  EXPECT_TRUE(canConnect(socketPath()));
  auto status = ready->field("STATUS");
  ASSERT_TRUE(status);
  EXPECT_NE(status->find("1 table"), std::string::npos) << *status;
  EXPECT_NE(status->find("0 connections"), std::string::npos) << *status;
  // Nothing claimed readiness (or anything else) before it.
  EXPECT_EQ(notify_->history().front().text, ready->text);
  EXPECT_TRUE(ingestEvent(1));
}

TEST_F(NotifyTest, StatusLineFollowsConnectionsAndThroughput) {
  writeConfig();
  spawn();
  ASSERT_TRUE(notify_->waitForLine("READY=1"));
  ClientOptions options;
  options.socket_path = socketPath();
  auto client = Client::connect(options);
  ASSERT_TRUE(client.ok()) << client.error().toString();
  auto table = client->openTable(fake::testing::kEvents, RecordType::kJson);
  ASSERT_TRUE(table.ok()) << table.error().toString();
  ASSERT_TRUE(table->ingestJson(R"({"id": 7, "kind": "status"})").waitDurable(std::chrono::seconds(30)).ok());
  // Refreshed from the loop every few seconds (only when it changed).
  auto update = notify_->waitFor(
      [](const Notification& n) {
        auto status = n.field("STATUS");
        return !n.has("READY=1") && status && status->find("1 connection,") != std::string::npos;
      },
      std::chrono::seconds(15));
  ASSERT_TRUE(update) << daemon_->log();
  EXPECT_NE(update->field("STATUS")->find("records/s durable"), std::string::npos) << update->text;
  // At most one status line per interval: a refresh never floods the manager.
  std::vector<std::chrono::steady_clock::time_point> statuses;
  for (const auto& n : notify_->history()) {
    if (n.field("STATUS") && !n.has("READY=1")) statuses.push_back(n.at);
  }
  for (size_t i = 1; i < statuses.size(); ++i) EXPECT_GE(statuses[i] - statuses[i - 1], milliseconds(2000));
}

TEST_F(NotifyTest, WatchdogPingsAtAboutHalfTheInterval) {
  writeConfig();
  spawn({"WATCHDOG_USEC=1000000"});
  ASSERT_TRUE(notify_->waitForLine("READY=1")) << daemon_->log();
  std::vector<std::chrono::steady_clock::time_point> pings;
  for (int i = 0; i < 7; ++i) {
    auto ping = notify_->waitForLine("WATCHDOG=1", std::chrono::seconds(5));
    ASSERT_TRUE(ping) << "no WATCHDOG=1 within 5 s, after " << i;
    pings.push_back(ping->at);
  }
  std::vector<milliseconds> gaps;
  for (size_t i = 1; i < pings.size(); ++i) {
    gaps.push_back(std::chrono::duration_cast<milliseconds>(pings[i] - pings[i - 1]));
  }
  std::sort(gaps.begin(), gaps.end());
  milliseconds median = gaps[gaps.size() / 2];
  // 500 ms expected; loose bounds for a loaded machine and sanitizer builds.
  EXPECT_GE(median, milliseconds(300)) << median.count();
  EXPECT_LE(median, milliseconds(800)) << median.count();
  EXPECT_EQ(stop(), 0);
}

TEST_F(NotifyTest, SigtermSendsStoppingThenExitsZero) {
  writeConfig();
  spawn();
  ASSERT_TRUE(notify_->waitForLine("READY=1"));
  ASSERT_TRUE(ingestEvent(1));
  ASSERT_TRUE(daemon_->signal(SIGTERM));
  ASSERT_TRUE(notify_->waitForLine("STOPPING=1")) << daemon_->log();
  EXPECT_EQ(daemon_->waitExit(std::chrono::seconds(30)), 0) << daemon_->log();
  // It bound the socket itself, so it removes it.
  EXPECT_FALSE(std::filesystem::exists(socketPath()));
}

TEST_F(NotifyTest, ReloadWithAnInvalidFileIsRefusedAndTheDaemonKeepsServing) {
  writeConfig();
  spawn();
  ASSERT_TRUE(notify_->waitForLine("READY=1"));
  {
    std::ofstream(configPath()) << "service: [this is not a mapping\n";
  }
  ASSERT_TRUE(daemon_->signal(SIGHUP));
  auto reloading = notify_->waitForLine("RELOADING=1");
  ASSERT_TRUE(reloading) << daemon_->log();
  // systemd >= 253 (Type=notify-reload) requires the monotonic time of the reload request.
  auto monotonic = reloading->field("MONOTONIC_USEC");
  ASSERT_TRUE(monotonic);
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  EXPECT_LE(std::stoull(*monotonic), static_cast<unsigned long long>(now.tv_sec) * 1000000ULL + 1000000ULL);
  auto ready = notify_->waitForLine("READY=1");
  ASSERT_TRUE(ready) << daemon_->log();
  EXPECT_EQ(ready->field("STATUS")->rfind("reload refused: ", 0), 0U) << ready->text;
  std::string log = daemon_->log();
  EXPECT_NE(log.find("reload refused: "), std::string::npos) << log;
  EXPECT_NE(log.find("; keeping the current configuration"), std::string::npos) << log;
  EXPECT_NE(log.find(" error "), std::string::npos) << log;  // at level error
  EXPECT_TRUE(ingestEvent(2));
  EXPECT_EQ(stop(), 0);
}

// The success path of a reload (Server::reload applied in place): a table added to the file
// takes producers after SIGHUP, without a restart.
TEST_F(NotifyTest, ReloadWithAValidFileAddsATableWithoutARestart) {
  writeConfig();
  spawn();
  ASSERT_TRUE(notify_->waitForLine("READY=1"));
  ClientOptions options;
  options.socket_path = socketPath();
  auto client = Client::connect(options);
  ASSERT_TRUE(client.ok()) << client.error().toString();
  EXPECT_FALSE(client->openTable(fake::testing::kAirQuality, RecordType::kProto).ok());

  writeConfig(/*with_air_quality=*/true);
  ASSERT_TRUE(daemon_->signal(SIGHUP));
  ASSERT_TRUE(notify_->waitForLine("RELOADING=1")) << daemon_->log();
  auto ready = notify_->waitForLine("READY=1");
  ASSERT_TRUE(ready) << daemon_->log();
  EXPECT_EQ(ready->field("STATUS"), "configuration reloaded") << daemon_->log();

  auto table = client->openTable(fake::testing::kAirQuality, RecordType::kProto);
  ASSERT_TRUE(table.ok()) << table.error().toString() << "\n" << daemon_->log();
  EXPECT_TRUE(table->ingest(fake::testing::airQualityRecord(1)).waitDurable(std::chrono::seconds(30)).ok());
  // The producer connected before the reload kept its connection and its table.
  EXPECT_TRUE(client->isConnected());
  EXPECT_EQ(stop(), 0);
}

// A daemon that cannot run says why in its status (what `systemctl status` shows) and never
// claims readiness: a bad file exits 2, a socket path taken by a regular file exits 1.
TEST_F(NotifyTest, FailuresAtStartAreReportedAsStatusWithoutReady) {
  {
    std::ofstream(configPath()) << "tables: []\n";
  }
  spawn();
  EXPECT_EQ(daemon_->waitExit(std::chrono::seconds(20)), 2) << daemon_->log();
  auto bad = notify_->waitFor([](const Notification& n) { return n.field("STATUS").has_value(); });
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->field("STATUS")->rfind("bad configuration: ", 0), 0U) << bad->text;
  EXPECT_EQ(bad->field("STATUS")->find('\n'), std::string::npos);

  writeConfig();
  std::ofstream(socketPath()) << "not a socket";
  spawn();
  EXPECT_EQ(daemon_->waitExit(std::chrono::seconds(20)), 1) << daemon_->log();
  auto failed = notify_->waitFor([](const Notification& n) {
    auto status = n.field("STATUS");
    return status && status->rfind("cannot start: ", 0) == 0;
  });
  ASSERT_TRUE(failed) << daemon_->log();
  EXPECT_NE(failed->text.find("is not a socket"), std::string::npos) << failed->text;
  for (const auto& n : notify_->history()) EXPECT_FALSE(n.has("READY=1")) << n.text;
}

// Bad input from the environment never stops the daemon: a notify socket nobody listens on,
// a watchdog interval that is not a number.
TEST_F(NotifyTest, UnreachableNotifySocketAndBadWatchdogAreIgnored) {
  writeConfig();
  SpawnOptions options;
  options.binary = ZEROBUSD_BINARY;
  options.args = {"--config", configPath()};
  options.env = {"NOTIFY_SOCKET=" + dir_.path() + "/nobody-listens.sock", "WATCHDOG_USEC=soon",
                 "CREDENTIALS_DIRECTORY=" + dir_.path() + "/credentials"};
  options.log_path = dir_.path() + "/zerobusd.log";
  daemon_ = std::make_unique<DaemonProcess>(options);
  ASSERT_TRUE(fake::testing::waitFor([&] { return canConnect(socketPath()); }, std::chrono::seconds(20)))
      << daemon_->log();
  EXPECT_TRUE(ingestEvent(3));
  EXPECT_EQ(stop(), 0) << daemon_->log();
  std::string log = daemon_->log();
  EXPECT_NE(log.find("ignoring the watchdog settings"), std::string::npos) << log;
  EXPECT_NE(log.find("cannot notify the service manager"), std::string::npos) << log;
}

}  // namespace
}  // namespace zerobusd::testing
