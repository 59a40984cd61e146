// zerobusctl send, end to end: the real binary against zerobusd and zerobus-fake.

#include <future>
#include <set>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>

#include "tests/zerobusctl/ctl_fixture.h"

namespace zerobusd::ctl::testing {
namespace {

using zerobusd::testing::airQualityRecord;
using zerobusd::testing::kAirQuality;
using zerobusd::testing::kEvents;

std::string eventLine(int id) { return fmt::format(R"({{"id":{},"kind":"k{}"}})", id, id); }

std::string varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}

std::string delimited(const std::string& record) { return varint(record.size()) + record; }

std::set<int64_t> ids(const std::vector<nlohmann::json>& rows) {
  std::set<int64_t> out;
  for (const auto& row : rows) out.insert(row.at("id").get<int64_t>());
  return out;
}

class CtlSendTest : public CtlTest {
 protected:
  void SetUp() override {
    CtlTest::SetUp();
    startDaemon();
  }
};

TEST_F(CtlSendTest, SendsNdjsonFromAFileAndEveryRowLands) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += eventLine(i) + (i == 100 ? "\n\n" : "\n");
  const CtlRun run = ctl({"send", "--table", kEvents, "--file", inputFile("in.ndjson", text)});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("main.default.events: 200 record(s) read, 200 durable, 0 failed, "
                         "1 blank line(s) skipped"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(run.err, "");  // stderr is not a terminal: no progress lines
  const auto rows = rowsOnceAtLeast(kEvents, 200);
  EXPECT_EQ(rows.size(), 200u);
  EXPECT_EQ(ids(rows).size(), 200u);
  EXPECT_EQ(rows.front().at("kind"), "k0");
}

TEST_F(CtlSendTest, ReadsStdinWhenNoFileIsGiven) {
  CtlInput input;
  input.stdin_file = inputFile("in.ndjson", eventLine(1) + "\n" + eventLine(2) + "\r\n");
  const CtlRun run = ctl({"send", "-t", kEvents, "--batch", "1"}, input);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ids(rowsOnceAtLeast(kEvents, 2)), (std::set<int64_t>{1, 2}));
}

TEST_F(CtlSendTest, ReportsBadLinesByNumberAndStillLandsTheGoodOnes) {
  const std::string text = eventLine(1) + "\n" +                 // 1 good
                           "this is not json\n" +                // 2 not JSON
                           eventLine(3) + "\n" +                 // 3 good
                           "[1,2,3]\n" +                         // 4 not an object
                           "{\"id\":5,\"kind\":\"bad \xff\"}\n"  // 5 invalid UTF-8
                           "\n" +                                // 6 blank
                           eventLine(7) +
                           "\n" +           // 7 good
                           "{\"id\":8,\n";  // 8 truncated JSON
  const CtlRun run = ctl({"send", "-t", kEvents, "-f", inputFile("in.ndjson", text)});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  for (int bad : {2, 4, 5, 8}) {
    EXPECT_TRUE(reportsNumber(run.err, "line", bad)) << bad << "\n" << run.err;
  }
  for (int good : {1, 3, 6, 7}) {
    EXPECT_FALSE(reportsNumber(run.err, "line", good)) << good << "\n" << run.err;
  }
  EXPECT_NE(run.err.find("INVALID_RECORD"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("7 record(s) read, 3 durable, 4 failed"), std::string::npos) << run.out;
  EXPECT_EQ(ids(rowsOnceAtLeast(kEvents, 3)), (std::set<int64_t>{1, 3, 7}));
}

TEST_F(CtlSendTest, AckAcceptedFinishesAtAcceptedAndTheRowsStillLand) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += eventLine(i) + "\n";
  const CtlRun run =
      ctl({"send", "-t", kEvents, "--ack", "accepted", "-f", inputFile("in.ndjson", text)});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("50 record(s) read, 50 accepted, 0 failed"), std::string::npos) << run.out;
  EXPECT_EQ(rowsOnceAtLeast(kEvents, 50).size(), 50u);
}

TEST_F(CtlSendTest, SendsLengthDelimitedProtoRecords) {
  std::string bytes;
  for (int i = 0; i < 30; ++i)
    bytes += delimited(airQualityRecord(i, static_cast<size_t>(40 + i * 3)));
  const CtlRun run = ctl({"send", "-t", kAirQuality, "-f", inputFile("in.bin", bytes)});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("30 record(s) read, 30 durable, 0 failed"), std::string::npos) << run.out;
  const auto rows = rowsOnceAtLeast(kAirQuality, 30);
  ASSERT_EQ(rows.size(), 30u);
  std::set<std::string> names;
  for (const auto& row : rows) names.insert(row.at("device_name").get<std::string>().substr(0, 9));
  EXPECT_TRUE(names.contains("sensor-29")) << rows.front();
}

