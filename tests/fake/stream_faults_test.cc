// Faults the fake injects through its admin HTTP API (zerobus-protocol.md §14, knobs), each
// observed from a plain gRPC client as the real service's failure would be.

#include <thread>

#include "tests/fake/fake_fixture.h"

namespace zerobusd::fake::testing {
namespace {

using grpc::StatusCode;
using Json = nlohmann::json;

class StreamFaultsTest : public FakeTest {
 protected:
  // Opens a PROTO stream on air_quality and returns it created.
  std::unique_ptr<Call> openStream() {
    auto call = std::make_unique<Call>(stub(), kAirQuality);
    call->createProto();
    EXPECT_FALSE(call->readCreated().empty());
    return call;
  }
};

TEST_F(StreamFaultsTest, FailsTheNextNCreationsWithTheChosenStatus) {
  Json r = admin("/admin/faults/create", {{"count", 2}, {"code", "UNAVAILABLE"}, {"message", "nope"}});
  ASSERT_EQ(r["http_status"], 200);
  for (int i = 0; i < 2; ++i) {
    Call call(stub(), kAirQuality);
    call.createProto();
    grpc::Status status = call.finishWithoutHalfClose();
    EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE);
    EXPECT_EQ(status.error_message(), "nope");
  }
  auto call = openStream();
  EXPECT_TRUE(call->finish().ok());
  EXPECT_EQ(adminGet("/admin/counters")["faults_fired"]["create"], 2);
}

TEST_F(StreamFaultsTest, TrailersOnlyCreationFailureComesBeforeHeaders) {
  admin("/admin/faults/create", {{"mode", "trailers_only"}, {"code", 14}});
  Call call(stub(), kAirQuality);
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::UNAVAILABLE);
}

TEST_F(StreamFaultsTest, CreationCanEndOkWithoutAnswer) {
  admin("/admin/faults/create", {{"mode", "ok_end"}});
  Call call(stub(), kAirQuality);
  call.createProto();
  EXPECT_FALSE(call.read().has_value());
  EXPECT_TRUE(call.finishWithoutHalfClose().ok());
}

TEST_F(StreamFaultsTest, CreationCanAnswerWithoutStreamId) {
  admin("/admin/faults/create", {{"mode", "no_stream_id"}});
  Call call(stub(), kAirQuality);
  call.createProto();
  auto response = call.read();
  ASSERT_TRUE(response.has_value());
  ASSERT_TRUE(response->has_create_stream_response());
  EXPECT_FALSE(response->create_stream_response().has_stream_id());
}

TEST_F(StreamFaultsTest, CreationCanAnswerWithTheWrongPayload) {
  admin("/admin/faults/create", {{"mode", "wrong_payload"}});
  Call call(stub(), kAirQuality);
  call.createProto();
  auto response = call.read();
  ASSERT_TRUE(response.has_value());
  EXPECT_TRUE(response->has_ingest_record_response());
}

TEST_F(StreamFaultsTest, CreationFaultCanTargetOneTable) {
  admin("/admin/faults/create", {{"table", kEvents}, {"code", "INTERNAL"}});
  auto call = openStream();  // air_quality is not affected
  EXPECT_TRUE(call->finish().ok());
  Call events(stub(), kEvents);
  events.create(kEvents, zb::JSON, std::nullopt);
  EXPECT_EQ(events.finishWithoutHalfClose().error_code(), StatusCode::INTERNAL);
}

