// zerobusd end to end: producers on the Unix socket, the daemon, zerobus-fake. Every record
// ends with exactly one outcome; bad input gets the documented answer and never disturbs
// other producers.

#include <thread>

#include "tests/daemon/daemon_fixture.h"

namespace zerobusd::testing {
namespace {

namespace f = zerobusd::frame;
using Json = nlohmann::json;

std::string header(uint8_t version, uint8_t type, uint32_t length) {
  std::string out = {'\x5a', '\x42', static_cast<char>(version), static_cast<char>(type)};
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  return out;
}

class DaemonEndToEndTest : public DaemonTest {};

TEST_F(DaemonEndToEndTest, ProtoRecordsBecomeDurableAndLandWithTheirValues) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  ASSERT_NE(handle, 0u);
  for (int frame = 0; frame < 10; ++frame) {
    ASSERT_TRUE(client.sendRecords(handle, static_cast<uint64_t>(frame * 100), airQualityRecords(frame * 100, 100)));
  }
  ASSERT_TRUE(client.waitDurable(handle, 1000));
  EXPECT_EQ(counters().landed_records, 1000u);
  EXPECT_EQ(counters().duplicates, 0u);
  auto rows = landedRows();
  ASSERT_EQ(rows.size(), 1000u);
  std::set<int> temps;
  for (const auto& row : rows) temps.insert(row["row"]["temp"].get<int>());
  EXPECT_EQ(temps.size(), 15u);  // 20 + i % 15
}

TEST_F(DaemonEndToEndTest, BadRecordsAreRejectedAloneAndTheGoodOnesLand) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kEvents, f::RecordType::kJson);
  ASSERT_NE(handle, 0u);
  std::vector<std::string> records = {R"({"id":1,"kind":"a"})", "[1,2]", R"({"id":2,"kind":"b"})",
                                      "not json", "\"string\"", R"({"id":3,"kind":"c"})"};
  ASSERT_TRUE(client.sendRecords(handle, 0, records));
  std::vector<f::Reject> rejects;
  ASSERT_TRUE(client.waitDurable(handle, 6, &rejects));
  // One REJECT per run of records with the same reason: here each says what is wrong with it.
  ASSERT_EQ(rejects.size(), 3u);
  EXPECT_EQ(rejects[0].first_seq, 1u);
  EXPECT_EQ(rejects[0].count, 1u);
  EXPECT_EQ(rejects[1].first_seq, 3u);
  EXPECT_EQ(rejects[2].first_seq, 4u);
  EXPECT_EQ(rejects[0].error_code, f::ErrorCode::kInvalidRecord);
  EXPECT_FALSE(rejects[0].retriable);
  EXPECT_EQ(counters(kEvents).landed_records, 3u);
  // The shared stream never saw the bad records, so it did not fail.
  EXPECT_EQ(counters(kEvents).rejected_messages, 0u);
}

TEST_F(DaemonEndToEndTest, OpenIsRefusedForUnknownTablesAndTheWrongRecordType) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  f::ErrorCode refused{};
  EXPECT_EQ(client.open("main.default.nope", f::RecordType::kJson, &refused), 0u);
  EXPECT_EQ(refused, f::ErrorCode::kUnknownTable);
  EXPECT_EQ(client.open(kAirQuality, f::RecordType::kJson, &refused), 0u);
  EXPECT_EQ(refused, f::ErrorCode::kRecordTypeMismatch);
  EXPECT_NE(client.open(kAirQuality, f::RecordType::kProto, &refused), 0u);  // still usable
}

TEST_F(DaemonEndToEndTest, PeersOutsideTheAllowListAreRefused) {
  startDaemon("", "    allow_uids: [4242424]\n");
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  f::ErrorCode refused{};
  EXPECT_EQ(client.open(kAirQuality, f::RecordType::kProto, &refused), 0u);
  EXPECT_EQ(refused, f::ErrorCode::kPermissionDenied);
}

TEST_F(DaemonEndToEndTest, RecordsBeforeTheHandshakeEndTheConnection) {
  startDaemon();
  RawClient client(socketPath());
  std::string out;
  f::RecordsEncoder encoder;
  encoder.begin(out, 1, 0);
  encoder.add(out, airQualityRecord(0));
  encoder.finish(out);
  client.send(out);
  std::string storage;
  auto error = fatalError(client, &storage);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error_code, f::ErrorCode::kHandshakeRequired);
  EXPECT_TRUE(error->fatal);
  EXPECT_FALSE(client.read(std::chrono::seconds(5)).has_value());  // closed
}

