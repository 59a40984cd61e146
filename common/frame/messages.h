#pragma once
// Payload codec of the local protocol v1 (docs/protocol.md §5-§6): one struct, one parser and
// one encoder per frame type. Parsed structs hold std::string_view into the payload they were
// parsed from: they are valid while that buffer is. RECORDS is parsed into a RecordsView that
// iterates records without copying, after validating every length up front.
//
// Thread affinity: none; pure functions and values (RecordsEncoder: one per frame being built).
// Error contract: parseX(payload, &out, &error) returns true and fills `out`, or returns false
// with *error set (MALFORMED_FRAME, or TOO_MANY_RECORDS from parseRecords) and `out`
// unspecified. Parsers reject: lengths beyond the payload, trailing bytes, bad enum values,
// zero ack_levels, non-zero flags/reserved fields, strings over their limit or not UTF-8.
// Encoders append one whole frame (header included) to `out` and cannot fail; identifiers
// (client name, table) must be valid (<= limits) - longer free-text messages are cut at a
// UTF-8 boundary to 65535 bytes.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "common/frame/frame.h"

namespace zerobusd::frame {

// ---- client -> daemon ----

struct Hello {
  uint8_t ack_levels = kAckBitsAll;  // kAckBit* bits, at least one
  uint8_t flags = 0;                 // must be 0 in v1
  std::string_view client_name;      // <= kMaxClientNameBytes
};

struct Open {
  uint32_t request_id = 0;
  RecordType record_type = RecordType::kJson;
  std::string_view table;  // "catalog.schema.table", <= kMaxTableNameBytes
};

// A RECORDS payload, validated: `count` records, each a u32 length + bytes, exactly filling
// `records_area`. Iterating yields each record as a string_view into the payload.
class RecordsView {
 public:
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    Iterator() = default;
    std::string_view operator*() const { return current_; }
    Iterator& operator++() {
      advance();
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      advance();
      return before;
    }
    bool operator==(const Iterator& other) const {
      return done_ == other.done_ && (done_ || current_.data() == other.current_.data());
    }

   private:
    friend class RecordsView;
    explicit Iterator(std::string_view area);
    void advance();

    std::string_view rest_;     // records after current_
    std::string_view current_;
    bool done_ = true;
  };

  uint32_t handle = 0;
  uint64_t first_seq = 0;
  uint32_t count = 0;
  uint64_t record_bytes = 0;      // sum of the record lengths (flow-control accounting)
  std::string_view records_area;  // the encoded records (after the 16-byte fixed part)

  Iterator begin() const { return Iterator(records_area); }
  Iterator end() const { return Iterator(); }
};

struct Flush {
  uint32_t request_id = 0;
  uint32_t handle = kAllHandles;
};

struct Ping {
  uint64_t nonce = 0;
};

struct CloseHandle {
  uint32_t handle = 0;
};

struct StatusRequest {
  uint32_t request_id = 0;
};

// ---- daemon -> client ----

struct Welcome {
  uint8_t version = kVersion;
  uint8_t ack_levels = kAckBitsAll;  // granted: a non-empty subset of HELLO's
  uint32_t max_frame_bytes = 0;        // >= kMinMaxFrameBytes
  uint32_t max_records_per_frame = 0;  // >= 1
  uint64_t window_records = 0;         // >= max_records_per_frame
  uint64_t window_bytes = 0;           // >= max_frame_bytes
  std::string_view daemon_version;
};

struct OpenResult {
  uint32_t request_id = 0;
  ErrorCode error_code = ErrorCode::kOk;
  uint32_t handle = 0;  // non-zero and != kAllHandles iff error_code == kOk
  std::string_view message;
};

struct Ack {
  uint32_t handle = 0;
  AckLevel level = AckLevel::kAccepted;
  uint64_t next_seq = 0;
};

struct Reject {
  uint32_t handle = 0;
  uint64_t first_seq = 0;
  uint32_t count = 0;  // >= 1
  ErrorCode error_code = ErrorCode::kInternal;  // != kOk; may be a code unknown to this version
  bool retriable = false;
  std::string_view message;
};

struct Flushed {
  uint32_t request_id = 0;
  ErrorCode error_code = ErrorCode::kOk;
  std::string_view message;
};

struct Pong {
  uint64_t nonce = 0;
};

struct Window {
  uint64_t window_records = 0;
  uint64_t window_bytes = 0;
};

struct ErrorFrame {
  ErrorCode error_code = ErrorCode::kInternal;  // != kOk
  bool retriable = false;
  bool fatal = false;
  uint32_t context = 0;  // request id or handle, 0 if none
  std::string_view message;
};

struct DaemonGoodbye {
  GoodbyeReason reason = GoodbyeReason::kAnswer;
  std::string_view message;
};

struct StatusResult {
  uint32_t request_id = 0;
  std::string_view json;  // UTF-8 JSON document
};

// ---- parsers (payload only: the header has been parsed and stripped) ----