TEST_F(StreamFaultsTest, BadFaultRequestsAreRefusedWith400) {
  EXPECT_EQ(admin("/admin/faults/create", {{"code", "NOT_A_CODE"}})["http_status"], 400);
  EXPECT_EQ(admin("/admin/faults/create", {{"mode", "sideways"}})["http_status"], 400);
  EXPECT_EQ(admin("/admin/faults/acks", {{"mode", "later"}})["http_status"], 400);
  EXPECT_EQ(admin("/admin/faults/acks", {{"delay_ms", "soon"}})["http_status"], 400);
  httplib::Client client("127.0.0.1", fake_->adminPort());
  auto res = client.Post("/admin/faults/abort", "{not json", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(StreamFaultsTest, AbortEndsOpenStreamsWithTheStatus) {
  auto a = openStream();
  auto b = openStream();
  a->sendBatch(0, airQualityRecords(0, 5));
  ASSERT_TRUE(a->readAck(0));
  Json r = admin("/admin/faults/abort", {{"code", "INTERNAL"}, {"message", "boom"}});
  EXPECT_EQ(r["streams"], 2);
  for (auto* call : {a.get(), b.get()}) {
    grpc::Status status = call->finishWithoutHalfClose();
    EXPECT_EQ(status.error_code(), StatusCode::INTERNAL);
    EXPECT_EQ(status.error_message(), "boom");
  }
  EXPECT_EQ(counters().landed_records, 5u);
}

TEST_F(StreamFaultsTest, StoppedAcksHoldRecordsUnlandedUntilResumed) {
  admin("/admin/faults/acks", {{"mode", "stop"}});
  auto call = openStream();
  call->sendBatch(0, airQualityRecords(0, 3));
  call->sendBatch(1, airQualityRecords(3, 3));
  ASSERT_TRUE(waitFor([&] { return counters().received_records == 6; }));
  EXPECT_EQ(counters().landed_records, 0u);
  EXPECT_EQ(call->lastAck(), -1);
  Json r = admin("/admin/faults/acks", {{"mode", "normal"}});
  EXPECT_EQ(r["resumed_streams"], 1);
  ASSERT_TRUE(call->readAck(1));
  EXPECT_EQ(counters().landed_records, 6u);
  EXPECT_TRUE(call->finish().ok());
}

TEST_F(StreamFaultsTest, StopAfterNMessagesAcksOnlyThose) {
  admin("/admin/faults/acks", {{"stop_after", 2}});
  auto call = openStream();
  for (int64_t offset = 0; offset < 4; ++offset) call->sendRecord(offset, airQualityRecord(0));
  ASSERT_TRUE(call->readAck(1));
  ASSERT_TRUE(waitFor([&] { return counters().received_messages == 4; }));
  EXPECT_EQ(counters().landed_messages, 2u);
  call->cancel();
}

TEST_F(StreamFaultsTest, DelayedAcksArriveNoSoonerThanTheDelay) {
  admin("/admin/faults/acks", {{"delay_ms", 300}});
  auto call = openStream();
  auto start = std::chrono::steady_clock::now();
  call->sendRecord(0, airQualityRecord(0));
  ASSERT_TRUE(call->readAck(0));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_TRUE(call->finish().ok());
}

TEST_F(StreamFaultsTest, CoalescedAcksSkipOffsets) {
  admin("/admin/faults/acks", {{"every", 5}});
  auto call = openStream();
  for (int64_t offset = 0; offset < 10; ++offset) call->sendRecord(offset, airQualityRecord(0));
  std::vector<int64_t> acks;
  while (call->lastAck() < 9) {
    auto response = call->read();
    ASSERT_TRUE(response.has_value());
    if (response->has_ingest_record_response()) acks.push_back(call->lastAck());
  }
  // Acks only at every fifth message; while a write is in flight a later ack replaces an
  // earlier one, so {9} alone is as valid as {4, 9} (a slow run sees the former).
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks.back(), 9);
  for (int64_t ack : acks) EXPECT_TRUE(ack == 4 || ack == 9) << ack;
  EXPECT_TRUE(call->finish().ok());
}

TEST_F(StreamFaultsTest, CloseSignalNowCarriesTheDurationThenEndsWith6002) {
  auto call = openStream();
  admin("/admin/faults/close-signal", {{"duration_ms", 1500}, {"code", "UNAVAILABLE"}});
  auto response = call->read();
  ASSERT_TRUE(response.has_value());
  ASSERT_TRUE(response->has_close_stream_signal());
  EXPECT_EQ(response->close_stream_signal().duration().seconds(), 1);
  EXPECT_EQ(response->close_stream_signal().duration().nanos(), 500000000);
  // The stream keeps acking during the grace period.
  call->sendRecord(0, airQualityRecord(0));
  ASSERT_TRUE(call->readAck(0));
  grpc::Status status = call->finishWithoutHalfClose();
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("6002"), std::string::npos);
}

TEST_F(StreamFaultsTest, CloseSignalWithoutEndLeavesTheStreamOpen) {
  auto call = openStream();
  admin("/admin/faults/close-signal", {{"duration_ms", 0}, {"end", false}});
  auto response = call->read();
  ASSERT_TRUE(response.has_value() && response->has_close_stream_signal());
  call->sendRecord(0, airQualityRecord(0));
  EXPECT_TRUE(call->readAck(0));
  EXPECT_TRUE(call->finish().ok());
}

TEST_F(StreamFaultsTest, StreamLifetimeEndsWithCloseSignalThenStreamTimeout) {
  admin("/admin/streams/lifetime", {{"lifetime_ms", 200}, {"close_grace_ms", 300}});
  auto start = std::chrono::steady_clock::now();
  auto call = openStream();
  auto response = call->read();
  ASSERT_TRUE(response.has_value() && response->has_close_stream_signal());
  EXPECT_EQ(response->close_stream_signal().duration().nanos(), 300000000);
  grpc::Status status = call->finishWithoutHalfClose();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("Stream timeout reached"), std::string::npos);
  EXPECT_NE(status.error_message().find("Error Code: 6002"), std::string::npos);
}

