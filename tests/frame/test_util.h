#pragma once
// Helpers for the frame codec tests: splitting an encoded frame, hex text, byte building.
// Thread affinity: none (pure helpers). Error contract: header mismatches are gtest failures.

#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/frame/frame.h"

namespace zerobusd::frame::testing {

inline const uint8_t* bytesOf(std::string_view data) {
  return reinterpret_cast<const uint8_t*>(data.data());
}

// The payload of the single frame `frame`, after checking its header says `type` and covers
// exactly the rest of the bytes.
inline std::string_view payloadOf(const std::string& frame, FrameType type) {
  const HeaderResult header = parseHeader(bytesOf(frame), frame.size(), UINT32_MAX);
  EXPECT_EQ(header.status, HeaderStatus::kOk);
  EXPECT_EQ(header.header.type, type);
  EXPECT_EQ(header.header.payload_size + kHeaderSize, frame.size());
  return std::string_view(frame).substr(kHeaderSize);
}

inline std::string fromHex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  int high = -1;
  for (char c : hex) {
    const int value = nibble(c);
    if (value < 0) continue;
    if (high < 0) {
      high = value;
    } else {
      out.push_back(static_cast<char>(high * 16 + value));
      high = -1;
    }
  }
  return out;
}

// Little-endian field builders for hand-made (often malformed) payloads.
struct Bytes {
  std::string data;
  Bytes& u8(uint64_t v) { return put(v, 1); }
  Bytes& u16(uint64_t v) { return put(v, 2); }
  Bytes& u32(uint64_t v) { return put(v, 4); }
  Bytes& u64(uint64_t v) { return put(v, 8); }
  Bytes& raw(std::string_view s) {
    data.append(s);
    return *this;
  }
  Bytes& str(std::string_view s) { return u16(s.size()).raw(s); }
  Bytes& put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) data.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return *this;
  }
};

}  // namespace zerobusd::frame::testing