TEST_F(CtlSendTest, ReportsBadDelimitedRecordsByRecordNumber) {
  const std::string bytes = delimited(airQualityRecord(1)) +
                            delimited("\x0a\xff") +  // 2: a string field running past the end
                            delimited(airQualityRecord(3)) +
                            delimited("\x38\x01");  // 4: field 7 is not a column
  const CtlRun run = ctl(
      {"send", "-t", kAirQuality, "--format", "proto-delimited", "-f", inputFile("in.bin", bytes)});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(reportsNumber(run.err, "record", 2)) << run.err;
  EXPECT_TRUE(reportsNumber(run.err, "record", 4)) << run.err;
  EXPECT_FALSE(reportsNumber(run.err, "record", 1)) << run.err;
  EXPECT_FALSE(reportsNumber(run.err, "record", 3)) << run.err;
  EXPECT_EQ(rowsOnceAtLeast(kAirQuality, 2).size(), 2u);
}

TEST_F(CtlSendTest, TruncatedDelimitedInputIsAnInputErrorAfterSendingWhatCameBefore) {
  const std::string bytes =
      delimited(airQualityRecord(1)) + delimited(airQualityRecord(2)) + varint(50) + "short";
  const CtlRun run = ctl({"send", "-t", kAirQuality, "-f", inputFile("in.bin", bytes)});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("input error: record 3: the input ends inside the record"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("2 record(s) read, 2 durable"), std::string::npos) << run.out;
  EXPECT_EQ(rowsOnceAtLeast(kAirQuality, 2).size(), 2u);
}

TEST_F(CtlSendTest, ConvertsJsonLinesWithTheTablesProtoFile) {
  const std::string text = R"({"device_name":"a","temp":21,"humidity":"60"})"
                           "\n"  // int64 as a string is fine
                           R"({"device_name":"b","temp":"warm"})"
                           "\n"  // 2: wrong type
                           R"({"device_name":"c","pressure":3})"
                           "\n"          // 3: not a column
                           "not json\n"  // 4
                           R"({"device_name":"e","temp":-4})"
                           "\n";
  const CtlRun run =
      ctl({"send", "-t", kAirQuality, "--proto", socket_dir_.path() + "/air_quality.proto",
           "--message", "AirQuality", "-f", inputFile("in.jsonl", text)});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  for (int bad : {2, 3, 4}) EXPECT_TRUE(reportsNumber(run.err, "line", bad)) << run.err;
  EXPECT_NE(run.err.find("not a valid AirQuality"), std::string::npos) << run.err;
  // One line per failure, even where protobuf's message quotes the input on further lines.
  std::istringstream lines(run.err);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.rfind("zerobusctl: line ", 0), 0u) << line;
  }
  const auto rows = rowsOnceAtLeast(kAirQuality, 2);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (nlohmann::json{{"device_name", "a"}, {"temp", 21}, {"humidity", 60}}));
  EXPECT_EQ(rows[1].at("temp"), -4);
}

