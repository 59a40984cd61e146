#pragma once
// The local protocol's framing (docs/protocol.md): constants, the frame and error-code enums,
// and the 8-byte header parser/encoder shared by the daemon, the client library and tools.
//
// Thread affinity: none. Free functions are pure; no global state.
// Error contract: parsers never read outside the bytes they are given and report malformed
// input as an ErrorCode (never UB, never an exception). Encoders cannot fail.

#include <cstddef>
#include <cstdint>
#include <string>

namespace zerobusd::frame {

inline constexpr uint16_t kMagic = 0x425A;  // on the wire: 0x5A 'Z', 0x42 'B'
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderSize = 8;
// The payload limit before WELCOME has announced the daemon's max_frame_bytes.
inline constexpr uint32_t kPreHandshakeMaxFrame = 65536;
// A daemon never announces less than this in WELCOME (so a client can always send a HELLO-
// sized control frame and a record of a few hundred bytes).
inline constexpr uint32_t kMinMaxFrameBytes = 1024;
inline constexpr size_t kMaxClientNameBytes = 256;
inline constexpr size_t kMaxTableNameBytes = 1024;
inline constexpr size_t kMaxStringBytes = 65535;  // a u16 length prefix
// FLUSH's handle meaning "every handle of this connection"; never assigned to a table.
inline constexpr uint32_t kAllHandles = 0xFFFFFFFF;

enum class FrameType : uint8_t {
  // client -> daemon
  kHello = 0x01,
  kOpen = 0x02,
  kRecords = 0x03,
  kFlush = 0x04,
  kPing = 0x05,
  kCloseHandle = 0x06,
  kGoodbye = 0x07,
  kStatus = 0x08,
  // daemon -> client
  kWelcome = 0x81,
  kOpenResult = 0x82,
  kAck = 0x83,
  kReject = 0x84,
  kFlushed = 0x85,
  kPong = 0x86,
  kWindow = 0x87,
  kError = 0x88,
  kDaemonGoodbye = 0x89,
  kStatusResult = 0x8A,
};

// Types a client may send / a daemon may send. A receiver that gets a known type from the wrong
// direction treats it as UNKNOWN_FRAME_TYPE.
bool isClientFrameType(uint8_t type);
bool isDaemonFrameType(uint8_t type);
const char* frameTypeName(FrameType type);

enum class ErrorCode : uint16_t {
  kOk = 0,
  kMalformedFrame = 1,
  kUnsupportedVersion = 2,
  kUnknownFrameType = 3,
  kFrameTooLarge = 4,
  kHandshakeRequired = 5,
  kUnknownTable = 6,
  kPermissionDenied = 7,
  kUnknownHandle = 8,
  kSequenceGap = 9,
  kTooManyRecords = 10,
  kInvalidRecord = 11,
  kRecordTypeMismatch = 12,
  kRecordTooLarge = 13,
  kUpstreamUnavailable = 14,
  kUpstreamRejected = 15,
  kShuttingDown = 16,
  kTimeout = 17,
  kLimitExceeded = 18,
  kInternal = 19,
};
inline constexpr uint16_t kMaxKnownErrorCode = 19;

// "MALFORMED_FRAME", ...; "UNKNOWN_ERROR_CODE" for values this version does not define (a peer
// of a later version may send them: receivers keep the number and the flags sent with it).
const char* errorName(ErrorCode code);
// The retriable flag the daemon sends with `code` unless it knows better.
bool defaultRetriable(ErrorCode code);
// Whether an ERROR frame with `code` ends the connection (fatal=1) by default.
bool defaultFatal(ErrorCode code);

enum class AckLevel : uint8_t { kAccepted = 1, kDurable = 2 };
// HELLO/WELCOME ack_levels bits.
inline constexpr uint8_t kAckBitAccepted = 0x01;
inline constexpr uint8_t kAckBitDurable = 0x02;
inline constexpr uint8_t kAckBitsAll = kAckBitAccepted | kAckBitDurable;

enum class RecordType : uint8_t { kProto = 1, kJson = 2 };

enum class GoodbyeReason : uint16_t { kAnswer = 0, kShuttingDown = 1 };

struct FrameHeader {
  uint8_t version = kVersion;
  FrameType type = FrameType::kHello;
  uint32_t payload_size = 0;
};

enum class HeaderStatus : uint8_t {
  kNeedMore,  // fewer than kHeaderSize bytes, and those present are valid so far
  kOk,        // header valid; the frame is kHeaderSize + header.payload_size bytes
  kError,     // `error` says why; the connection cannot be resynchronised
};

struct HeaderResult {
  HeaderStatus status = HeaderStatus::kNeedMore;
  FrameHeader header;
  ErrorCode error = ErrorCode::kOk;
};

// Parses the header at `data` (which may hold fewer than kHeaderSize bytes; a partial header is
// still checked as far as it goes so bad input fails fast). Checks, in this order: magic
// (MALFORMED_FRAME), version (UNSUPPORTED_VERSION), type known in either direction
// (UNKNOWN_FRAME_TYPE), payload length <= max_payload (FRAME_TOO_LARGE).
HeaderResult parseHeader(const uint8_t* data, size_t size, uint32_t max_payload);

// Appends a header. Payload encoders call this; exposed for tests and tools.
void encodeHeader(std::string& out, FrameType type, uint32_t payload_size);

}  // namespace zerobusd::frame
