// Who may use the socket and how a misbehaving local client is contained: file mode, per-table
// allow lists checked against SO_PEERCRED for a peer running as another uid, handle limits, a
// frame trickling in, idle connections; each refusal is answered with a clear error and
// counted, and never disturbs the other producers.

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tests/daemon/daemon_fixture.h"

namespace zerobusd::testing {
namespace {

namespace f = zerobusd::frame;
using Json = nlohmann::json;

constexpr uid_t kOtherUid = 65534;  // nobody
constexpr gid_t kOtherGid = 65534;  // nogroup

// Exit codes of the peer child (PeerChild.Run below).
constexpr int kChildConnectFailed = 10;
constexpr int kChildHelloFailed = 11;
constexpr int kChildNotDurable = 12;
constexpr int kChildBadSetup = 13;
constexpr int kChildOpenRefusedBase = 20;  // + the OPEN_RESULT's error code

// Runs this test binary again as PeerChild.Run under another uid: it connects to `socket`,
// opens `table` and writes a few JSON records. Returns the child's exit code, or -1 if it did
// not exit by itself within 30 s (it is killed then).
int runAsOtherUid(const std::string& socket, const std::string& table) {
  // Everything the child needs is built before fork: between fork and exec only
  // async-signal-safe calls are allowed (setenv allocates, and another thread of this process
  // may hold the allocator's lock at the fork: the child would hang on it).
  std::vector<std::string> env_storage = {"ZEROBUSD_PEER_SOCKET=" + socket, "ZEROBUSD_PEER_TABLE=" + table};
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const char* argv[] = {"access_test", "--gtest_filter=PeerChild.Run", nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execve("/proc/self/exe", const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  if (pid < 0) return -1;
  auto status = fake::testing::waitChild(pid, std::chrono::seconds(30));
  if (!status) {
    ::kill(pid, SIGKILL);
    fake::testing::waitChild(pid, std::chrono::seconds(30));
    return -1;
  }
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

// The child side: only runs when runAsOtherUid started it.
TEST(PeerChild, Run) {
  const char* socket = std::getenv("ZEROBUSD_PEER_SOCKET");
  const char* table = std::getenv("ZEROBUSD_PEER_TABLE");
  if (socket == nullptr || table == nullptr) GTEST_SKIP() << "runs only as the child of a peer test";
  if (::setgroups(0, nullptr) != 0 || ::setgid(kOtherGid) != 0 || ::setuid(kOtherUid) != 0) {
    std::_Exit(kChildBadSetup);
  }
  RawClient client(socket);
  if (!client.connected()) std::_Exit(kChildConnectFailed);
  if (!client.hello()) std::_Exit(kChildHelloFailed);
  f::ErrorCode refused{};
  uint32_t handle = client.open(table, f::RecordType::kJson, &refused);
  if (handle == 0) std::_Exit(kChildOpenRefusedBase + static_cast<int>(refused));
  if (!client.sendRecords(handle, 0, eventRecords(0, 5)) || !client.waitDurable(handle, 5)) std::_Exit(kChildNotDurable);
  std::_Exit(0);
}

class AccessTest : public DaemonTest {
 protected:
  std::string metrics() { return metricsText(); }
};

TEST_F(AccessTest, AnotherUidIsHeldBySocketModeThenByTheTablesAllowList) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a peer as another uid";
  // The events table admits the other uid; air_quality admits only root.
  std::string yaml = configYaml();
  auto events_at = yaml.find(std::string("name: ") + kEvents);
  auto air_at = yaml.find(std::string("name: ") + kAirQuality);
  ASSERT_NE(events_at, std::string::npos);
  yaml.insert(yaml.find("record_type: json", events_at), "allow_uids: [" + std::to_string(kOtherUid) + "]\n    ");
  yaml.insert(yaml.find("record_type: proto", air_at), "allow_uids: [0]\n    ");
  startDaemonWith(yaml);
  ASSERT_EQ(::chmod(socket_dir_.path().c_str(), 0755), 0);

  // Default mode 0660, owned by root: the kernel refuses the connection.
  EXPECT_EQ(runAsOtherUid(socketPath(), kEvents), kChildConnectFailed);

  // Opened to everyone (mode 0666, by reload): the allow lists decide per table.
  std::string open_yaml = yaml;
  open_yaml.insert(open_yaml.find("socket:\n") + std::string("socket:\n").size(), "  mode: \"0666\"\n");
  ASSERT_TRUE(reloadDaemon(open_yaml).ok());
  EXPECT_EQ(runAsOtherUid(socketPath(), kEvents), 0);
  EXPECT_EQ(runAsOtherUid(socketPath(), kAirQuality),
            kChildOpenRefusedBase + static_cast<int>(f::ErrorCode::kPermissionDenied));
  EXPECT_EQ(counters(kEvents).landed_records, 5u);
  EXPECT_NE(metrics().find("zerobusd_opens_refused_total{error=\"PERMISSION_DENIED\"} 1"), std::string::npos)
      << metrics();
}

TEST_F(AccessTest, HandlesPerConnectionAreLimited) {
  startDaemon("limits:\n  max_handles_per_connection: 2\n");
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  EXPECT_NE(client.open(kEvents, f::RecordType::kJson), 0u);
  uint32_t second = client.open(kEvents, f::RecordType::kJson);
  EXPECT_NE(second, 0u);
  f::ErrorCode refused{};
  EXPECT_EQ(client.open(kAirQuality, f::RecordType::kProto, &refused), 0u);
  EXPECT_EQ(refused, f::ErrorCode::kLimitExceeded);
  // The connection and its handles still work.
  ASSERT_TRUE(client.sendRecords(second, 0, eventRecords(0, 3)));
  ASSERT_TRUE(client.waitDurable(second, 3));
}

TEST_F(AccessTest, AFrameTricklingInIsDroppedAndOthersGoOn) {
  startDaemon("limits:\n  frame_timeout_ms: 300\n");
  RawClient good(socketPath());
  ASSERT_TRUE(good.hello());
  uint32_t good_handle = good.open(kEvents, f::RecordType::kJson);

  RawClient slow(socketPath());
  ASSERT_TRUE(slow.hello());
  uint32_t handle = slow.open(kEvents, f::RecordType::kJson);
  std::string frame;
  f::RecordsEncoder encoder;
  encoder.begin(frame, handle, 0);
  for (const auto& record : eventRecords(1000, 20)) encoder.add(frame, record);
  encoder.finish(frame);
  // One byte every 50 ms: each byte is progress, but the frame never completes in time.
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (size_t i = 0; i + 1 < frame.size() && !stop; ++i) {
      if (!slow.send(frame.substr(i, 1))) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the slowness under test
    }
  });
  std::string storage;
  auto error = fatalError(slow, &storage, std::chrono::seconds(10));
  stop = true;
  trickle.join();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error_code, f::ErrorCode::kTimeout);
  EXPECT_TRUE(error->retriable);
  EXPECT_NE(std::string(error->message).find("incomplete"), std::string::npos) << error->message;