TEST_F(CtlSendTest, ConvertsJsonLinesWithADescriptorSet) {
  google::protobuf::FileDescriptorSet set;
  auto* file = set.add_file();
  file->set_name("aq.proto");
  file->set_package("sensors");
  file->set_syntax("proto2");
  *file->add_message_type() = fake::testing::airQualityDescriptor();
  const std::string path = inputFile("aq.desc", set.SerializeAsString());
  const CtlRun run = ctl({"send", "-t", kAirQuality, "--descriptor-set", path, "--message",
                          "sensors.AirQuality", "-f",
                          inputFile("in.jsonl", R"({"device_name":"z","temp":1})"
                                                "\n")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(rowsOnceAtLeast(kAirQuality, 1).at(0).at("device_name"), "z");
}

TEST_F(CtlSendTest, OversizedLinesAreReportedAndTheRestLands) {
  stopDaemon();
  startDaemon("limits: {max_frame_bytes: 4096, max_record_bytes: 1000}\n");
  const std::string padded_2k = fmt::format(R"({{"id":2,"kind":"{}"}})", std::string(2000, 'x'));
  const std::string huge = fmt::format(R"({{"id":3,"kind":"{}"}})", std::string(3'000'000, 'y'));
  const std::string text =
      eventLine(1) + "\n" + padded_2k + "\n" + huge + "\n" + eventLine(4) + "\n";
  const CtlRun run = ctl({"send", "-t", kEvents, "-f", inputFile("in.ndjson", text)});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  // Line 2 fits a frame but not the daemon's record limit: the daemon refuses it. Line 3 does
  // not even fit a frame: zerobusctl skips it while reading, without holding it in memory.
  EXPECT_NE(run.err.find("line 2: RECORD_TOO_LARGE"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("line 3: RECORD_TOO_LARGE: 3000018 bytes, over the limit of 4076 bytes"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(ids(rowsOnceAtLeast(kEvents, 2)), (std::set<int64_t>{1, 4}));
}

TEST_F(CtlSendTest, GivesUpWhenNoOutcomeArrivesWithinTheTimeout) {
  fake::AckPolicy held;
  held.stopped = true;  // the service never acknowledges: the records never become durable
  fake_->faults().setAckPolicy(held);
  std::string text;
  for (int i = 1; i <= 5; ++i) text += eventLine(i) + "\n";
  const CtlRun run = runCtl({"--socket", socketPath(), "--timeout", "1s", "send", "-t", kEvents,
                             "-f", inputFile("in.ndjson", text)});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("gave up waiting: no outcome arrived for 1 s while 5 record(s) were "
                         "pending"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("lines 1-5: CONNECTION_LOST"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("5 record(s) read, 0 durable, 5 failed"), std::string::npos) << run.out;
  EXPECT_LT(run.took, std::chrono::seconds(10));
  // "Unknown" is the honest answer: once the service acknowledges again, they do land.
  admin("/admin/faults/acks", {{"mode", "normal"}});
  EXPECT_EQ(ids(rowsOnceAtLeast(kEvents, 5)), (std::set<int64_t>{1, 2, 3, 4, 5}));
}

TEST_F(CtlSendTest, ADaemonShuttingDownMidSendFailsThePendingRecords) {
  stopDaemon();
  startDaemon("shutdown: {drain_timeout_ms: 300}\n");
  fake::AckPolicy held;
  held.stopped = true;
  fake_->faults().setAckPolicy(held);
  std::string text;
  for (int i = 1; i <= 5; ++i) text += eventLine(i) + "\n";
  const std::string path = inputFile("in.ndjson", text);
  auto sending = std::async(std::launch::async, [&] {
    return ctl({"send", "-t", kEvents, "-f", path});
  });
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters(kEvents).received_records >= 5; },
                                     std::chrono::seconds(20)));
  EXPECT_FALSE(shutdownDaemon());  // it cannot drain: the service holds its acks
  const CtlRun run = sending.get();
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("lines 1-5: "), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("5 record(s) read, 0 durable, 5 failed"), std::string::npos) << run.out;
}

TEST_F(CtlSendTest, DaemonNotRunningExitsThreeWithAClearMessage) {
  const std::string missing = work_.path() + "/no-daemon.sock";
  const CtlRun run = runCtl({"--socket", missing, "send", "-t", kEvents, "-f",
                             inputFile("in.ndjson", eventLine(1) + "\n")});
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.err.find("zerobusd is not reachable"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(missing), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST_F(CtlSendTest, SocketComesFromTheEnvironmentWithoutTheFlag) {
  CtlInput input;
  input.env = {{"ZEROBUSD_SOCKET", socketPath()}};
  const CtlRun run =
      runCtl({"send", "-t", kEvents, "-f", inputFile("in.ndjson", eventLine(9) + "\n")}, input);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ids(rowsOnceAtLeast(kEvents, 1)), (std::set<int64_t>{9}));
}

TEST_F(CtlSendTest, UsageAndInputErrorsExitTwo) {
  const std::string ok = inputFile("in.ndjson", eventLine(1) + "\n");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"send", "-t", "main.default.nope", "-f", ok}, "does not serve table 'main.default.nope'"},
      {{"send", "-t", kAirQuality, "--format", "ndjson", "-f", ok}, "takes protobuf records"},
      {{"send", "-t", kEvents, "--format", "proto-delimited", "-f", ok}, "takes JSON records"},
      {{"send", "-t", kAirQuality, "--format", "json-to-proto", "-f", ok},
       "needs the table's schema"},
      {{"send", "-t", kAirQuality, "--proto", socket_dir_.path() + "/air_quality.proto", "-f", ok},
       "--message is required"},
      {{"send", "-t", kAirQuality, "--proto", ok, "--message", "X", "-f", ok}, ok},  // not a .proto
      {{"send", "-t", kEvents, "-f", work_.path() + "/missing"}, "missing"},
      {{"send", "-t", kEvents, "--format", "xml"}, "xml"},
      {{"send", "-t", kEvents, "--batch", "0"}, "--batch"},
      {{"send"}, "--table"},
  };
  for (const Case& c : cases) {
    const CtlRun run = ctl(c.args);
    EXPECT_EQ(run.exit_code, 2) << fmt::format("{}", fmt::join(c.args, " ")) << "\n" << run.err;
    EXPECT_NE(run.err.find(c.says), std::string::npos) << c.says << "\n" << run.err;
  }
  const CtlRun run = runCtl({"--socket", socketPath(), "--timeout", "soon", "send", "-t", kEvents});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--timeout 'soon'"), std::string::npos) << run.err;
  EXPECT_TRUE(landedRows(kEvents).empty());
}

}  // namespace
}  // namespace zerobusd::ctl::testing
