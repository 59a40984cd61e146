#include "common/frame/frame.h"

#include "common/frame/wire.h"

namespace zerobusd::frame {

bool isClientFrameType(uint8_t type) { return type >= 0x01 && type <= 0x08; }
bool isDaemonFrameType(uint8_t type) { return type >= 0x81 && type <= 0x8A; }

const char* frameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kHello: return "HELLO";
    case FrameType::kOpen: return "OPEN";
    case FrameType::kRecords: return "RECORDS";
    case FrameType::kFlush: return "FLUSH";
    case FrameType::kPing: return "PING";
    case FrameType::kCloseHandle: return "CLOSE_HANDLE";
    case FrameType::kGoodbye: return "GOODBYE";
    case FrameType::kStatus: return "STATUS";
    case FrameType::kWelcome: return "WELCOME";
    case FrameType::kOpenResult: return "OPEN_RESULT";
    case FrameType::kAck: return "ACK";
    case FrameType::kReject: return "REJECT";
    case FrameType::kFlushed: return "FLUSHED";
    case FrameType::kPong: return "PONG";
    case FrameType::kWindow: return "WINDOW";
    case FrameType::kError: return "ERROR";
    case FrameType::kDaemonGoodbye: return "GOODBYE";
    case FrameType::kStatusResult: return "STATUS_RESULT";
  }
  return "UNKNOWN_FRAME_TYPE";
}

const char* errorName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kMalformedFrame: return "MALFORMED_FRAME";
    case ErrorCode::kUnsupportedVersion: return "UNSUPPORTED_VERSION";
    case ErrorCode::kUnknownFrameType: return "UNKNOWN_FRAME_TYPE";
    case ErrorCode::kFrameTooLarge: return "FRAME_TOO_LARGE";
    case ErrorCode::kHandshakeRequired: return "HANDSHAKE_REQUIRED";
    case ErrorCode::kUnknownTable: return "UNKNOWN_TABLE";
    case ErrorCode::kPermissionDenied: return "PERMISSION_DENIED";
    case ErrorCode::kUnknownHandle: return "UNKNOWN_HANDLE";
    case ErrorCode::kSequenceGap: return "SEQUENCE_GAP";
    case ErrorCode::kTooManyRecords: return "TOO_MANY_RECORDS";
    case ErrorCode::kInvalidRecord: return "INVALID_RECORD";
    case ErrorCode::kRecordTypeMismatch: return "RECORD_TYPE_MISMATCH";
    case ErrorCode::kRecordTooLarge: return "RECORD_TOO_LARGE";
    case ErrorCode::kUpstreamUnavailable: return "UPSTREAM_UNAVAILABLE";
    case ErrorCode::kUpstreamRejected: return "UPSTREAM_REJECTED";
    case ErrorCode::kShuttingDown: return "SHUTTING_DOWN";
    case ErrorCode::kTimeout: return "TIMEOUT";
    case ErrorCode::kLimitExceeded: return "LIMIT_EXCEEDED";
    case ErrorCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN_ERROR_CODE";
}

bool defaultRetriable(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUpstreamUnavailable:
    case ErrorCode::kShuttingDown:
    case ErrorCode::kTimeout:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kInternal:
      return true;
    default:
      return false;
  }
}

bool defaultFatal(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformedFrame:
    case ErrorCode::kUnsupportedVersion:
    case ErrorCode::kUnknownFrameType:
    case ErrorCode::kFrameTooLarge:
    case ErrorCode::kHandshakeRequired:
    case ErrorCode::kSequenceGap:
    case ErrorCode::kTooManyRecords:
      return true;
    default:
      return false;
  }
}

HeaderResult parseHeader(const uint8_t* data, size_t size, uint32_t max_payload) {
  HeaderResult result;
  auto fail = [&result](ErrorCode code) {
    result.status = HeaderStatus::kError;
    result.error = code;
    return result;
  };
  // Each byte is judged as soon as it arrives, so garbage is refused before a whole header of
  // it has been waited for.
  if (size >= 1 && data[0] != static_cast<uint8_t>(kMagic & 0xFF)) {
    return fail(ErrorCode::kMalformedFrame);
  }
  if (size >= 2 && data[1] != static_cast<uint8_t>(kMagic >> 8)) {
    return fail(ErrorCode::kMalformedFrame);
  }
  if (size >= 3 && data[2] != kVersion) return fail(ErrorCode::kUnsupportedVersion);
  if (size >= 4 && !isClientFrameType(data[3]) && !isDaemonFrameType(data[3])) {
    return fail(ErrorCode::kUnknownFrameType);
  }
  if (size < kHeaderSize) return result;  // kNeedMore
  const uint32_t length = static_cast<uint32_t>(data[4]) | static_cast<uint32_t>(data[5]) << 8 |
                          static_cast<uint32_t>(data[6]) << 16 |
                          static_cast<uint32_t>(data[7]) << 24;
  if (length > max_payload) return fail(ErrorCode::kFrameTooLarge);
  result.status = HeaderStatus::kOk;
  result.header.version = data[2];
  result.header.type = static_cast<FrameType>(data[3]);
  result.header.payload_size = length;
  return result;
}

void encodeHeader(std::string& out, FrameType type, uint32_t payload_size) {
  wire::appendU16(out, kMagic);
  wire::appendU8(out, kVersion);
  wire::appendU8(out, static_cast<uint8_t>(type));
  wire::appendU32(out, payload_size);
}

}  // namespace zerobusd::frame
