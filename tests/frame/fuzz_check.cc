#include "tests/frame/fuzz_check.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "common/frame/frame_reader.h"
#include "common/frame/messages.h"

namespace zerobusd::frame::testing {
namespace {

[[noreturn]] void violated(const char* what, FrameType type) {
  std::fprintf(stderr, "frame codec property violated: %s (type %s)\n", what,
               frameTypeName(type));
  std::abort();
}

constexpr FrameType kAllTypes[] = {
    FrameType::kHello,      FrameType::kOpen,        FrameType::kRecords,
    FrameType::kFlush,      FrameType::kPing,        FrameType::kCloseHandle,
    FrameType::kGoodbye,    FrameType::kStatus,      FrameType::kWelcome,
    FrameType::kOpenResult, FrameType::kAck,         FrameType::kReject,
    FrameType::kFlushed,    FrameType::kPong,        FrameType::kWindow,
    FrameType::kError,      FrameType::kDaemonGoodbye, FrameType::kStatusResult,
};

void checkRecords(std::string_view payload) {
  RecordsView view;
  ErrorCode error = ErrorCode::kOk;
  if (!parseRecords(payload, &view, &error)) {
    if (error != ErrorCode::kMalformedFrame) violated("records error code", FrameType::kRecords);
    return;
  }
  uint32_t count = 0;
  uint64_t bytes = 0;
  for (std::string_view record : view) {
    // Every record view lies inside the payload.
    if (record.data() < payload.data() ||
        record.data() + record.size() > payload.data() + payload.size()) {
      violated("record outside payload", FrameType::kRecords);
    }
    ++count;
    bytes += record.size();
  }
  if (count != view.count || bytes != view.record_bytes) {
    violated("records iteration disagrees with header", FrameType::kRecords);
  }
  // A tighter limit turns the same payload into TOO_MANY_RECORDS, never into a crash.
  if (view.count > 1 && (parseRecords(payload, &view, &error, view.count - 1) ||
                         error != ErrorCode::kTooManyRecords)) {
    violated("max_records not enforced", FrameType::kRecords);
  }
}

void checkPayload(FrameType type, std::string_view payload) {
  std::string frame;
  if (!reencode(type, payload, &frame)) return;
  std::string expected;
  encodeHeader(expected, type, static_cast<uint32_t>(payload.size()));
  expected.append(payload);
  if (frame != expected) violated("re-encoding differs from the parsed bytes", type);
}

}  // namespace

bool reencode(FrameType type, std::string_view payload, std::string* frame, ErrorCode* verdict) {
  ErrorCode local = ErrorCode::kOk;
  ErrorCode& error = verdict != nullptr ? *verdict : local;
  std::string& out = *frame;
  switch (type) {
    case FrameType::kHello: {
      Hello m;
      if (!parseHello(payload, &m, &error)) return false;
      encodeHello(out, m.ack_levels, m.client_name);
      return true;
    }
    case FrameType::kOpen: {
      Open m;
      if (!parseOpen(payload, &m, &error)) return false;
      encodeOpen(out, m.request_id, m.record_type, m.table);
      return true;
    }
    case FrameType::kRecords: {
      RecordsView m;
      if (!parseRecords(payload, &m, &error)) return false;
      RecordsEncoder encoder;
      encoder.begin(out, m.handle, m.first_seq);
      for (std::string_view record : m) encoder.add(out, record);
      encoder.finish(out);
      return true;
    }
    case FrameType::kFlush: {
      Flush m;
      if (!parseFlush(payload, &m, &error)) return false;
      encodeFlush(out, m.request_id, m.handle);
      return true;
    }
    case FrameType::kPing: {
      Ping m;
      if (!parsePing(payload, &m, &error)) return false;
      encodePing(out, m.nonce);
      return true;
    }
    case FrameType::kCloseHandle: {
      CloseHandle m;
      if (!parseCloseHandle(payload, &m, &error)) return false;
      encodeCloseHandle(out, m.handle);
      return true;
    }
    case FrameType::kGoodbye: {
      if (!parseGoodbye(payload, &error)) return false;
      encodeGoodbye(out);
      return true;
    }
    case FrameType::kStatus: {
      StatusRequest m;
      if (!parseStatus(payload, &m, &error)) return false;
      encodeStatus(out, m.request_id);
      return true;
    }
    case FrameType::kWelcome: {
      Welcome m;
      if (!parseWelcome(payload, &m, &error)) return false;
      encodeWelcome(out, m);
      return true;
    }
    case FrameType::kOpenResult: {
      OpenResult m;
      if (!parseOpenResult(payload, &m, &error)) return false;
      encodeOpenResult(out, m.request_id, m.error_code, m.handle, m.message);
      return true;
    }
    case FrameType::kAck: {
      Ack m;
      if (!parseAck(payload, &m, &error)) return false;
      encodeAck(out, m.handle, m.level, m.next_seq);
      return true;
    }
    case FrameType::kReject: {
      Reject m;
      if (!parseReject(payload, &m, &error)) return false;
      encodeReject(out, m.handle, m.first_seq, m.count, m.error_code, m.retriable, m.message);
      return true;
    }
    case FrameType::kFlushed: {
      Flushed m;
      if (!parseFlushed(payload, &m, &error)) return false;
      encodeFlushed(out, m.request_id, m.error_code, m.message);
      return true;
    }
    case FrameType::kPong: {
      Pong m;
      if (!parsePong(payload, &m, &error)) return false;
      encodePong(out, m.nonce);
      return true;
    }
    case FrameType::kWindow: {
      Window m;
      if (!parseWindow(payload, &m, &error)) return false;
      encodeWindow(out, m.window_records, m.window_bytes);
      return true;
    }
    case FrameType::kError: {
      ErrorFrame m;
      if (!parseError(payload, &m, &error)) return false;
      encodeError(out, m.error_code, m.retriable, m.fatal, m.context, m.message);
      return true;
    }
    case FrameType::kDaemonGoodbye: {
      DaemonGoodbye m;
      if (!parseDaemonGoodbye(payload, &m, &error)) return false;
      encodeDaemonGoodbye(out, m.reason, m.message);
      return true;
    }
    case FrameType::kStatusResult: {
      StatusResult m;
      if (!parseStatusResult(payload, &m, &error)) return false;
      encodeStatusResult(out, m.request_id, m.json);
      return true;
    }
  }
  return false;
}

size_t checkFrameBytes(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // 1. The header parser at several limits, on every prefix length up to a header.
  for (uint32_t limit : {0u, 16u, kPreHandshakeMaxFrame, UINT32_MAX}) {
    for (size_t n = 0; n <= size && n <= kHeaderSize; ++n) {
      const HeaderResult header = parseHeader(data, n, limit);
      if (header.status == HeaderStatus::kOk &&
          (n < kHeaderSize || header.header.payload_size > limit)) {
        violated("header accepted beyond its bytes or limit", header.header.type);
      }
    }
  }

  // 2. The whole input as the payload of every type.
  for (FrameType type : kAllTypes) checkPayload(type, bytes);
  checkRecords(bytes);

  // 3. The input as a stream, whole and in chunks whose sizes come from the input itself; both
  //    must yield the same frames.
  std::vector<std::string> whole_frames;
  {
    FrameReader reader(UINT32_MAX);
    reader.append(data, size);
    Frame frame;
    ErrorCode error = ErrorCode::kOk;
    while (reader.next(&frame, &error) == FrameReader::Result::kFrame) {
      std::string original;
      encodeHeader(original, frame.header.type, frame.header.payload_size);
      original.append(frame.payload);
      checkPayload(frame.header.type, frame.payload);
      if (frame.header.type == FrameType::kRecords) checkRecords(frame.payload);
      whole_frames.push_back(std::move(original));
    }
  }
  std::vector<std::string> chunked_frames;
  {
    FrameReader reader(UINT32_MAX);
    size_t pos = 0;
    size_t step = 0;
    Frame frame;
    ErrorCode error = ErrorCode::kOk;
    while (pos < size) {
      const size_t chunk = 1 + (data[step++ % size] % 13);
      const size_t n = chunk < size - pos ? chunk : size - pos;
      std::span<char> space = reader.prepare(n);
      std::copy(data + pos, data + pos + n, space.data());
      reader.commit(n);
      pos += n;
      FrameReader::Result result;
      while ((result = reader.next(&frame, &error)) == FrameReader::Result::kFrame) {
        std::string original;
        encodeHeader(original, frame.header.type, frame.header.payload_size);
        original.append(frame.payload);
        chunked_frames.push_back(std::move(original));
      }
      if (result == FrameReader::Result::kError) break;
    }
  }
  if (whole_frames != chunked_frames) violated("chunked decoding differs", FrameType::kHello);
  return whole_frames.size();
}

}  // namespace zerobusd::frame::testing
