// EphemeralStream as the real service behaves (zerobus-protocol.md §4, §14): handshake, offsets,
// cumulative acks, decoding, authentication, and bad input ending the call with the right
// status, never a crash.

#include <regex>
#include <thread>

#include <grpcpp/generic/generic_stub.h>

#include "proto/google/rpc/status.pb.h"
#include "tests/fake/fake_fixture.h"

namespace zerobusd::fake::testing {
namespace {

using grpc::StatusCode;

class StreamProtocolTest : public FakeTest {};

TEST_F(StreamProtocolTest, SendsResponseHeadersBeforeTheFirstMessage) {
  Call call(stub(), kAirQuality);
  // Blocks until the server's initial metadata arrives; the client has written nothing.
  call.waitHeaders();
  EXPECT_TRUE(call.createProto());
  EXPECT_FALSE(call.readCreated().empty());
  EXPECT_TRUE(call.finish().ok());
}

TEST_F(StreamProtocolTest, AnswersCreateWithAFreshUuidStreamId) {
  std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::string first, second;
  {
    Call call(stub(), kAirQuality);
    call.createProto();
    first = call.readCreated();
    EXPECT_TRUE(call.finish().ok());
  }
  {
    Call call(stub(), kAirQuality);
    call.createProto();
    second = call.readCreated();
    EXPECT_TRUE(call.finish().ok());
  }
  EXPECT_TRUE(std::regex_match(first, uuid)) << first;
  EXPECT_NE(first, second);
}

TEST_F(StreamProtocolTest, AcksCumulativelyAndLandsEveryRowWithItsValues) {
  Call call(stub(), kAirQuality);
  call.createProto();
  std::string id = call.readCreated();
  ASSERT_TRUE(call.sendBatch(0, airQualityRecords(0, 10)));
  ASSERT_TRUE(call.sendRecord(1, airQualityRecord(10)));
  ASSERT_TRUE(call.sendBatch(2, airQualityRecords(11, 5)));
  ASSERT_TRUE(call.readAck(2));
  EXPECT_EQ(call.lastAck(), 2);
  EXPECT_TRUE(call.finish().ok());

  TableCounters c = counters();
  EXPECT_EQ(c.landed_records, 16u);
  EXPECT_EQ(c.landed_messages, 3u);
  EXPECT_EQ(c.landed_batches, 2u);
  EXPECT_EQ(c.duplicates, 0u);
  auto rows = landedRows();
  ASSERT_EQ(rows.size(), 16u);
  for (int i = 0; i < 16; ++i) {
    const auto& row = rows[static_cast<size_t>(i)];
    EXPECT_EQ(row["stream_id"], id);
    std::string name = row["row"]["device_name"];
    EXPECT_EQ(name.rfind("sensor-" + std::to_string(i) + "x", 0), 0u) << name;
    EXPECT_EQ(row["row"]["temp"], 20 + i % 15);
    EXPECT_EQ(row["row"]["humidity"], 50 + i % 40);
  }
  EXPECT_EQ(rows[10]["offset"], 1);
}

TEST_F(StreamProtocolTest, NeverAcksBeyondWhatWasReceivedAndNeverRegresses) {
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  int64_t previous = -1;
  for (int64_t offset = 0; offset < 50; ++offset) {
    ASSERT_TRUE(call.sendRecord(offset, airQualityRecord(static_cast<int>(offset))));
    // Every ack read so far is at most the highest offset sent, and never goes back.
    while (call.lastAck() < offset) {
      ASSERT_TRUE(call.read());
      EXPECT_LE(call.lastAck(), offset);
      EXPECT_GE(call.lastAck(), previous);
      previous = call.lastAck();
    }
  }
  EXPECT_TRUE(call.finish().ok());
  EXPECT_EQ(counters().landed_records, 50u);
}

TEST_F(StreamProtocolTest, JsonStreamsLandObjects) {
  Call call(stub(), kAirQuality);
  call.create(kAirQuality, zb::JSON, std::nullopt);
  ASSERT_FALSE(call.readCreated().empty());
  call.sendBatch(0, {airQualityJson(0), airQualityJson(1)}, /*json=*/true);
  call.sendRecord(1, airQualityJson(2), /*json=*/true);
  ASSERT_TRUE(call.readAck(1));
  EXPECT_TRUE(call.finish().ok());
  auto rows = landedRows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2]["row"]["device_name"], "sensor-2");
  EXPECT_EQ(rows[2]["row"]["humidity"], 52);
}

