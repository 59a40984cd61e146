// UTF-8 well-formedness (Unicode 15, table 3-7), with an 8-bytes-at-a-time ASCII fast path:
// most column text is ASCII, and this runs for every string field of every record.

#include <cstdint>
#include <cstring>

#include "daemon/validate/record_validator.h"

namespace zerobusd::validate {

bool isValidUtf8(const unsigned char* data, std::size_t size, std::size_t* bad_offset) {
  std::size_t i = 0;
  while (i < size) {
    // ASCII runs, a word at a time.
    while (i + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, data + i, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= size) break;
    const unsigned char lead = data[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;  // bounds of the second byte (the first continuation)
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // no overlong 3-byte forms
      if (lead == 0xED) high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // no overlong 4-byte forms
      if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    } else {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    if (size - i < length || data[i + 1] < low || data[i + 1] > high) {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    for (std::size_t k = 2; k < length; ++k) {
      if ((data[i + k] & 0xC0) != 0x80) {
        if (bad_offset != nullptr) *bad_offset = i;
        return false;
      }
    }
    i += length;
  }
  return true;
}

RecordValidator::~RecordValidator() = default;

}  // namespace zerobusd::validate
