#include "daemon/systemd/status_line.h"

#include <gtest/gtest.h>

namespace zerobusd::systemd {
namespace {

using namespace std::chrono_literals;

constexpr char kTwoTables[] = R"({"version":"0.1.0","ready":true,"shutting_down":false,"connections":3,
  "tables":{"a":{"records_durable":1000,"queue_bytes":1024},"b":{"records_durable":500,"queue_bytes":512}}})";

TEST(StatusLineTest, SummarizesStateTablesConnectionsAndQueue) {
  StatusLine line;
  EXPECT_EQ(line.summarize(kTwoTables, StatusLine::Clock::time_point{}),
            "serving: 2 tables, 3 connections, 0 records/s durable, 1.5 KiB queued");
}

TEST(StatusLineTest, RateIsDurableRecordsSinceThePreviousSummary) {
  StatusLine line;
  StatusLine::Clock::time_point t0{};
  line.summarize(kTwoTables, t0);
  std::string later = R"({"ready":true,"connections":1,"tables":{"a":{"records_durable":9000},
                          "b":{"records_durable":2500}}})";
  EXPECT_EQ(line.summarize(later, t0 + 5s), "serving: 2 tables, 1 connection, 2000 records/s durable, 0 B queued");
}

TEST(StatusLineTest, NamesWaitingAndDrainingStates) {
  StatusLine line;
  auto now = StatusLine::Clock::time_point{};
  EXPECT_EQ(line.summarize(R"({"ready":false,"connections":0,"tables":{"a":{}}})", now),
            "waiting for upstream streams: 1 table, 0 connections, 0 records/s durable, 0 B queued");
  EXPECT_EQ(line.summarize(R"({"ready":false,"shutting_down":true,"connections":1,"tables":{}})", now),
            "draining: 0 tables, 1 connection, 0 records/s durable, 0 B queued");
}

TEST(StatusLineTest, ACountThatWentDownShowsNoRateInsteadOfANegativeOne) {
  StatusLine line;
  StatusLine::Clock::time_point t0{};
  line.summarize(kTwoTables, t0);
  // A reload removed table b: its count leaves the sum.
  auto text = line.summarize(R"({"ready":true,"connections":3,"tables":{"a":{"records_durable":1100}}})", t0 + 1s);
  EXPECT_NE(text.find(" 0 records/s"), std::string::npos) << text;
  // ... and the next interval counts from the new sum.
  text = line.summarize(R"({"ready":true,"connections":3,"tables":{"a":{"records_durable":1300}}})", t0 + 2s);
  EXPECT_NE(text.find(" 200 records/s"), std::string::npos) << text;
}

TEST(StatusLineTest, MalformedDocumentsNeverThrow) {
  StatusLine line;
  auto now = StatusLine::Clock::time_point{};
  EXPECT_EQ(line.summarize("", now), "status unavailable");
  EXPECT_EQ(line.summarize("{not json", now), "status unavailable");
  EXPECT_EQ(line.summarize("[1,2]", now), "status unavailable");
  // Wrong types are read as absent.
  EXPECT_EQ(line.summarize(R"({"ready":"yes","connections":-4,"tables":{"a":7,"b":{"records_durable":"x"}}})", now),
            "waiting for upstream streams: 1 table, 0 connections, 0 records/s durable, 0 B queued");
}

TEST(StatusLineTest, HumanBytes) {
  EXPECT_EQ(humanBytes(0), "0 B");
  EXPECT_EQ(humanBytes(1023), "1023 B");
  EXPECT_EQ(humanBytes(1024), "1.0 KiB");
  EXPECT_EQ(humanBytes(64ULL << 20), "64.0 MiB");
  EXPECT_EQ(humanBytes(3ULL << 40), "3.0 TiB");
  EXPECT_EQ(humanBytes(UINT64_MAX), "16777216.0 TiB");
}

}  // namespace
}  // namespace zerobusd::systemd
