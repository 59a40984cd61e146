#pragma once
// Little-endian primitives for the local protocol: a bounds-checked cursor over a payload and
// append helpers. Used by the frame codec; tools may use them for ad-hoc frames.
//
// Thread affinity: none (a WireReader is a value; use one per thread).
// Error contract: a WireReader read past the end returns false and leaves the cursor where it
// was; it never reads outside its view.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace zerobusd::frame::wire {

// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool isValidUtf8(std::string_view text);

class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool atEnd() const { return pos_ == data_.size(); }

  bool readU8(uint8_t* out) { return readLe(out); }
  bool readU16(uint16_t* out) { return readLe(out); }
  bool readU32(uint32_t* out) { return readLe(out); }
  bool readU64(uint64_t* out) { return readLe(out); }

  // `size` bytes as a view into the payload.
  bool readBytes(size_t size, std::string_view* out) {
    if (remaining() < size) return false;
    *out = data_.substr(pos_, size);
    pos_ += size;
    return true;
  }

  // A u16-length-prefixed UTF-8 string of at most `max_bytes` bytes.
  bool readString(std::string_view* out, size_t max_bytes = 65535) {
    const size_t start = pos_;
    uint16_t length = 0;
    if (!readU16(&length) || length > max_bytes || !readBytes(length, out) ||
        !isValidUtf8(*out)) {
      pos_ = start;
      return false;
    }
    return true;
  }

 private:
  template <typename T>
  bool readLe(T* out) {
    if (remaining() < sizeof(T)) return false;
    uint64_t value = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      value |= uint64_t{static_cast<uint8_t>(data_[pos_ + i])} << (8 * i);
    }
    *out = static_cast<T>(value);
    pos_ += sizeof(T);
    return true;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

template <typename T>
void appendLe(std::string& out, T value) {
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) {
    bytes[i] = static_cast<char>(static_cast<uint8_t>(value >> (8 * i)));
  }
  out.append(bytes, sizeof(T));
}

inline void appendU8(std::string& out, uint8_t value) { out.push_back(static_cast<char>(value)); }
inline void appendU16(std::string& out, uint16_t value) { appendLe(out, value); }
inline void appendU32(std::string& out, uint32_t value) { appendLe(out, value); }
inline void appendU64(std::string& out, uint64_t value) { appendLe(out, value); }

// Overwrites 4 bytes at `offset` (which must lie inside `out`).
inline void patchU32(std::string& out, size_t offset, uint32_t value) {
  for (size_t i = 0; i < 4; ++i) {
    out[offset + i] = static_cast<char>(static_cast<uint8_t>(value >> (8 * i)));
  }
}

// Appends a u16-prefixed string. A string longer than `max_bytes` (at most 65535) is cut at
// the last UTF-8 character boundary that fits, so the frame stays well-formed: callers
// validate identifiers (names, tables) before encoding; only human-readable text is ever cut.
void appendString(std::string& out, std::string_view text, size_t max_bytes = 65535);

}  // namespace zerobusd::frame::wire