TEST_F(StreamProtocolTest, HalfCloseAcksEverythingThenEndsOk) {
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  for (int64_t offset = 0; offset < 5; ++offset) call.sendBatch(offset, airQualityRecords(0, 3));
  grpc::Status status = call.finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(call.lastAck(), 4);
  EXPECT_EQ(counters().landed_records, 15u);
}

TEST_F(StreamProtocolTest, OffsetGapFailsTheStreamAfterAckingWhatCameBefore) {
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  call.sendBatch(0, airQualityRecords(0, 2));
  call.sendBatch(2, airQualityRecords(2, 2));  // 1 expected
  grpc::Status status = call.finishWithoutHalfClose();
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("expected 1"), std::string::npos) << status.error_message();
  EXPECT_EQ(call.lastAck(), 0);
  EXPECT_EQ(counters().landed_records, 2u);
  EXPECT_EQ(counters().rejected_messages, 1u);
}

TEST_F(StreamProtocolTest, RepeatedOffsetFailsTheStream) {
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  call.sendRecord(0, airQualityRecord(0));
  call.sendRecord(0, airQualityRecord(1));
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamProtocolTest, MissingOffsetFailsTheStream) {
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  zb::EphemeralStreamRequest request;
  request.mutable_ingest_record()->set_proto_encoded_record(airQualityRecord(0));
  call.write(request);
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamProtocolTest, UndecodableRecordFailsTheStreamAndNothingOfItsMessageLands) {
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  call.sendBatch(0, airQualityRecords(0, 3));
  auto bad = airQualityRecords(3, 3);
  bad[1] = std::string("\x0a\x50garbage", 9);  // length runs past the end
  call.sendBatch(1, bad);
  grpc::Status status = call.finishWithoutHalfClose();
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("record 1"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find("offset 1"), std::string::npos) << status.error_message();
  EXPECT_EQ(counters().landed_records, 3u);
}

TEST_F(StreamProtocolTest, JsonRecordThatIsNotAnObjectFailsTheStream) {
  Call call(stub(), kAirQuality);
  call.create(kAirQuality, zb::JSON, std::nullopt);
  call.readCreated();
  call.sendRecord(0, "[1,2,3]", /*json=*/true);
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(counters().landed_records, 0u);
}

TEST_F(StreamProtocolTest, RecordKindOtherThanTheStreamsFailsTheStream) {
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  call.sendRecord(0, airQualityJson(0), /*json=*/true);
  grpc::Status status = call.finishWithoutHalfClose();
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("mismatch"), std::string::npos);
}

TEST_F(StreamProtocolTest, EmptyBatchFailsTheStream) {
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  zb::EphemeralStreamRequest request;
  request.mutable_ingest_record_batch()->set_offset_id(0);
  request.mutable_ingest_record_batch()->mutable_proto_encoded_batch();
  call.write(request);
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamProtocolTest, FirstMessageOtherThanCreateIsRefused) {
  Call call(stub(), kAirQuality);
  call.sendRecord(0, airQualityRecord(0));
  grpc::Status status = call.finishWithoutHalfClose();
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("create_stream"), std::string::npos);
}

TEST_F(StreamProtocolTest, SecondCreateIsRefused) {
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  call.createProto();
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamProtocolTest, MissingAuthorizationIsUnauthenticated) {
  Call call(stub(), {{"x-databricks-zerobus-table-name", kAirQuality}});
  call.createProto();
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::UNAUTHENTICATED);
}

