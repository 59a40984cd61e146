#include "common/frame/messages.h"

#include "common/frame/wire.h"

namespace zerobusd::frame {
namespace {

using wire::WireReader;

bool fail(ErrorCode* error, ErrorCode code = ErrorCode::kMalformedFrame) {
  if (error != nullptr) *error = code;
  return false;
}

// Every parser ends here: trailing bytes are an error in v1 (fields are only ever appended
// together with a new version byte).
bool done(const WireReader& reader, ErrorCode* error) {
  if (!reader.atEnd()) return fail(error);
  if (error != nullptr) *error = ErrorCode::kOk;
  return true;
}

bool readBool(WireReader& reader, bool* out) {
  uint8_t value = 0;
  if (!reader.readU8(&value) || value > 1) return false;
  *out = value == 1;
  return true;
}

bool validAckLevels(uint8_t bits) { return bits != 0 && (bits & ~kAckBitsAll) == 0; }

bool validHandle(uint32_t handle) { return handle != 0 && handle != kAllHandles; }

size_t beginFrame(std::string& out, FrameType type) {
  const size_t start = out.size();
  encodeHeader(out, type, 0);
  return start;
}

void endFrame(std::string& out, size_t start) {
  wire::patchU32(out, start + 4, static_cast<uint32_t>(out.size() - start - kHeaderSize));
}

}  // namespace

// ---- RecordsView ----

RecordsView::Iterator::Iterator(std::string_view area) : rest_(area), done_(false) { advance(); }

void RecordsView::Iterator::advance() {
  // The view was validated by parseRecords; the checks here only keep a hand-built view from
  // reading out of bounds.
  WireReader reader(rest_);
  uint32_t length = 0;
  if (!reader.readU32(&length) || !reader.readBytes(length, &current_)) {
    done_ = true;
    current_ = {};
    rest_ = {};
    return;
  }
  rest_ = rest_.substr(kRecordOverheadBytes + length);
}

// ---- client -> daemon parsers ----

bool parseHello(std::string_view payload, Hello* out, ErrorCode* error) {
  WireReader reader(payload);
  if (!reader.readU8(&out->ack_levels) || !validAckLevels(out->ack_levels)) return fail(error);
  if (!reader.readU8(&out->flags) || out->flags != 0) return fail(error);
  if (!reader.readString(&out->client_name, kMaxClientNameBytes)) return fail(error);
  return done(reader, error);
}

bool parseOpen(std::string_view payload, Open* out, ErrorCode* error) {
  WireReader reader(payload);
  uint8_t type = 0;
  if (!reader.readU32(&out->request_id)) return fail(error);
  if (!reader.readU8(&type) || (type != 1 && type != 2)) return fail(error);
  out->record_type = static_cast<RecordType>(type);
  if (!reader.readString(&out->table, kMaxTableNameBytes)) return fail(error);
  return done(reader, error);
}

bool parseRecords(std::string_view payload, RecordsView* out, ErrorCode* error,
                  uint32_t max_records) {
  WireReader reader(payload);
  if (!reader.readU32(&out->handle) || !reader.readU64(&out->first_seq) ||
      !reader.readU32(&out->count)) {
    return fail(error);
  }
  if (out->count == 0) return fail(error);
  if (out->count > max_records) return fail(error, ErrorCode::kTooManyRecords);
  if (out->first_seq > UINT64_MAX - out->count) return fail(error);
  // Cheap bound first: each record needs at least its length prefix, so a huge count in a
  // small payload is refused without walking.
  if (reader.remaining() / kRecordOverheadBytes < out->count) return fail(error);
  out->records_area = payload.substr(kRecordsFixedBytes);
  uint64_t record_bytes = 0;
  for (uint32_t i = 0; i < out->count; ++i) {
    uint32_t length = 0;
    std::string_view record;
    if (!reader.readU32(&length) || !reader.readBytes(length, &record)) return fail(error);
    record_bytes += length;
  }
  out->record_bytes = record_bytes;
  return done(reader, error);
}

bool parseFlush(std::string_view payload, Flush* out, ErrorCode* error) {
  WireReader reader(payload);
  if (!reader.readU32(&out->request_id) || !reader.readU32(&out->handle)) return fail(error);
  return done(reader, error);
}

bool parsePing(std::string_view payload, Ping* out, ErrorCode* error) {
  WireReader reader(payload);
  if (!reader.readU64(&out->nonce)) return fail(error);
  return done(reader, error);
}

bool parseCloseHandle(std::string_view payload, CloseHandle* out, ErrorCode* error) {
  WireReader reader(payload);
  if (!reader.readU32(&out->handle)) return fail(error);
  return done(reader, error);
}

bool parseGoodbye(std::string_view payload, ErrorCode* error) {
  return done(WireReader(payload), error);
}

bool parseStatus(std::string_view payload, StatusRequest* out, ErrorCode* error) {
  WireReader reader(payload);
  if (!reader.readU32(&out->request_id)) return fail(error);
  return done(reader, error);
}

// ---- daemon -> client parsers ----

bool parseWelcome(std::string_view payload, Welcome* out, ErrorCode* error) {
  WireReader reader(payload);
  uint16_t reserved = 0;
  if (!reader.readU8(&out->version) || out->version != kVersion) return fail(error);
  if (!reader.readU8(&out->ack_levels) || !validAckLevels(out->ack_levels)) return fail(error);
  if (!reader.readU16(&reserved) || reserved != 0) return fail(error);
  if (!reader.readU32(&out->max_frame_bytes) || !reader.readU32(&out->max_records_per_frame) ||
      !reader.readU64(&out->window_records) || !reader.readU64(&out->window_bytes) ||
      !reader.readString(&out->daemon_version)) {
    return fail(error);
  }
  // The limits must let any frame within them into an empty window; otherwise a client could
  // never make progress.
  if (out->max_frame_bytes < kMinMaxFrameBytes || out->max_records_per_frame == 0 ||
      out->window_records < out->max_records_per_frame ||
      out->window_bytes < out->max_frame_bytes) {
    return fail(error);
  }
  return done(reader, error);
}

bool parseOpenResult(std::string_view payload, OpenResult* out, ErrorCode* error) {
  WireReader reader(payload);
  uint16_t code = 0;
  if (!reader.readU32(&out->request_id) || !reader.readU16(&code) ||
      !reader.readU32(&out->handle) || !reader.readString(&out->message)) {
    return fail(error);
  }
  out->error_code = static_cast<ErrorCode>(code);
  if (code == 0 ? !validHandle(out->handle) : out->handle != 0) return fail(error);
  return done(reader, error);
}

bool parseAck(std::string_view payload, Ack* out, ErrorCode* error) {
  WireReader reader(payload);
  uint8_t level = 0;
  if (!reader.readU32(&out->handle)) return fail(error);
  if (!reader.readU8(&level) || (level != 1 && level != 2)) return fail(error);
  out->level = static_cast<AckLevel>(level);
  if (!reader.readU64(&out->next_seq)) return fail(error);
  return done(reader, error);
}

bool parseReject(std::string_view payload, Reject* out, ErrorCode* error) {
  WireReader reader(payload);
  uint16_t code = 0;
  if (!reader.readU32(&out->handle) || !reader.readU64(&out->first_seq) ||
      !reader.readU32(&out->count) || !reader.readU16(&code) ||
      !readBool(reader, &out->retriable) || !reader.readString(&out->message)) {
    return fail(error);
  }
  if (out->count == 0 || code == 0 || out->first_seq > UINT64_MAX - out->count) {
    return fail(error);
  }
  out->error_code = static_cast<ErrorCode>(code);
  return done(reader, error);
}

bool parseFlushed(std::string_view payload, Flushed* out, ErrorCode* error) {
  WireReader reader(payload);
  uint16_t code = 0;
  if (!reader.readU32(&out->request_id) || !reader.readU16(&code) ||
      !reader.readString(&out->message)) {
    return fail(error);
  }
  out->error_code = static_cast<ErrorCode>(code);
  return done(reader, error);
}

bool parsePong(std::string_view payload, Pong* out, ErrorCode* error) {
  WireReader reader(payload);
  if (!reader.readU64(&out->nonce)) return fail(error);
  return done(reader, error);
}

bool parseWindow(std::string_view payload, Window* out, ErrorCode* error) {
  WireReader reader(payload);
  if (!reader.readU64(&out->window_records) || !reader.readU64(&out->window_bytes)) {
    return fail(error);
  }
  return done(reader, error);
}

bool parseError(std::string_view payload, ErrorFrame* out, ErrorCode* error) {
  WireReader reader(payload);
  uint16_t code = 0;
  if (!reader.readU16(&code) || code == 0 || !readBool(reader, &out->retriable) ||
      !readBool(reader, &out->fatal) || !reader.readU32(&out->context) ||
      !reader.readString(&out->message)) {
    return fail(error);
  }
  out->error_code = static_cast<ErrorCode>(code);
  return done(reader, error);
}

bool parseDaemonGoodbye(std::string_view payload, DaemonGoodbye* out, ErrorCode* error) {
  WireReader reader(payload);
  uint16_t reason = 0;
  if (!reader.readU16(&reason) || reason > 1 || !reader.readString(&out->message)) {
    return fail(error);
  }
  out->reason = static_cast<GoodbyeReason>(reason);
  return done(reader, error);
}

bool parseStatusResult(std::string_view payload, StatusResult* out, ErrorCode* error) {
  WireReader reader(payload);
  uint32_t length = 0;
  if (!reader.readU32(&out->request_id) || !reader.readU32(&length) ||
      !reader.readBytes(length, &out->json) || !wire::isValidUtf8(out->json)) {
    return fail(error);
  }
  return done(reader, error);
}

// ---- encoders ----

void encodeHello(std::string& out, uint8_t ack_levels, std::string_view client_name) {
  const size_t start = beginFrame(out, FrameType::kHello);
  wire::appendU8(out, ack_levels);
  wire::appendU8(out, 0);
  wire::appendString(out, client_name, kMaxClientNameBytes);
  endFrame(out, start);
}

void encodeOpen(std::string& out, uint32_t request_id, RecordType record_type,
                std::string_view table) {
  const size_t start = beginFrame(out, FrameType::kOpen);
  wire::appendU32(out, request_id);
  wire::appendU8(out, static_cast<uint8_t>(record_type));
  wire::appendString(out, table, kMaxTableNameBytes);
  endFrame(out, start);
}

void encodeFlush(std::string& out, uint32_t request_id, uint32_t handle) {
  encodeHeader(out, FrameType::kFlush, 8);
  wire::appendU32(out, request_id);
  wire::appendU32(out, handle);
}

void encodePing(std::string& out, uint64_t nonce) {
  encodeHeader(out, FrameType::kPing, 8);
  wire::appendU64(out, nonce);
}

void encodeCloseHandle(std::string& out, uint32_t handle) {
  encodeHeader(out, FrameType::kCloseHandle, 4);
  wire::appendU32(out, handle);
}

void encodeGoodbye(std::string& out) { encodeHeader(out, FrameType::kGoodbye, 0); }

void encodeStatus(std::string& out, uint32_t request_id) {
  encodeHeader(out, FrameType::kStatus, 4);
  wire::appendU32(out, request_id);
}

void encodeWelcome(std::string& out, const Welcome& welcome) {
  const size_t start = beginFrame(out, FrameType::kWelcome);
  wire::appendU8(out, welcome.version);
  wire::appendU8(out, welcome.ack_levels);
  wire::appendU16(out, 0);
  wire::appendU32(out, welcome.max_frame_bytes);
  wire::appendU32(out, welcome.max_records_per_frame);
  wire::appendU64(out, welcome.window_records);
  wire::appendU64(out, welcome.window_bytes);
  wire::appendString(out, welcome.daemon_version);
  endFrame(out, start);
}

void encodeOpenResult(std::string& out, uint32_t request_id, ErrorCode error_code,
                      uint32_t handle, std::string_view message) {
  const size_t start = beginFrame(out, FrameType::kOpenResult);
  wire::appendU32(out, request_id);
  wire::appendU16(out, static_cast<uint16_t>(error_code));
  wire::appendU32(out, handle);
  wire::appendString(out, message);
  endFrame(out, start);
}

void encodeAck(std::string& out, uint32_t handle, AckLevel level, uint64_t next_seq) {
  encodeHeader(out, FrameType::kAck, 13);
  wire::appendU32(out, handle);
  wire::appendU8(out, static_cast<uint8_t>(level));
  wire::appendU64(out, next_seq);
}

void encodeReject(std::string& out, uint32_t handle, uint64_t first_seq, uint32_t count,
                  ErrorCode error_code, bool retriable, std::string_view message) {
  const size_t start = beginFrame(out, FrameType::kReject);
  wire::appendU32(out, handle);
  wire::appendU64(out, first_seq);
  wire::appendU32(out, count);
  wire::appendU16(out, static_cast<uint16_t>(error_code));
  wire::appendU8(out, retriable ? 1 : 0);
  wire::appendString(out, message);
  endFrame(out, start);
}

void encodeFlushed(std::string& out, uint32_t request_id, ErrorCode error_code,
                   std::string_view message) {
  const size_t start = beginFrame(out, FrameType::kFlushed);
  wire::appendU32(out, request_id);
  wire::appendU16(out, static_cast<uint16_t>(error_code));
  wire::appendString(out, message);
  endFrame(out, start);
}

void encodePong(std::string& out, uint64_t nonce) {
  encodeHeader(out, FrameType::kPong, 8);
  wire::appendU64(out, nonce);
}

void encodeWindow(std::string& out, uint64_t window_records, uint64_t window_bytes) {
  encodeHeader(out, FrameType::kWindow, 16);
  wire::appendU64(out, window_records);
  wire::appendU64(out, window_bytes);
}

void encodeError(std::string& out, ErrorCode error_code, bool retriable, bool fatal,
                 uint32_t context, std::string_view message) {
  const size_t start = beginFrame(out, FrameType::kError);
  wire::appendU16(out, static_cast<uint16_t>(error_code));
  wire::appendU8(out, retriable ? 1 : 0);
  wire::appendU8(out, fatal ? 1 : 0);
  wire::appendU32(out, context);
  wire::appendString(out, message);
  endFrame(out, start);
}

void encodeDaemonGoodbye(std::string& out, GoodbyeReason reason, std::string_view message) {
  const size_t start = beginFrame(out, FrameType::kDaemonGoodbye);
  wire::appendU16(out, static_cast<uint16_t>(reason));
  wire::appendString(out, message);
  endFrame(out, start);
}

void encodeStatusResult(std::string& out, uint32_t request_id, std::string_view json) {
  const size_t start = beginFrame(out, FrameType::kStatusResult);
  wire::appendU32(out, request_id);
  wire::appendU32(out, static_cast<uint32_t>(json.size()));
  out.append(json);
  endFrame(out, start);
}

// ---- RecordsEncoder ----

void RecordsEncoder::begin(std::string& out, uint32_t handle, uint64_t first_seq) {
  start_ = out.size();
  first_seq_ = first_seq;
  count_ = 0;
  record_bytes_ = 0;
  active_ = true;
  encodeHeader(out, FrameType::kRecords, 0);
  wire::appendU32(out, handle);
  wire::appendU64(out, first_seq);
  wire::appendU32(out, 0);  // count, patched by finish()
}

void RecordsEncoder::add(std::string& out, std::string_view record) {
  wire::appendU32(out, static_cast<uint32_t>(record.size()));
  out.append(record);
  ++count_;
  record_bytes_ += record.size();
}

void RecordsEncoder::finish(std::string& out) {
  wire::patchU32(out, start_ + kHeaderSize + 12, count_);
  endFrame(out, start_);
  active_ = false;
}

}  // namespace zerobusd::frame
