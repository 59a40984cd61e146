// zerobusctl status, health, tables and flush, end to end against zerobusd and zerobus-fake.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/zerobusctl/ctl_fixture.h"

namespace zerobusd::ctl::testing {
namespace {

using zerobusd::testing::kAirQuality;
using zerobusd::testing::kEvents;
using zerobusd::testing::RawClient;

size_t lineCount(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A Unix socket that accepts connections (the kernel's backlog does) but never answers: a hung
// daemon, for checking that probes are bounded by --timeout.
class SilentSocket {
 public:
  explicit SilentSocket(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
  }
  ~SilentSocket() { ::close(fd_); }

 private:
  int fd_ = -1;
};

TEST_F(CtlTest, HealthExitsZeroWhenReadyAndOneWhenTheDaemonIsAbsentOrHung) {
  startDaemon();
  ASSERT_TRUE(waitHealthy());
  CtlRun run = ctl({"health"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(lineCount(run.out), 1u) << run.out;
  EXPECT_EQ(run.out.rfind("ready: zerobusd ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("2 table(s)"), std::string::npos) << run.out;

  const std::string absent = work_.path() + "/absent.sock";
  run = runCtl({"--socket", absent, "--timeout", "2s", "health"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(lineCount(run.out), 1u) << run.out;
  EXPECT_EQ(run.out.rfind("unhealthy: zerobusd is not reachable", 0), 0u) << run.out;
  EXPECT_LT(run.took, std::chrono::seconds(2)) << "no socket must fail at once";

  const std::string hung = work_.path() + "/hung.sock";
  SilentSocket silent(hung);
  run = runCtl({"--socket", hung, "--timeout", "1s", "health"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(lineCount(run.out), 1u) << run.out;
  EXPECT_GE(run.took, std::chrono::milliseconds(900));
  EXPECT_LT(run.took, std::chrono::seconds(5)) << "bounded by --timeout";
}

TEST_F(CtlTest, HealthIsNotReadyWhileATableHasNoStream) {
  fake_->faults().setCreateFault(
      {-1, fake::CreateFaultMode::Status, grpc::StatusCode::UNAVAILABLE, "down", kEvents});
  startDaemon();
  ASSERT_TRUE(fake::testing::waitFor(
      [&] {
        const auto status = nlohmann::json::parse(statusJson());
        return status["tables"][kAirQuality]["open_streams"].get<int>() > 0;
      },
      std::chrono::seconds(20)));
  const CtlRun run = ctl({"health"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(run.out, fmt::format("not ready: zerobusd {} has no open upstream stream for {}\n",
                                 server::kVersion, kEvents));
}

TEST_F(CtlTest, HealthNeverExitsTwoEvenOnUsageErrors) {
  EXPECT_EQ(ctl({"health", "--bogus"}).exit_code, 1);
  EXPECT_EQ(runCtl({"--socket", socketPath(), "--timeout", "never", "health"}).exit_code, 1);
  EXPECT_EQ(ctl({"status", "--bogus"}).exit_code, 2);
}

TEST_F(CtlTest, StatusPrintsTheDocumentIndentedOrRaw) {
  startDaemon();
  CtlRun run = ctl({"status"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto pretty = nlohmann::json::parse(run.out);
  EXPECT_TRUE(pretty.at("tables").contains(kEvents));
  EXPECT_EQ(pretty.at("tables").at(kAirQuality).at("record_type"), "proto");
  EXPECT_GT(lineCount(run.out), 5u);

  run = ctl({"status", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(lineCount(run.out), 1u);
  EXPECT_EQ(nlohmann::json::parse(run.out).at("tables").size(), 2u);
}

TEST_F(CtlTest, TablesListsRecordTypesStreamsAndQueues) {
  startDaemon();
  ASSERT_TRUE(waitHealthy());
  const CtlRun run = ctl({"tables"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("TABLE  ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("\nmain.default.air_quality  proto  1/"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\nmain.default.events       json   1/"), std::string::npos) << run.out;
  EXPECT_EQ(lineCount(run.out), 3u);
}

TEST_F(CtlTest, CommandsWithoutADaemonExitThree) {
  const std::string absent = work_.path() + "/absent.sock";
  for (const char* command : {"status", "tables", "flush"}) {
    const CtlRun run = runCtl({"--socket", absent, command});
    EXPECT_EQ(run.exit_code, 3) << command;
    EXPECT_NE(run.err.find("zerobusd is not reachable"), std::string::npos) << run.err;
  }
}

TEST_F(CtlTest, FlushSendsAnotherProducersLingeringBatchAtOnce) {
  // Batches would wait a minute for company: only a FLUSH sends them sooner.
  startDaemon("", "    batch: {linger_ms: 60000, max_records: 1000000}");
  RawClient producer(socketPath());
  ASSERT_TRUE(producer.hello());
  const uint32_t handle = producer.open(kEvents, frame::RecordType::kJson);
  ASSERT_NE(handle, 0u);
  ASSERT_TRUE(
      producer.sendRecords(handle, 0, {R"({"id":1,"kind":"a"})", R"({"id":2,"kind":"b"})"}));
  // Accepted: the records are in the daemon's batch, which lingers.
  ASSERT_TRUE(producer.readUntil([&](const zerobusd::testing::RawFrame& f) {
    frame::Ack ack;
    frame::ErrorCode error{};
    return f.type == frame::FrameType::kAck && frame::parseAck(f.payload, &ack, &error) &&
           ack.level == frame::AckLevel::kAccepted && ack.next_seq == 2;
  }));
  EXPECT_TRUE(landedRows(kEvents).empty());

  const CtlRun run = ctl({"flush", "--table", kEvents});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind(fmt::format("flushed {} (", kEvents), 0), 0u) << run.out;
  // Much sooner than the linger: the producer's records become durable and land.
  EXPECT_TRUE(producer.waitDurable(handle, 2, nullptr, std::chrono::seconds(20)));
  EXPECT_EQ(rowsOnceAtLeast(kEvents, 2).size(), 2u);
}

TEST_F(CtlTest, FlushWithoutTablesFlushesEveryTableAndRefusesUnknownOnes) {
  startDaemon();
  CtlRun run = ctl({"flush"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("flushed main.default.air_quality"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("flushed main.default.events"), std::string::npos) << run.out;

  run = ctl({"flush", "-t", kEvents, "-t", "main.default.nope"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("does not serve table 'main.default.nope'"), std::string::npos);
  EXPECT_EQ(run.out, "");  // checked before anything is flushed
}

}  // namespace
}  // namespace zerobusd::ctl::testing
