// Payload codec: every frame type round-trips through encoder and parser (fields and bytes);
// every malformed payload is refused with the right code, including every truncation and a
// trailing byte of every valid frame.

#include "common/frame/messages.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/frame/wire.h"
#include "tests/frame/fuzz_check.h"
#include "tests/frame/test_util.h"

namespace zerobusd::frame {
namespace {

using testing::Bytes;
using testing::payloadOf;

constexpr uint64_t kMax64 = UINT64_MAX;

// ---- round trips ----

TEST(MessagesTest, HelloRoundTrips) {
  std::string frame;
  encodeHello(frame, kAckBitDurable, "producer-7");
  Hello hello;
  ErrorCode error = ErrorCode::kInternal;
  ASSERT_TRUE(parseHello(payloadOf(frame, FrameType::kHello), &hello, &error));
  EXPECT_EQ(error, ErrorCode::kOk);
  EXPECT_EQ(hello.ack_levels, kAckBitDurable);
  EXPECT_EQ(hello.flags, 0);
  EXPECT_EQ(hello.client_name, "producer-7");
}

TEST(MessagesTest, OpenRoundTrips) {
  std::string frame;
  encodeOpen(frame, 0xDEADBEEF, RecordType::kProto, "main.sales.orders");
  Open open;
  ErrorCode error;
  ASSERT_TRUE(parseOpen(payloadOf(frame, FrameType::kOpen), &open, &error));
  EXPECT_EQ(open.request_id, 0xDEADBEEF);
  EXPECT_EQ(open.record_type, RecordType::kProto);
  EXPECT_EQ(open.table, "main.sales.orders");
}

TEST(MessagesTest, RecordsRoundTripWithoutCopying) {
  const std::vector<std::string> records = {"", "a", std::string(300, 'x'), "{\"id\":1}"};
  std::string frame = "prefix";  // the encoder appends; it must not touch what is there
  RecordsEncoder encoder;
  encoder.begin(frame, 7, kMax64 - 4);
  for (const auto& record : records) encoder.add(frame, record);
  EXPECT_EQ(encoder.count(), 4u);
  EXPECT_EQ(encoder.recordBytes(), 309u);
  EXPECT_EQ(encoder.payloadSize(), recordsPayloadSize(4, 309));
  encoder.finish(frame);
  EXPECT_FALSE(encoder.active());
  ASSERT_EQ(frame.substr(0, 6), "prefix");
  frame.erase(0, 6);

  RecordsView view;
  ErrorCode error;
  const std::string_view payload = payloadOf(frame, FrameType::kRecords);
  ASSERT_EQ(payload.size(), recordsPayloadSize(4, 309));
  ASSERT_TRUE(parseRecords(payload, &view, &error));
  EXPECT_EQ(view.handle, 7u);
  EXPECT_EQ(view.first_seq, kMax64 - 4);
  EXPECT_EQ(view.count, 4u);
  EXPECT_EQ(view.record_bytes, 309u);
  std::vector<std::string> seen;
  for (std::string_view record : view) {
    // Views point into the payload: nothing was copied.
    EXPECT_GE(record.data(), payload.data());
    EXPECT_LE(record.data() + record.size(), payload.data() + payload.size());
    seen.emplace_back(record);
  }
  EXPECT_EQ(seen, records);
}

TEST(MessagesTest, RecordsEncoderSurvivesBufferMovesBetweenAdds) {
  std::string frame;
  RecordsEncoder encoder;
  encoder.begin(frame, 1, 0);
  encoder.add(frame, "one");
  std::string moved = std::move(frame);
  moved.reserve(1 << 16);  // force a reallocation
  encoder.add(moved, "two");
  encoder.finish(moved);
  RecordsView view;
  ErrorCode error;
  ASSERT_TRUE(parseRecords(payloadOf(moved, FrameType::kRecords), &view, &error));
  std::vector<std::string_view> seen(view.begin(), view.end());
  EXPECT_EQ(seen, (std::vector<std::string_view>{"one", "two"}));
}

TEST(MessagesTest, FlushPingCloseHandleGoodbyeStatusRoundTrip) {
  std::string frame;
  encodeFlush(frame, 9, kAllHandles);
  Flush flush;
  ErrorCode error;
  ASSERT_TRUE(parseFlush(payloadOf(frame, FrameType::kFlush), &flush, &error));
  EXPECT_EQ(flush.request_id, 9u);
  EXPECT_EQ(flush.handle, kAllHandles);

  frame.clear();
  encodePing(frame, kMax64);
  Ping ping;
  ASSERT_TRUE(parsePing(payloadOf(frame, FrameType::kPing), &ping, &error));
  EXPECT_EQ(ping.nonce, kMax64);

  frame.clear();
  encodeCloseHandle(frame, 42);
  CloseHandle close;
  ASSERT_TRUE(parseCloseHandle(payloadOf(frame, FrameType::kCloseHandle), &close, &error));
  EXPECT_EQ(close.handle, 42u);

  frame.clear();
  encodeGoodbye(frame);
  EXPECT_EQ(frame.size(), kHeaderSize);
  EXPECT_TRUE(parseGoodbye(payloadOf(frame, FrameType::kGoodbye), &error));

  frame.clear();
  encodeStatus(frame, 77);
  StatusRequest status;
  ASSERT_TRUE(parseStatus(payloadOf(frame, FrameType::kStatus), &status, &error));
  EXPECT_EQ(status.request_id, 77u);
}

TEST(MessagesTest, WelcomeRoundTrips) {
  Welcome in;
  in.ack_levels = kAckBitAccepted;
  in.max_frame_bytes = 1 << 20;
  in.max_records_per_frame = 1000;
  in.window_records = 100000;
  in.window_bytes = kMax64;
  in.daemon_version = "zerobusd 0.1.0";
  std::string frame;
  encodeWelcome(frame, in);
  Welcome out;
  ErrorCode error;
  ASSERT_TRUE(parseWelcome(payloadOf(frame, FrameType::kWelcome), &out, &error));
  EXPECT_EQ(out.version, kVersion);
  EXPECT_EQ(out.ack_levels, kAckBitAccepted);
  EXPECT_EQ(out.max_frame_bytes, 1u << 20);
  EXPECT_EQ(out.max_records_per_frame, 1000u);
  EXPECT_EQ(out.window_records, 100000u);
  EXPECT_EQ(out.window_bytes, kMax64);
  EXPECT_EQ(out.daemon_version, "zerobusd 0.1.0");
}

TEST(MessagesTest, OpenResultRoundTripsForSuccessAndRefusal) {
  std::string frame;
  encodeOpenResult(frame, 3, ErrorCode::kOk, 12, "");
  OpenResult result;
  ErrorCode error;
  ASSERT_TRUE(parseOpenResult(payloadOf(frame, FrameType::kOpenResult), &result, &error));
  EXPECT_EQ(result.request_id, 3u);
  EXPECT_EQ(result.error_code, ErrorCode::kOk);
  EXPECT_EQ(result.handle, 12u);

  frame.clear();
  encodeOpenResult(frame, 4, ErrorCode::kUnknownTable, 0, "no such table: a.b.c");
  ASSERT_TRUE(parseOpenResult(payloadOf(frame, FrameType::kOpenResult), &result, &error));
  EXPECT_EQ(result.error_code, ErrorCode::kUnknownTable);
  EXPECT_EQ(result.handle, 0u);
  EXPECT_EQ(result.message, "no such table: a.b.c");
}

TEST(MessagesTest, AckRejectFlushedRoundTrip) {
  std::string frame;
  encodeAck(frame, 5, AckLevel::kDurable, kMax64);
  Ack ack;
  ErrorCode error;
  ASSERT_TRUE(parseAck(payloadOf(frame, FrameType::kAck), &ack, &error));
  EXPECT_EQ(ack.handle, 5u);
  EXPECT_EQ(ack.level, AckLevel::kDurable);
  EXPECT_EQ(ack.next_seq, kMax64);

  frame.clear();
  encodeReject(frame, 5, 100, 3, ErrorCode::kInvalidRecord, false, "not a JSON object");
  Reject reject;
  ASSERT_TRUE(parseReject(payloadOf(frame, FrameType::kReject), &reject, &error));
  EXPECT_EQ(reject.handle, 5u);
  EXPECT_EQ(reject.first_seq, 100u);
  EXPECT_EQ(reject.count, 3u);
  EXPECT_EQ(reject.error_code, ErrorCode::kInvalidRecord);
  EXPECT_FALSE(reject.retriable);
  EXPECT_EQ(reject.message, "not a JSON object");

  frame.clear();
  encodeFlushed(frame, 8, ErrorCode::kTimeout, "flush timed out");
  Flushed flushed;
  ASSERT_TRUE(parseFlushed(payloadOf(frame, FrameType::kFlushed), &flushed, &error));
  EXPECT_EQ(flushed.request_id, 8u);
  EXPECT_EQ(flushed.error_code, ErrorCode::kTimeout);
  EXPECT_EQ(flushed.message, "flush timed out");
}

TEST(MessagesTest, PongWindowErrorGoodbyeStatusResultRoundTrip) {
  std::string frame;
  ErrorCode error;
  encodePong(frame, 0x0102030405060708);
  Pong pong;
  ASSERT_TRUE(parsePong(payloadOf(frame, FrameType::kPong), &pong, &error));
  EXPECT_EQ(pong.nonce, 0x0102030405060708u);

  frame.clear();
  encodeWindow(frame, 0, kMax64);  // a zero window is legal: "send nothing new for now"
  Window window;
  ASSERT_TRUE(parseWindow(payloadOf(frame, FrameType::kWindow), &window, &error));
  EXPECT_EQ(window.window_records, 0u);
  EXPECT_EQ(window.window_bytes, kMax64);

  frame.clear();
  encodeError(frame, ErrorCode::kSequenceGap, false, true, 4, "expected seq 10, got 12");
  ErrorFrame err;
  ASSERT_TRUE(parseError(payloadOf(frame, FrameType::kError), &err, &error));
  EXPECT_EQ(err.error_code, ErrorCode::kSequenceGap);
  EXPECT_FALSE(err.retriable);
  EXPECT_TRUE(err.fatal);
  EXPECT_EQ(err.context, 4u);
  EXPECT_EQ(err.message, "expected seq 10, got 12");

  frame.clear();
  encodeDaemonGoodbye(frame, GoodbyeReason::kShuttingDown, "SIGTERM");
  DaemonGoodbye goodbye;
  ASSERT_TRUE(parseDaemonGoodbye(payloadOf(frame, FrameType::kDaemonGoodbye), &goodbye, &error));
  EXPECT_EQ(goodbye.reason, GoodbyeReason::kShuttingDown);
  EXPECT_EQ(goodbye.message, "SIGTERM");

  frame.clear();
  encodeStatusResult(frame, 6, R"({"ready":true})");
  StatusResult status;
  ASSERT_TRUE(parseStatusResult(payloadOf(frame, FrameType::kStatusResult), &status, &error));
  EXPECT_EQ(status.request_id, 6u);
  EXPECT_EQ(status.json, R"({"ready":true})");
}

TEST(MessagesTest, UnknownErrorCodesFromLaterVersionsAreKept) {
  std::string frame;
  encodeReject(frame, 1, 0, 1, static_cast<ErrorCode>(4242), true, "future");
  Reject reject;
  ErrorCode error;
  ASSERT_TRUE(parseReject(payloadOf(frame, FrameType::kReject), &reject, &error));
  EXPECT_EQ(static_cast<uint16_t>(reject.error_code), 4242);
  EXPECT_TRUE(reject.retriable);
  EXPECT_STREQ(errorName(reject.error_code), "UNKNOWN_ERROR_CODE");
}

// ---- generic malformed properties over one valid sample of every type ----

struct Sample {
  FrameType type;
  std::string frame;
};

std::vector<Sample> validSamples() {
  std::vector<Sample> samples;
  auto add = [&samples](FrameType type, auto encode) {
    std::string frame;
    encode(frame);
    samples.push_back({type, frame});
  };
  add(FrameType::kHello, [](std::string& f) { encodeHello(f, 3, "demo"); });
  add(FrameType::kOpen, [](std::string& f) { encodeOpen(f, 1, RecordType::kJson, "a.b.c"); });
  add(FrameType::kRecords, [](std::string& f) {
    RecordsEncoder e;
    e.begin(f, 1, 0);
    e.add(f, "{}");
    e.add(f, "{\"k\":2}");
    e.finish(f);
  });
  add(FrameType::kFlush, [](std::string& f) { encodeFlush(f, 2, 1); });
  add(FrameType::kPing, [](std::string& f) { encodePing(f, 3); });
  add(FrameType::kCloseHandle, [](std::string& f) { encodeCloseHandle(f, 1); });
  add(FrameType::kGoodbye, [](std::string& f) { encodeGoodbye(f); });
  add(FrameType::kStatus, [](std::string& f) { encodeStatus(f, 4); });
  add(FrameType::kWelcome, [](std::string& f) {
    encodeWelcome(f, Welcome{1, 3, 65536, 100, 1000, 1 << 20, "v"});
  });
  add(FrameType::kOpenResult,
      [](std::string& f) { encodeOpenResult(f, 1, ErrorCode::kOk, 1, "ok"); });
  add(FrameType::kAck, [](std::string& f) { encodeAck(f, 1, AckLevel::kAccepted, 2); });
  add(FrameType::kReject, [](std::string& f) {
    encodeReject(f, 1, 0, 1, ErrorCode::kInvalidRecord, false, "bad");
  });
  add(FrameType::kFlushed, [](std::string& f) { encodeFlushed(f, 2, ErrorCode::kOk, ""); });
  add(FrameType::kPong, [](std::string& f) { encodePong(f, 3); });
  add(FrameType::kWindow, [](std::string& f) { encodeWindow(f, 10, 1000); });
  add(FrameType::kError, [](std::string& f) {
    encodeError(f, ErrorCode::kUnknownHandle, false, false, 9, "no handle 9");
  });
  add(FrameType::kDaemonGoodbye,
      [](std::string& f) { encodeDaemonGoodbye(f, GoodbyeReason::kAnswer, "bye"); });
  add(FrameType::kStatusResult, [](std::string& f) { encodeStatusResult(f, 5, "{}"); });
  return samples;
}

TEST(MessagesTest, EveryTypeHasAValidSampleThatReencodesIdentically) {
  const auto samples = validSamples();
  EXPECT_EQ(samples.size(), 18u);
  for (const auto& sample : samples) {
    SCOPED_TRACE(frameTypeName(sample.type));
    std::string again;
    ErrorCode error = ErrorCode::kInternal;
    ASSERT_TRUE(
        testing::reencode(sample.type, payloadOf(sample.frame, sample.type), &again, &error));
    EXPECT_EQ(error, ErrorCode::kOk);
    EXPECT_EQ(again, sample.frame);
  }
}

TEST(MessagesTest, EveryTruncationOfEveryPayloadIsMalformed) {
  for (const auto& sample : validSamples()) {
    SCOPED_TRACE(frameTypeName(sample.type));
    const std::string_view payload = payloadOf(sample.frame, sample.type);
    for (size_t n = 0; n < payload.size(); ++n) {
      std::string out;
      ErrorCode error = ErrorCode::kOk;
      EXPECT_FALSE(testing::reencode(sample.type, payload.substr(0, n), &out, &error)) << n;
      EXPECT_EQ(error, ErrorCode::kMalformedFrame) << n;
    }
  }
}

TEST(MessagesTest, TrailingBytesAreMalformed) {
  for (const auto& sample : validSamples()) {
    SCOPED_TRACE(frameTypeName(sample.type));
    std::string payload(payloadOf(sample.frame, sample.type));
    payload.push_back('\0');
    std::string out;
    ErrorCode error = ErrorCode::kOk;
    EXPECT_FALSE(testing::reencode(sample.type, payload, &out, &error));
    EXPECT_EQ(error, ErrorCode::kMalformedFrame);
  }
}

// ---- specific malformed payloads ----

template <typename Parse>
void expectMalformed(const std::string& payload, Parse parse,
                     ErrorCode expected = ErrorCode::kMalformedFrame) {
  ErrorCode error = ErrorCode::kOk;
  EXPECT_FALSE(parse(payload, &error));
  EXPECT_EQ(error, expected);
}

auto helloParser() {
  return [](const std::string& p, ErrorCode* e) {
    Hello h;
    return parseHello(p, &h, e);
  };
}

TEST(MessagesTest, HelloRefusesBadAckLevelsFlagsAndNames) {
  expectMalformed(Bytes().u8(0).u8(0).str("x").data, helloParser());  // no ack level
  expectMalformed(Bytes().u8(4).u8(0).str("x").data, helloParser());  // unknown bit
  expectMalformed(Bytes().u8(0xFF).u8(0).str("x").data, helloParser());
  expectMalformed(Bytes().u8(1).u8(1).str("x").data, helloParser());  // flags must be 0
  expectMalformed(Bytes().u8(1).u8(0).str(std::string(257, 'n')).data, helloParser());
  expectMalformed(Bytes().u8(1).u8(0).str("\xC0\x80").data, helloParser());  // overlong NUL
  expectMalformed(Bytes().u8(1).u8(0).u16(5).raw("abc").data, helloParser());  // short string
  ErrorCode error;
  Hello hello;
  EXPECT_TRUE(parseHello(Bytes().u8(3).u8(0).str(std::string(256, 'n')).data, &hello, &error));
  EXPECT_TRUE(parseHello(Bytes().u8(2).u8(0).str("").data, &hello, &error));
}

TEST(MessagesTest, OpenRefusesBadRecordTypeAndLongTable) {
  auto parse = [](const std::string& p, ErrorCode* e) {
    Open o;
    return parseOpen(p, &o, e);
  };
  expectMalformed(Bytes().u32(1).u8(0).str("a.b.c").data, parse);
  expectMalformed(Bytes().u32(1).u8(3).str("a.b.c").data, parse);
  expectMalformed(Bytes().u32(1).u8(1).str(std::string(1025, 't')).data, parse);
  ErrorCode error;
  Open open;
  EXPECT_TRUE(parseOpen(Bytes().u32(1).u8(1).str(std::string(1024, 't')).data, &open, &error));
}

TEST(MessagesTest, RecordsRefusesBadCountsAndLengths) {
  auto parse = [](const std::string& p, ErrorCode* e) {
    RecordsView v;
    return parseRecords(p, &v, e);
  };
  auto one = [](uint64_t count) { return Bytes().u32(1).u64(0).u32(count); };
  expectMalformed(one(0).data, parse);                                 // empty frame
  expectMalformed(one(2).u32(1).raw("a").data, parse);                 // fewer records
  expectMalformed(one(1).u32(2).raw("a").data, parse);                 // length past end
  expectMalformed(one(1).u32(0xFFFFFFFF).raw("a").data, parse);        // huge length
  expectMalformed(one(1).u32(1).raw("ab").data, parse);                // trailing byte
  expectMalformed(one(0xFFFFFFFF).u32(0).data, parse);                 // huge count
  expectMalformed(Bytes().u32(1).u64(UINT64_MAX).u32(2).u32(0).u32(0).data, parse);  // seq wrap
  ErrorCode error;
  RecordsView view;
  EXPECT_FALSE(parseRecords(one(3).u32(0).u32(0).u32(0).data, &view, &error, 2));
  EXPECT_EQ(error, ErrorCode::kTooManyRecords);
  EXPECT_TRUE(parseRecords(one(2).u32(0).u32(0).data, &view, &error, 2));
  EXPECT_TRUE(parseRecords(Bytes().u32(1).u64(UINT64_MAX - 1).u32(1).u32(0).data, &view, &error));
}

TEST(MessagesTest, AckRejectRefuseBadEnumsAndRanges) {
  auto ack = [](const std::string& p, ErrorCode* e) {
    Ack a;
    return parseAck(p, &a, e);
  };
  expectMalformed(Bytes().u32(1).u8(0).u64(1).data, ack);
  expectMalformed(Bytes().u32(1).u8(3).u64(1).data, ack);
  auto reject = [](const std::string& p, ErrorCode* e) {
    Reject r;
    return parseReject(p, &r, e);
  };
  expectMalformed(Bytes().u32(1).u64(0).u32(0).u16(11).u8(0).str("").data, reject);  // count 0
  expectMalformed(Bytes().u32(1).u64(0).u32(1).u16(0).u8(0).str("").data, reject);   // code OK
  expectMalformed(Bytes().u32(1).u64(0).u32(1).u16(11).u8(2).str("").data, reject);  // flag 2
  expectMalformed(Bytes().u32(1).u64(UINT64_MAX).u32(2).u16(11).u8(0).str("").data, reject);
  expectMalformed(Bytes().u32(1).u64(0).u32(1).u16(11).u8(0).str("\xED\xA0\x80").data,
                  reject);  // surrogate in message
}

TEST(MessagesTest, WelcomeRefusesLimitsThatCouldStallAClient) {
  auto parse = [](const std::string& p, ErrorCode* e) {
    Welcome w;
    return parseWelcome(p, &w, e);
  };
  auto welcome = [](uint64_t version, uint64_t levels, uint64_t reserved, uint64_t frame,
                    uint64_t records, uint64_t window_records, uint64_t window_bytes) {
    return Bytes()
        .u8(version).u8(levels).u16(reserved).u32(frame).u32(records)
        .u64(window_records).u64(window_bytes).str("v").data;
  };
  ErrorCode error;
  Welcome w;
  EXPECT_TRUE(parseWelcome(welcome(1, 3, 0, 1024, 1, 1, 1024), &w, &error));
  expectMalformed(welcome(2, 3, 0, 1024, 1, 1, 1024), parse);     // version
  expectMalformed(welcome(1, 0, 0, 1024, 1, 1, 1024), parse);     // no ack level
  expectMalformed(welcome(1, 8, 0, 1024, 1, 1, 1024), parse);     // unknown bit
  expectMalformed(welcome(1, 3, 1, 1024, 1, 1, 1024), parse);     // reserved
  expectMalformed(welcome(1, 3, 0, 1023, 1, 1, 1024), parse);     // frame limit too small
  expectMalformed(welcome(1, 3, 0, 1024, 0, 1, 1024), parse);     // zero records per frame
  expectMalformed(welcome(1, 3, 0, 1024, 10, 9, 1024), parse);    // window < one frame
  expectMalformed(welcome(1, 3, 0, 2048, 1, 1, 2047), parse);     // window bytes < one frame
}

TEST(MessagesTest, OpenResultHandleMustMatchTheOutcome) {
  auto parse = [](const std::string& p, ErrorCode* e) {
    OpenResult r;
    return parseOpenResult(p, &r, e);
  };
  expectMalformed(Bytes().u32(1).u16(0).u32(0).str("").data, parse);           // OK, handle 0
  expectMalformed(Bytes().u32(1).u16(0).u32(0xFFFFFFFF).str("").data, parse);  // reserved
  expectMalformed(Bytes().u32(1).u16(6).u32(3).str("").data, parse);           // error+handle
}

TEST(MessagesTest, ErrorGoodbyeStatusResultRefuseBadFields) {
  auto err = [](const std::string& p, ErrorCode* e) {
    ErrorFrame f;
    return parseError(p, &f, e);
  };
  expectMalformed(Bytes().u16(0).u8(0).u8(1).u32(0).str("").data, err);  // code OK
  expectMalformed(Bytes().u16(1).u8(2).u8(1).u32(0).str("").data, err);  // retriable 2
  expectMalformed(Bytes().u16(1).u8(0).u8(2).u32(0).str("").data, err);  // fatal 2
  auto bye = [](const std::string& p, ErrorCode* e) {
    DaemonGoodbye g;
    return parseDaemonGoodbye(p, &g, e);
  };
  expectMalformed(Bytes().u16(2).str("").data, bye);
  auto status = [](const std::string& p, ErrorCode* e) {
    StatusResult s;
    return parseStatusResult(p, &s, e);
  };
  expectMalformed(Bytes().u32(1).u32(3).raw("{}").data, status);     // length past end
  expectMalformed(Bytes().u32(1).u32(1).raw("{}").data, status);     // trailing byte
  expectMalformed(Bytes().u32(1).u32(2).raw("\xFF}").data, status);  // not UTF-8
  auto goodbye = [](const std::string& p, ErrorCode* e) { return parseGoodbye(p, e); };
  expectMalformed(Bytes().u8(0).data, goodbye);
}

// ---- strings ----

TEST(WireTest, Utf8ValidationFollowsRfc3629) {
  using wire::isValidUtf8;
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(isValidUtf8("\xF4\x8F\xBF\xBF"));                          // U+10FFFF
  EXPECT_FALSE(isValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(isValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(isValidUtf8("\xC1\xBF"));          // overlong
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(isValidUtf8("\xF0\x80\x80\xAF"));  // overlong
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(isValidUtf8("\xC3\x28"));          // bad continuation
}

TEST(WireTest, LongMessagesAreCutAtACharacterBoundary) {
  // 21845 three-byte characters = 65535 bytes fit; one more does not and must not be split.
  std::string text;
  for (int i = 0; i < 21846; ++i) text += "\xE2\x82\xAC";
  std::string frame;
  encodeFlushed(frame, 1, ErrorCode::kTimeout, text + "tail");
  Flushed flushed;
  ErrorCode error;
  ASSERT_TRUE(parseFlushed(payloadOf(frame, FrameType::kFlushed), &flushed, &error));
  EXPECT_EQ(flushed.message.size(), 65535u);
  EXPECT_TRUE(wire::isValidUtf8(flushed.message));

  std::string text2(65534, 'a');
  text2 += "\xE2\x82\xAC";  // would straddle the limit
  frame.clear();
  encodeFlushed(frame, 1, ErrorCode::kTimeout, text2);
  ASSERT_TRUE(parseFlushed(payloadOf(frame, FrameType::kFlushed), &flushed, &error));
  EXPECT_EQ(flushed.message, std::string(65534, 'a'));
}

}  // namespace
}  // namespace zerobusd::frame