bool parseHello(std::string_view payload, Hello* out, ErrorCode* error);
bool parseOpen(std::string_view payload, Open* out, ErrorCode* error);
// `max_records`: more than this is TOO_MANY_RECORDS (checked before anything is walked).
// Zero records is MALFORMED_FRAME.
bool parseRecords(std::string_view payload, RecordsView* out, ErrorCode* error,
                  uint32_t max_records = UINT32_MAX);
bool parseFlush(std::string_view payload, Flush* out, ErrorCode* error);
bool parsePing(std::string_view payload, Ping* out, ErrorCode* error);
bool parseCloseHandle(std::string_view payload, CloseHandle* out, ErrorCode* error);
bool parseGoodbye(std::string_view payload, ErrorCode* error);  // client GOODBYE: empty
bool parseStatus(std::string_view payload, StatusRequest* out, ErrorCode* error);

bool parseWelcome(std::string_view payload, Welcome* out, ErrorCode* error);
bool parseOpenResult(std::string_view payload, OpenResult* out, ErrorCode* error);
bool parseAck(std::string_view payload, Ack* out, ErrorCode* error);
bool parseReject(std::string_view payload, Reject* out, ErrorCode* error);
bool parseFlushed(std::string_view payload, Flushed* out, ErrorCode* error);
bool parsePong(std::string_view payload, Pong* out, ErrorCode* error);
bool parseWindow(std::string_view payload, Window* out, ErrorCode* error);
bool parseError(std::string_view payload, ErrorFrame* out, ErrorCode* error);
bool parseDaemonGoodbye(std::string_view payload, DaemonGoodbye* out, ErrorCode* error);
bool parseStatusResult(std::string_view payload, StatusResult* out, ErrorCode* error);

// ---- encoders (append one whole frame to `out`) ----

void encodeHello(std::string& out, uint8_t ack_levels, std::string_view client_name);
void encodeOpen(std::string& out, uint32_t request_id, RecordType record_type,
                std::string_view table);
void encodeFlush(std::string& out, uint32_t request_id, uint32_t handle);
void encodePing(std::string& out, uint64_t nonce);
void encodeCloseHandle(std::string& out, uint32_t handle);
void encodeGoodbye(std::string& out);
void encodeStatus(std::string& out, uint32_t request_id);

void encodeWelcome(std::string& out, const Welcome& welcome);
void encodeOpenResult(std::string& out, uint32_t request_id, ErrorCode error_code,
                      uint32_t handle, std::string_view message);
void encodeAck(std::string& out, uint32_t handle, AckLevel level, uint64_t next_seq);
void encodeReject(std::string& out, uint32_t handle, uint64_t first_seq, uint32_t count,
                  ErrorCode error_code, bool retriable, std::string_view message);
void encodeFlushed(std::string& out, uint32_t request_id, ErrorCode error_code,
                   std::string_view message);
void encodePong(std::string& out, uint64_t nonce);
void encodeWindow(std::string& out, uint64_t window_records, uint64_t window_bytes);
void encodeError(std::string& out, ErrorCode error_code, bool retriable, bool fatal,
                 uint32_t context, std::string_view message);
void encodeDaemonGoodbye(std::string& out, GoodbyeReason reason, std::string_view message);
void encodeStatusResult(std::string& out, uint32_t request_id, std::string_view json);

// Size of a RECORDS payload holding `count` records of `record_bytes` bytes in total.
inline constexpr size_t kRecordsFixedBytes = 16;  // handle, first_seq, count
inline constexpr size_t kRecordOverheadBytes = 4;  // each record's u32 length
inline constexpr uint64_t recordsPayloadSize(uint64_t count, uint64_t record_bytes) {
  return kRecordsFixedBytes + count * kRecordOverheadBytes + record_bytes;
}

// Builds a RECORDS frame incrementally in a caller-owned buffer: begin() appends the header
// and fixed fields with placeholders, add() appends one record, finish() patches the count and
// the payload length. The buffer may be moved or reallocated between calls (the encoder keeps
// an offset, not a pointer), but nothing else may be appended to it until finish(). The
// caller keeps the frame within the daemon's limits (payloadSize(), count()); finish() on an
// empty frame produces count 0, which receivers reject - don't send it.
class RecordsEncoder {
 public:
  void begin(std::string& out, uint32_t handle, uint64_t first_seq);
  void add(std::string& out, std::string_view record);
  void finish(std::string& out);

  bool active() const { return active_; }
  uint32_t count() const { return count_; }
  uint64_t recordBytes() const { return record_bytes_; }
  uint64_t firstSeq() const { return first_seq_; }
  // The payload size so far, and what it would be after adding a record of `record_size`.
  uint64_t payloadSize() const { return recordsPayloadSize(count_, record_bytes_); }
  uint64_t payloadSizeWith(size_t record_size) const {
    return payloadSize() + kRecordOverheadBytes + record_size;
  }

 private:
  size_t start_ = 0;  // offset of the frame header in the buffer
  uint64_t first_seq_ = 0;
  uint32_t count_ = 0;
  uint64_t record_bytes_ = 0;
  bool active_ = false;
};

}  // namespace zerobusd::frame
