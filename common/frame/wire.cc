#include "common/frame/wire.h"

namespace zerobusd::frame::wire {

bool isValidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    // The first continuation byte's allowed range excludes overlong forms, surrogates
    // (U+D800..DFFF) and code points above U+10FFFF (RFC 3629 table).
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1;
    } else if (lead == 0xE0) {
      extra = 2;
      low = 0xA0;
    } else if (lead >= 0xE1 && lead <= 0xEC) {
      extra = 2;
    } else if (lead == 0xED) {
      extra = 2;
      high = 0x9F;
    } else if (lead >= 0xEE && lead <= 0xEF) {
      extra = 2;
    } else if (lead == 0xF0) {
      extra = 3;
      low = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      extra = 3;
    } else if (lead == 0xF4) {
      extra = 3;
      high = 0x8F;
    } else {
      return false;
    }
    if (size - i <= extra) return false;
    if (bytes[i + 1] < low || bytes[i + 1] > high) return false;
    for (size_t k = 2; k <= extra; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return false;
    }
    i += extra + 1;
  }
  return true;
}

void appendString(std::string& out, std::string_view text, size_t max_bytes) {
  if (max_bytes > 65535) max_bytes = 65535;
  if (text.size() > max_bytes) {
    size_t cut = max_bytes;
    // Step back over continuation bytes so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  appendU16(out, static_cast<uint16_t>(text.size()));
  out.append(text);
}

}  // namespace zerobusd::frame::wire