TEST_F(StreamFaultsTest, DropAfterCommitLandsThenFailsSoAReplayDuplicates) {
  admin("/admin/faults/drop-after-commit", {{"count", 1}});
  auto call = openStream();
  call->sendBatch(0, airQualityRecords(0, 10));
  grpc::Status status = call->finishWithoutHalfClose();
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE);
  EXPECT_EQ(call->lastAck(), -1);  // the ack was lost
  EXPECT_EQ(counters().landed_records, 10u);
  // The client replays the unacked batch on a new stream, from offset 0.
  auto replay = openStream();
  replay->sendBatch(0, airQualityRecords(0, 10));
  ASSERT_TRUE(replay->readAck(0));
  EXPECT_TRUE(replay->finish().ok());
  EXPECT_EQ(counters().landed_records, 20u);
  EXPECT_EQ(counters().duplicates, 10u);
}

TEST_F(StreamFaultsTest, DropConnectionsEndsCallsAndServesNewOnesOnTheSamePort) {
  int port = fake_->grpcPort();
  auto call = openStream();
  Json r = admin("/admin/faults/drop-connections", Json::object());
  EXPECT_EQ(r["grpc_port"], port);
  grpc::Status status = call->finishWithoutHalfClose();
  EXPECT_FALSE(status.ok());
  auto again = openStream();
  again->sendRecord(0, airQualityRecord(0));
  EXPECT_TRUE(again->readAck(0));
  EXPECT_TRUE(again->finish().ok());
}

TEST_F(StreamFaultsTest, RevokedTokensEndLiveStreamsAndFailNewOnes) {
  TokenGrant grant;
  grant.tables = {kAirQuality};
  std::string token = fake_->tokens().mint(grant, std::chrono::seconds(600));
  Call call(stub(), kAirQuality, token);
  call.createProto();
  ASSERT_FALSE(call.readCreated().empty());
  admin("/admin/tokens/revoke", {{"end_streams", true}});
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::UNAUTHENTICATED);
  Call next(stub(), kAirQuality, token);
  next.createProto();
  EXPECT_EQ(next.finishWithoutHalfClose().error_code(), StatusCode::UNAUTHENTICATED);
  // Static tokens are not revoked.
  auto static_call = openStream();
  EXPECT_TRUE(static_call->finish().ok());
}

TEST_F(StreamFaultsTest, QuotaInRejectModeEndsTheStreamResourceExhausted) {
  restartWith([](FakeConfig& c) {
    c.tables[0].quota.records_per_s = 100;
    c.tables[0].quota.reject = true;
  });
  auto call = openStream();
  call->sendBatch(0, airQualityRecords(0, 50));   // within the one-second burst
  call->sendBatch(1, airQualityRecords(0, 500));  // 5 s worth
  grpc::Status status = call->finishWithoutHalfClose();
  EXPECT_EQ(status.error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(counters().landed_records, 50u);
}

TEST_F(StreamFaultsTest, QuotaInDelayModeSlowsAcksDown) {
  restartWith([](FakeConfig& c) { c.tables[0].quota.bytes_per_s = 100 * 1000; });
  auto call = openStream();
  auto start = std::chrono::steady_clock::now();
  call->sendBatch(0, airQualityRecords(0, 1500));  // 150 KB at 100 KB/s: 0.5 s past the free second
  ASSERT_TRUE(call->readAck(0));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
  EXPECT_TRUE(call->finish().ok());
  EXPECT_GE(adminGet("/admin/counters")["faults_fired"]["quota_delay"].get<int>(), 1);
}

TEST_F(StreamFaultsTest, ResetClearsFaultsAndCounters) {
  admin("/admin/faults/acks", {{"mode", "stop"}});
  admin("/admin/faults/create", {{"count", -1}});
  admin("/admin/reset", Json::object());
  auto call = openStream();
  call->sendRecord(0, airQualityRecord(0));
  EXPECT_TRUE(call->readAck(0));
  EXPECT_TRUE(call->finish().ok());
  Json counters_json = adminGet("/admin/counters");
  EXPECT_EQ(counters_json["streams"]["opened"], 1);
  EXPECT_EQ(counters_json["tables"][kAirQuality]["landed_records"], 1);
}

TEST_F(StreamFaultsTest, CountersReportPerTableTotals) {
  auto call = openStream();
  call->sendBatch(0, airQualityRecords(0, 7));
  ASSERT_TRUE(call->readAck(0));
  EXPECT_TRUE(call->finish().ok());
  // The server counts a call's end once its last callback ran, just after the client saw it.
  ASSERT_TRUE(waitFor([&] { return adminGet("/admin/counters")["streams"]["ended"].contains("OK"); }));
  Json c = adminGet("/admin/counters");
  EXPECT_EQ(c["tables"][kAirQuality]["landed_records"], 7);
  EXPECT_EQ(c["tables"][kAirQuality]["landed_bytes"], 700);
  EXPECT_EQ(c["tables"][kAirQuality]["landed_batches"], 1);
  EXPECT_EQ(c["streams"]["opened"], 1);
  EXPECT_EQ(c["streams"]["ended"]["OK"], 1);
}

}  // namespace
}  // namespace zerobusd::fake::testing
