#pragma once
// Incremental frame decoder: bytes go in as they arrive from a stream socket, whole frames come
// out. It never holds more than one maximal frame plus what the caller read ahead, because an
// oversized frame is refused as soon as its header is complete.
//
// Thread affinity: none; one reader per connection, used from one thread at a time.
// Error contract: next() returns kError with FRAME_TOO_LARGE, UNSUPPORTED_VERSION,
// UNKNOWN_FRAME_TYPE or MALFORMED_FRAME (bad magic) once the buffered bytes cannot start a valid
// frame; the error is sticky, since a byte stream cannot be resynchronised. Payloads are not
// parsed here (see messages.h).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/frame/frame.h"

namespace zerobusd::frame {

struct Frame {
  FrameHeader header;
  std::string_view payload;  // valid until the next call to next(), append(), prepare()
};

class FrameReader {
 public:
  enum class Result : uint8_t { kNeedMore, kFrame, kError };

  explicit FrameReader(uint32_t max_payload = kPreHandshakeMaxFrame) : max_payload_(max_payload) {}

  // The payload limit applied to headers parsed from now on (e.g. after WELCOME).
  void setMaxPayload(uint32_t max_payload) { max_payload_ = max_payload; }
  uint32_t maxPayload() const { return max_payload_; }

  // Copies bytes in.
  void append(const void* data, size_t size);
  // Zero-copy input: a writable region of at least `min_size` bytes at the end of the buffer;
  // read into it, then commit() how many bytes arrived.
  std::span<char> prepare(size_t min_size);
  void commit(size_t size);

  // The next complete frame, if buffered. Consumes the frame returned by the previous call.
  Result next(Frame* frame, ErrorCode* error);

  // Bytes received and not yet returned as part of a frame.
  size_t buffered() const { return write_ - read_ - consume_; }

 private:
  void dropConsumed();

  std::vector<char> buffer_;
  size_t read_ = 0;     // start of unconsumed bytes
  size_t write_ = 0;    // end of received bytes
  size_t consume_ = 0;  // size of the frame last returned, dropped on the next call
  uint32_t max_payload_;
  ErrorCode error_ = ErrorCode::kOk;
};

}  // namespace zerobusd::frame