  ASSERT_TRUE(good.sendRecords(good_handle, 0, eventRecords(0, 10)));
  ASSERT_TRUE(good.waitDurable(good_handle, 10));
  EXPECT_EQ(counters(kEvents).landed_records, 10u);
  EXPECT_NE(metrics().find("zerobusd_protocol_errors_total{reason=\"frame_timeout\"} 1"), std::string::npos);
}

TEST_F(AccessTest, TimeTheDaemonIsNotReadingDoesNotCountAgainstAFrame) {
  // A full table queue stops the daemon reading (back-pressure) for longer than the frame
  // timeout: the producer must be paused, not dropped.
  startDaemon("limits:\n  frame_timeout_ms: 100\n  max_record_bytes: 10000\n", "    max_queue_bytes: 20000\n");
  admin("/admin/faults/acks", {{"mode", "stop"}});
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  for (int frame = 0; frame < 10; ++frame) {
    ASSERT_TRUE(client.sendRecords(handle, static_cast<uint64_t>(frame * 100), airQualityRecords(frame * 100, 100)));
  }
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_records >= 200; }));
  // Paused for five frame timeouts: no ERROR, the connection stays; then acks flow again.
  ASSERT_FALSE(client.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kError; },
                                std::chrono::milliseconds(500)));
  ASSERT_TRUE(client.connected());
  admin("/admin/faults/acks", {{"mode", "normal"}});
  ASSERT_TRUE(client.waitDurable(handle, 1000));
  EXPECT_EQ(counters().landed_records, 1000u);
}

TEST_F(AccessTest, IdleConnectionsAreClosedOnlyWhenNothingIsPending) {
  // The test's own steps (open, then send) must each come within the idle timeout: 1 s leaves
  // room for a loaded sanitizer run (at 300 ms a stalled test thread was dropped before sending).
  startDaemon("limits:\n  idle_timeout_ms: 1000\n");
  admin("/admin/faults/acks", {{"delay_ms", 2500}});
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kEvents, f::RecordType::kJson);
  auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.sendRecords(handle, 0, eventRecords(0, 5)));
  // Silent for longer than the idle timeout while its records are pending: kept, and the acks
  // arrive (a close in the same loop turn as the records settled used to swallow them).
  ASSERT_TRUE(client.waitDurable(handle, 5));
  auto durable = std::chrono::steady_clock::now();
  EXPECT_GE(durable - sent, std::chrono::milliseconds(2400));
  // Nothing pending and silent: closed with TIMEOUT, a full idle period after the records settled
  // (not at once, as when idle time ran from the last frame).
  std::string storage;
  auto error = fatalError(client, &storage, std::chrono::seconds(10));
  EXPECT_GE(std::chrono::steady_clock::now() - durable, std::chrono::milliseconds(900));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error_code, f::ErrorCode::kTimeout);
  EXPECT_NE(std::string(error->message).find("idle"), std::string::npos) << error->message;
  EXPECT_EQ(counters(kEvents).landed_records, 5u);
}

}  // namespace
}  // namespace zerobusd::testing
