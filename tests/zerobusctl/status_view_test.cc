#include "tools/zerobusctl/status_view.h"

#include <string>

#include <gtest/gtest.h>

namespace zerobusd::ctl {
namespace {

constexpr char kStatus[] = R"({"version":"0.1.0","ready":false,"shutting_down":false,
  "connections":3,"future_field":{"x":1},
  "tables":{"main.default.events":{"record_type":"json","streams":2,"open_streams":0,
                                   "queue_bytes":5242880,"batches_inflight":1,
                                   "records_durable":10,"records_failed":2},
            "main.default.air_quality":{"record_type":"proto","streams":1,"open_streams":1}}})";

TEST(StatusViewTest, ParsesLenientlyAndSortsTables) {
  auto status = parseStatus(kStatus);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->version, "0.1.0");
  EXPECT_EQ(status->connections, 3);
  ASSERT_EQ(status->tables.size(), 2u);
  EXPECT_EQ(status->tables[0].name, "main.default.air_quality");
  EXPECT_FALSE(status->tables[0].queue_bytes.has_value());
  const TableStatus* events = status->findTable("main.default.events");
  ASSERT_NE(events, nullptr);
  EXPECT_EQ(events->record_type, "json");
  EXPECT_EQ(events->queue_bytes, 5242880);
  EXPECT_EQ(status->findTable("nope"), nullptr);
}

TEST(StatusViewTest, RefusesWhatIsNotAnObject) {
  EXPECT_FALSE(parseStatus("[]").ok());
  EXPECT_FALSE(parseStatus("{").ok());
  EXPECT_FALSE(parseStatus(std::string(100000, '[')).ok());
}

TEST(StatusViewTest, RendersAnAlignedTable) {
  const std::string text = renderTables(*parseStatus(kStatus));
  EXPECT_EQ(text,
            "TABLE                     TYPE   STREAMS  QUEUE    INFLIGHT  DURABLE  FAILED\n"
            "main.default.air_quality  proto  1/1      -        -         -        -\n"
            "main.default.events       json   0/2      5.0 MiB  1         10       2\n");
}

TEST(StatusViewTest, HealthNamesTablesWithoutStreams) {
  HealthVerdict verdict = judgeHealth(*parseStatus(kStatus));
  EXPECT_FALSE(verdict.healthy);
  EXPECT_EQ(verdict.line,
            "not ready: zerobusd 0.1.0 has no open upstream stream for main.default.events");

  verdict = judgeHealth(*parseStatus(R"({"version":"0.1.0","ready":true,"connections":1,
                                         "tables":{"a.b.c":{}}})"));
  EXPECT_TRUE(verdict.healthy);
  EXPECT_EQ(verdict.line, "ready: zerobusd 0.1.0, 1 table(s), 1 connection(s)");

  verdict = judgeHealth(*parseStatus(R"({"ready":true,"shutting_down":true})"));
  EXPECT_FALSE(verdict.healthy);
  EXPECT_EQ(verdict.line, "not ready: zerobusd is shutting down");

  EXPECT_FALSE(judgeHealth(*parseStatus("{}")).healthy);  // no "ready": not ready
}

}  // namespace
}  // namespace zerobusd::ctl