TEST_F(DaemonEndToEndTest, MalformedFramesGetAFatalErrorAndOthersAreUnaffected) {
  startDaemon();
  RawClient good(socketPath());
  ASSERT_TRUE(good.hello());
  uint32_t handle = good.open(kAirQuality, f::RecordType::kProto);
  struct Case {
    std::string bytes;
    f::ErrorCode expected;
  };
  std::vector<Case> cases = {
      {"GARBAGE!", f::ErrorCode::kMalformedFrame},
      {header(9, 0x01, 0), f::ErrorCode::kUnsupportedVersion},
      {header(1, 0x42, 0), f::ErrorCode::kUnknownFrameType},
      {header(1, 0x81, 0), f::ErrorCode::kUnknownFrameType},  // a daemon frame from a client
      {header(1, 0x01, 70000), f::ErrorCode::kFrameTooLarge},  // before WELCOME: 64 KiB
      {header(1, 0x01, 1) + "x", f::ErrorCode::kMalformedFrame},
  };
  for (const auto& c : cases) {
    RawClient bad(socketPath());
    ASSERT_TRUE(bad.send(c.bytes));
    std::string storage;
    auto error = fatalError(bad, &storage);
    ASSERT_TRUE(error.has_value()) << f::errorName(c.expected);
    EXPECT_EQ(error->error_code, c.expected) << f::errorName(c.expected);
    EXPECT_TRUE(error->fatal);
  }
  // The well-behaved producer never noticed.
  ASSERT_TRUE(good.sendRecords(handle, 0, airQualityRecords(0, 10)));
  EXPECT_TRUE(good.waitDurable(handle, 10));
}

TEST_F(DaemonEndToEndTest, OversizedRecordsFrameAfterHandshakeIsRefused) {
  startDaemon("limits:\n  max_frame_bytes: 4096\n  max_record_bytes: 2048\n");
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  ASSERT_TRUE(client.sendRecords(handle, 0, airQualityRecords(0, 100)));  // ~10 KB
  std::string storage;
  auto error = fatalError(client, &storage);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error_code, f::ErrorCode::kFrameTooLarge);
}

TEST_F(DaemonEndToEndTest, SequenceGapIsFatal) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  ASSERT_TRUE(client.sendRecords(handle, 5, airQualityRecords(0, 1)));
  std::string storage;
  auto error = fatalError(client, &storage);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error_code, f::ErrorCode::kSequenceGap);
}

TEST_F(DaemonEndToEndTest, SilentPeerIsDroppedAfterTheHandshakeTimeout) {
  startDaemon("limits:\n  handshake_timeout_ms: 300\n");
  RawClient silent(socketPath());
  std::string storage;
  auto start = std::chrono::steady_clock::now();
  auto error = fatalError(silent, &storage);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error_code, f::ErrorCode::kHandshakeRequired);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

TEST_F(DaemonEndToEndTest, ProducerVanishingMidFrameDisturbsNobodyAndItsAcceptedRecordsLand) {
  startDaemon();
  RawClient good(socketPath());
  ASSERT_TRUE(good.hello());
  uint32_t good_handle = good.open(kAirQuality, f::RecordType::kProto);
  {
    RawClient leaving(socketPath());
    ASSERT_TRUE(leaving.hello(f::kAckBitAccepted));
    uint32_t handle = leaving.open(kAirQuality, f::RecordType::kProto);
    ASSERT_TRUE(leaving.sendRecords(handle, 0, airQualityRecords(1000, 50)));
    ASSERT_TRUE(leaving.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kAck; }));
    std::string half;
    f::RecordsEncoder encoder;
    encoder.begin(half, handle, 50);
    encoder.add(half, airQualityRecord(1));
    encoder.finish(half);
    leaving.send(half.substr(0, half.size() / 2));  // and gone
  }
  ASSERT_TRUE(good.sendRecords(good_handle, 0, airQualityRecords(0, 20)));
  ASSERT_TRUE(good.waitDurable(good_handle, 20));
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().landed_records == 70; }));
}

