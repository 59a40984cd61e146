// Frame header: bytes on the wire, the checks parseHeader makes (in order, on partial input
// too), and the error-code table's names and default flags.

#include "common/frame/frame.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/frame/test_util.h"

namespace zerobusd::frame {
namespace {

using testing::bytesOf;
using testing::fromHex;

TEST(FrameHeaderTest, EncodesMagicVersionTypeAndLengthLittleEndian) {
  std::string header;
  encodeHeader(header, FrameType::kRecords, 0x01020304);
  EXPECT_EQ(header, fromHex("5a 42 01 03 04 03 02 01"));
}

TEST(FrameHeaderTest, ParsesAValidHeader) {
  const std::string header = fromHex("5a 42 01 83 0d 00 00 00");
  const HeaderResult result = parseHeader(bytesOf(header), header.size(), 13);
  ASSERT_EQ(result.status, HeaderStatus::kOk);
  EXPECT_EQ(result.header.version, 1);
  EXPECT_EQ(result.header.type, FrameType::kAck);
  EXPECT_EQ(result.header.payload_size, 13u);
}

TEST(FrameHeaderTest, NeedsMoreForEveryValidPrefix) {
  const std::string header = fromHex("5a 42 01 01 08 00 00 00");
  for (size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_EQ(parseHeader(bytesOf(header), n, 100).status, HeaderStatus::kNeedMore) << n;
  }
}

TEST(FrameHeaderTest, RefusesBadBytesAsSoonAsTheyArrive) {
  struct Case {
    const char* hex;
    size_t size;
    ErrorCode error;
  };
  const Case cases[] = {
      {"42", 1, ErrorCode::kMalformedFrame},           // byte order swapped
      {"5a 5a", 2, ErrorCode::kMalformedFrame},
      {"5a 42 00", 3, ErrorCode::kUnsupportedVersion},
      {"5a 42 02", 3, ErrorCode::kUnsupportedVersion},
      {"5a 42 01 00", 4, ErrorCode::kUnknownFrameType},
      {"5a 42 01 09", 4, ErrorCode::kUnknownFrameType},
      {"5a 42 01 80", 4, ErrorCode::kUnknownFrameType},
      {"5a 42 01 8b", 4, ErrorCode::kUnknownFrameType},
      {"5a 42 01 ff", 4, ErrorCode::kUnknownFrameType},
      {"5a 42 01 03 01 00 01 00", 8, ErrorCode::kFrameTooLarge},  // 65537 > 65536
      {"5a 42 01 03 ff ff ff ff", 8, ErrorCode::kFrameTooLarge},
      // The first bad field wins, even when a later one is bad too.
      {"5a 42 07 ff ff ff ff ff", 8, ErrorCode::kUnsupportedVersion},
  };
  for (const auto& c : cases) {
    const std::string bytes = fromHex(c.hex);
    ASSERT_EQ(bytes.size(), c.size);
    const HeaderResult result = parseHeader(bytesOf(bytes), bytes.size(), kPreHandshakeMaxFrame);
    EXPECT_EQ(result.status, HeaderStatus::kError) << c.hex;
    EXPECT_EQ(result.error, c.error) << c.hex;
  }
}

TEST(FrameHeaderTest, AcceptsExactlyTheLimit) {
  const std::string header = fromHex("5a 42 01 03 00 00 01 00");  // 65536
  EXPECT_EQ(parseHeader(bytesOf(header), 8, kPreHandshakeMaxFrame).status, HeaderStatus::kOk);
  EXPECT_EQ(parseHeader(bytesOf(header), 8, kPreHandshakeMaxFrame - 1).error,
            ErrorCode::kFrameTooLarge);
}

TEST(FrameHeaderTest, DirectionsOfFrameTypes) {
  for (int type = 0; type < 256; ++type) {
    const auto t = static_cast<uint8_t>(type);
    EXPECT_EQ(isClientFrameType(t), type >= 1 && type <= 8) << type;
    EXPECT_EQ(isDaemonFrameType(t), type >= 0x81 && type <= 0x8A) << type;
  }
  EXPECT_STREQ(frameTypeName(FrameType::kStatusResult), "STATUS_RESULT");
  EXPECT_STREQ(frameTypeName(static_cast<FrameType>(0x42)), "UNKNOWN_FRAME_TYPE");
}

TEST(ErrorCodeTest, NamesAndDefaultFlagsFollowTheProtocolTable) {
  struct Row {
    ErrorCode code;
    const char* name;
    bool retriable;
    bool fatal;
  };
  const Row rows[] = {
      {ErrorCode::kOk, "OK", false, false},
      {ErrorCode::kMalformedFrame, "MALFORMED_FRAME", false, true},
      {ErrorCode::kUnsupportedVersion, "UNSUPPORTED_VERSION", false, true},
      {ErrorCode::kUnknownFrameType, "UNKNOWN_FRAME_TYPE", false, true},
      {ErrorCode::kFrameTooLarge, "FRAME_TOO_LARGE", false, true},
      {ErrorCode::kHandshakeRequired, "HANDSHAKE_REQUIRED", false, true},
      {ErrorCode::kUnknownTable, "UNKNOWN_TABLE", false, false},
      {ErrorCode::kPermissionDenied, "PERMISSION_DENIED", false, false},
      {ErrorCode::kUnknownHandle, "UNKNOWN_HANDLE", false, false},
      {ErrorCode::kSequenceGap, "SEQUENCE_GAP", false, true},
      {ErrorCode::kTooManyRecords, "TOO_MANY_RECORDS", false, true},
      {ErrorCode::kInvalidRecord, "INVALID_RECORD", false, false},
      {ErrorCode::kRecordTypeMismatch, "RECORD_TYPE_MISMATCH", false, false},
      {ErrorCode::kRecordTooLarge, "RECORD_TOO_LARGE", false, false},
      {ErrorCode::kUpstreamUnavailable, "UPSTREAM_UNAVAILABLE", true, false},
      {ErrorCode::kUpstreamRejected, "UPSTREAM_REJECTED", false, false},
      {ErrorCode::kShuttingDown, "SHUTTING_DOWN", true, false},
      {ErrorCode::kTimeout, "TIMEOUT", true, false},
      {ErrorCode::kLimitExceeded, "LIMIT_EXCEEDED", true, false},
      {ErrorCode::kInternal, "INTERNAL", true, false},
  };
  EXPECT_EQ(std::size(rows), size_t{kMaxKnownErrorCode} + 1);
  for (const auto& row : rows) {
    EXPECT_STREQ(errorName(row.code), row.name);
    EXPECT_EQ(defaultRetriable(row.code), row.retriable) << row.name;
    EXPECT_EQ(defaultFatal(row.code), row.fatal) << row.name;
  }
  EXPECT_STREQ(errorName(static_cast<ErrorCode>(20)), "UNKNOWN_ERROR_CODE");
}

}  // namespace
}  // namespace zerobusd::frame