TEST_F(StreamProtocolTest, UnknownTokenIsUnauthenticated) {
  Call call(stub(), kAirQuality, "not-a-token-we-minted");
  call.createProto();
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::UNAUTHENTICATED);
}

TEST_F(StreamProtocolTest, ExpiredTokenIsUnauthenticated) {
  TokenGrant grant;
  grant.tables = {kAirQuality};
  std::string token = fake_->tokens().mint(grant, std::chrono::seconds(-1));
  Call call(stub(), kAirQuality, token);
  call.createProto();
  grpc::Status status = call.finishWithoutHalfClose();
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED);
  EXPECT_NE(status.error_message().find("expired"), std::string::npos);
}

TEST_F(StreamProtocolTest, TokenForAnotherTableIsPermissionDenied) {
  TokenGrant grant;
  grant.tables = {kEvents};
  std::string token = fake_->tokens().mint(grant, std::chrono::seconds(60));
  Call call(stub(), kAirQuality, token);
  call.createProto();
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::PERMISSION_DENIED);
  // The same token works on the table it was minted for.
  Call good(stub(), kEvents, token);
  good.create(kEvents, zb::JSON, std::nullopt);
  EXPECT_FALSE(good.readCreated().empty());
  EXPECT_TRUE(good.finish().ok());
}

TEST_F(StreamProtocolTest, MissingTableHeaderIsRefused) {
  Call call(stub(), {{"authorization", "Bearer test-token"}});
  call.createProto();
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamProtocolTest, TableHeaderDifferentFromCreateRequestIsRefused) {
  Call call(stub(), kEvents);
  call.createProto(kAirQuality);
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamProtocolTest, UnknownTableIsNotFound) {
  Call call(stub(), "main.default.nope");
  call.createProto("main.default.nope");
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::NOT_FOUND);
}

TEST_F(StreamProtocolTest, UnspecifiedRecordTypeIsRefused) {
  Call call(stub(), kAirQuality);
  call.create(kAirQuality, zb::RECORD_TYPE_UNSPECIFIED, airQualityDescriptor());
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamProtocolTest, AbsentRecordTypeIsReadAsProto) {
  Call call(stub(), kAirQuality);
  zb::EphemeralStreamRequest request;
  request.mutable_create_stream()->set_table_name(kAirQuality);
  request.mutable_create_stream()->set_descriptor_proto(airQualityDescriptor().SerializeAsString());
  call.write(request);
  EXPECT_FALSE(call.readCreated().empty());
  call.sendRecord(0, airQualityRecord(0));
  EXPECT_TRUE(call.readAck(0));
  EXPECT_TRUE(call.finish().ok());
}

TEST_F(StreamProtocolTest, ProtoWithoutDescriptorIsRefused) {
  Call call(stub(), kAirQuality);
  call.create(kAirQuality, zb::PROTO, std::nullopt);
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamProtocolTest, DescriptorThatDoesNotMatchTheTableIsRefusedWithErrorInfo) {
  auto descriptor = airQualityDescriptor();
  auto* extra = descriptor.add_field();
  extra->set_name("not_a_column");
  extra->set_number(4);
  extra->set_type(google::protobuf::FieldDescriptorProto::TYPE_STRING);
  Call call(stub(), kAirQuality);
  call.create(kAirQuality, zb::PROTO, descriptor);
  grpc::Status status = call.finishWithoutHalfClose();
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "SCHEMA_VALIDATION_FAILED");
  EXPECT_NE(info.metadata().at("causes").find("FIELD_NOT_IN_TABLE"), std::string::npos);
}