TEST_F(DaemonEndToEndTest, ManyProducersOnSeveralTablesEachGetEveryOutcome) {
  startDaemon();
  constexpr int kProducers = 8;
  constexpr int kFrames = 20;
  constexpr int kPerFrame = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      RawClient client(socketPath());
      bool json = p % 2 == 1;
      if (!client.hello()) {
        ++failures;
        return;
      }
      uint32_t handle = client.open(json ? kEvents : kAirQuality, json ? f::RecordType::kJson : f::RecordType::kProto);
      for (int frame = 0; frame < kFrames; ++frame) {
        std::vector<std::string> records;
        for (int r = 0; r < kPerFrame; ++r) {
          int id = (p * kFrames + frame) * kPerFrame + r;
          records.push_back(json ? Json{{"id", id}, {"kind", "k"}}.dump() : airQualityRecord(id));
        }
        client.sendRecords(handle, static_cast<uint64_t>(frame * kPerFrame), records);
      }
      if (!client.waitDurable(handle, kFrames * kPerFrame)) ++failures;
    });
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(counters().landed_records, static_cast<uint64_t>(kProducers / 2 * kFrames * kPerFrame));
  EXPECT_EQ(counters(kEvents).landed_records, static_cast<uint64_t>(kProducers / 2 * kFrames * kPerFrame));
  EXPECT_EQ(counters().duplicates + counters(kEvents).duplicates, 0u);
}

TEST_F(DaemonEndToEndTest, StreamFailingUnderLoadLosesNothing) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  admin("/admin/faults/acks", {{"delay_ms", 50}});
  for (int frame = 0; frame < 20; ++frame) {
    client.sendRecords(handle, static_cast<uint64_t>(frame * 100), airQualityRecords(frame * 100, 100));
    if (frame == 10) admin("/admin/faults/abort", {{"code", "UNAVAILABLE"}});
  }
  std::vector<f::Reject> rejects;
  ASSERT_TRUE(client.waitDurable(handle, 2000, &rejects));
  EXPECT_TRUE(rejects.empty());
  // At least once: every record landed; duplicates only from replays of unacked batches.
  std::set<std::string> names;
  for (const auto& row : landedRows()) names.insert(row["row"]["device_name"].get<std::string>());
  EXPECT_EQ(names.size(), 2000u);
  EXPECT_EQ(counters().landed_records, 2000u + counters().duplicates);
}

TEST_F(DaemonEndToEndTest, NonRetriableUpstreamFailureIsReportedPerRecord) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  admin("/admin/faults/acks", {{"mode", "stop"}});
  client.sendRecords(handle, 0, airQualityRecords(0, 30));
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_records == 30; }));
  // The table changed under the stream: the call ends INVALID_ARGUMENT, and so does every new
  // stream's creation (the batches, sent again alone to find a bad record, fail there).
  admin("/admin/faults/create", {{"count", -1}, {"code", "INVALID_ARGUMENT"}, {"message", "schema changed"}});
  admin("/admin/faults/abort", {{"code", "INVALID_ARGUMENT"}, {"message", "schema changed"}});
  std::vector<f::Reject> rejects;
  ASSERT_TRUE(client.waitDurable(handle, 30, &rejects));
  uint64_t rejected = 0;
  for (const auto& r : rejects) {
    rejected += r.count;
    EXPECT_EQ(r.error_code, f::ErrorCode::kUpstreamRejected);
    EXPECT_FALSE(r.retriable);
    EXPECT_NE(std::string(r.message).find("schema changed"), std::string::npos);
  }
  EXPECT_EQ(rejected, 30u);
}

TEST_F(DaemonEndToEndTest, FullTableQueuePausesTheProducerInsteadOfDropping) {
  startDaemon("limits:\n  max_record_bytes: 10000\n", "    max_queue_bytes: 20000\n");
  admin("/admin/faults/acks", {{"mode", "stop"}});
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello(f::kAckBitsAll));
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  for (int frame = 0; frame < 10; ++frame) {
    ASSERT_TRUE(client.sendRecords(handle, static_cast<uint64_t>(frame * 100), airQualityRecords(frame * 100, 100)));
  }
  // 10 KB frames against a 20 KB bound: the daemon takes a few and stops reading.
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_records >= 200; }));
  auto status = Json::parse(statusJson());
  EXPECT_LE(status["tables"][kAirQuality]["queue_bytes"].get<uint64_t>(), 30000u);
  EXPECT_LT(counters().received_records, 1000u);
  admin("/admin/faults/acks", {{"mode", "normal"}});
  ASSERT_TRUE(client.waitDurable(handle, 1000));
  EXPECT_EQ(counters().landed_records, 1000u);
}

TEST_F(DaemonEndToEndTest, FlushAnswersWhenEverythingSentIsDurable) {
  startDaemon();
  admin("/admin/faults/acks", {{"delay_ms", 100}});
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello(f::kAckBitAccepted));
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  client.sendRecords(handle, 0, airQualityRecords(0, 10));
  std::string out;
  f::encodeFlush(out, 77, f::kAllHandles);
  client.send(out);
  auto flushed = client.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kFlushed; });
  ASSERT_TRUE(flushed.has_value());
  f::Flushed parsed;
  f::ErrorCode error{};
  ASSERT_TRUE(f::parseFlushed(flushed->payload, &parsed, &error));
  EXPECT_EQ(parsed.request_id, 77u);
  EXPECT_EQ(parsed.error_code, f::ErrorCode::kOk);
  EXPECT_EQ(counters().landed_records, 10u);
}

TEST_F(DaemonEndToEndTest, ClosedHandleStillGetsTheOutcomesOfWhatWasSent) {
  startDaemon();
  admin("/admin/faults/acks", {{"delay_ms", 100}});
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  client.sendRecords(handle, 0, airQualityRecords(0, 10));
  std::string out;
  f::encodeCloseHandle(out, handle);
  client.send(out);
  ASSERT_TRUE(client.waitDurable(handle, 10));
  // New records on it are refused without closing the connection.
  client.sendRecords(handle, 10, airQualityRecords(10, 1));
  auto error = client.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kError; });
  ASSERT_TRUE(error.has_value());
  f::ErrorFrame parsed;
  f::ErrorCode parse_error{};
  ASSERT_TRUE(f::parseError(error->payload, &parsed, &parse_error));
  EXPECT_EQ(parsed.error_code, f::ErrorCode::kUnknownHandle);
  EXPECT_FALSE(parsed.fatal);
}

TEST_F(DaemonEndToEndTest, StatusAndPingAnswer) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  std::string out;
  f::encodePing(out, 0xABCDEF);
  f::encodeStatus(out, 5);
  client.send(out);
  auto pong = client.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kPong; });
  ASSERT_TRUE(pong.has_value());
  auto status = client.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kStatusResult; });
  ASSERT_TRUE(status.has_value());
  f::StatusResult parsed;
  f::ErrorCode error{};
  ASSERT_TRUE(f::parseStatusResult(status->payload, &parsed, &error));
  auto json = Json::parse(parsed.json);
  EXPECT_TRUE(json["tables"].contains(kAirQuality));
  EXPECT_EQ(json["version"], server::kVersion);
}

TEST_F(DaemonEndToEndTest, ShutdownWithRecordsInFlightDrainsThemAndSaysGoodbye) {
  startDaemon();
  admin("/admin/faults/acks", {{"delay_ms", 300}});
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  client.sendRecords(handle, 0, airQualityRecords(0, 100));
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_records == 100; }));
  EXPECT_TRUE(shutdownDaemon());
  EXPECT_EQ(counters().landed_records, 100u);
  // The producer heard GOODBYE (shutting down) and its durable ack.
  bool goodbye = false;
  bool durable = false;
  while (auto frame = client.read(std::chrono::seconds(5))) {
    f::ErrorCode error{};
    if (frame->type == f::FrameType::kDaemonGoodbye) goodbye = true;
    f::Ack ack;
    if (frame->type == f::FrameType::kAck && f::parseAck(frame->payload, &ack, &error) &&
        ack.level == f::AckLevel::kDurable && ack.next_seq == 100) {
      durable = true;
    }
  }
  EXPECT_TRUE(goodbye);
  EXPECT_TRUE(durable);
}

TEST_F(DaemonEndToEndTest, ShutdownPastTheDeadlineReportsRecordsLeftBehind) {
  startDaemon("shutdown:\n  drain_timeout_ms: 300\n");
  admin("/admin/faults/acks", {{"mode", "stop"}});
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  client.sendRecords(handle, 0, airQualityRecords(0, 10));
  ASSERT_TRUE(fake::testing::waitFor([&] { return counters().received_records == 10; }));
  EXPECT_FALSE(shutdownDaemon());
}

TEST_F(DaemonEndToEndTest, MetricsEndpointServesThePrometheusFormat) {
  startDaemon();
  RawClient client(socketPath());
  ASSERT_TRUE(client.hello());
  uint32_t handle = client.open(kAirQuality, f::RecordType::kProto);
  client.sendRecords(handle, 0, airQualityRecords(0, 5));
  ASSERT_TRUE(client.waitDurable(handle, 5));
  int port = 0;
  loop_->runSync([&] { port = server_->metricsPort(); });
  httplib::Client http("127.0.0.1", port);
  auto res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("zerobusd_records_durable_total{table=\"main.default.air_quality\"} 5"),
            std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find("zerobusd_build_info"), std::string::npos);
  EXPECT_EQ(http.Get("/healthz")->status, 200);
}

}  // namespace
}  // namespace zerobusd::testing