TEST_F(StreamProtocolTest, DescriptorBytesThatDoNotParseAreRefused) {
  Call call(stub(), kAirQuality);
  zb::EphemeralStreamRequest request;
  request.mutable_create_stream()->set_table_name(kAirQuality);
  request.mutable_create_stream()->set_record_type(zb::PROTO);
  request.mutable_create_stream()->set_descriptor_proto("\xff\xff\xff");
  call.write(request);
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(StreamProtocolTest, GarbageBytesOnTheWireFailTheCallAndTheServerLivesOn) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(fake_->grpcPort()),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  context.AddMetadata("authorization", "Bearer test-token");
  context.AddMetadata("x-databricks-zerobus-table-name", kAirQuality);
  grpc::CompletionQueue cq;
  auto call = generic.PrepareCall(&context, "/databricks.zerobus.Zerobus/EphemeralStream", &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::Slice garbage(std::string("\xff\xfe\x01\x02 definitely not protobuf \x08", 30));
  grpc::ByteBuffer buffer(&garbage, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
  }
  EXPECT_FALSE(status.ok());
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }

  Call good(stub(), kAirQuality);
  good.createProto();
  EXPECT_FALSE(good.readCreated().empty());
  EXPECT_TRUE(good.finish().ok());
}

TEST_F(StreamProtocolTest, MessageOverTheSizeLimitIsRefused) {
  restartWith([](FakeConfig& c) { c.max_message_bytes = 64 * 1024; });
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  call.sendBatch(0, airQualityRecords(0, 1000));  // ~100 KB
  EXPECT_EQ(call.finishWithoutHalfClose().error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(counters().landed_records, 0u);
}

TEST_F(StreamProtocolTest, ClientCancelLandsNothingUnacked) {
  AckPolicy stop;
  stop.stopped = true;
  fake_->faults().setAckPolicy(stop);
  Call call(stub(), kAirQuality);
  call.createProto();
  call.readCreated();
  call.sendBatch(0, airQualityRecords(0, 4));
  ASSERT_TRUE(waitFor([&] { return counters().received_records == 4; }));
  call.cancel();
  call.finishWithoutHalfClose();
  ASSERT_TRUE(waitFor([&] { return fake_->streams().liveJson().empty(); }));
  EXPECT_EQ(counters().landed_records, 0u);
}

TEST_F(StreamProtocolTest, ManyConcurrentStreamsLandExactlyWhatWasSent) {
  constexpr int kStreams = 8;
  constexpr int kBatches = 40;
  constexpr int kPerBatch = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] {
      auto own_stub = newStub();
      Call call(*own_stub, kAirQuality);
      call.createProto();
      if (call.readCreated().empty()) ++failures;
      for (int b = 0; b < kBatches; ++b) {
        call.sendBatch(b, airQualityRecords((s * kBatches + b) * kPerBatch, kPerBatch));
      }
      if (!call.finish().ok() || call.lastAck() != kBatches - 1) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(counters().landed_records, static_cast<uint64_t>(kStreams * kBatches * kPerBatch));
  EXPECT_EQ(counters().duplicates, 0u);
  EXPECT_EQ(landedRows().size(), static_cast<size_t>(kStreams * kBatches * kPerBatch));
}

TEST_F(StreamProtocolTest, RecordsTheMetadataEachCallCarried) {
  grpc::ClientContext context;
  {
    Call call(stub(), {{"authorization", "Bearer test-token"},
                       {"x-databricks-zerobus-table-name", kAirQuality},
                       {"x-zerobus-sdk", "zerobusd-test/1"}});
    call.createProto();
    call.readCreated();
    EXPECT_TRUE(call.finish().ok());
  }
  auto streams = adminGet("/admin/streams");
  ASSERT_FALSE(streams["calls"].empty());
  EXPECT_EQ(streams["calls"].back()["x_zerobus_sdk"], "zerobusd-test/1");
  EXPECT_EQ(streams["calls"].back()["table_header"], kAirQuality);
  EXPECT_NE(streams["calls"].back()["user_agent"].get<std::string>().find("grpc-c++"),
            std::string::npos);
}

}  // namespace
}  // namespace zerobusd::fake::testing
