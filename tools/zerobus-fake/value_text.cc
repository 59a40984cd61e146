#include "tools/zerobus-fake/value_text.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace zerobusd::fake::detail {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Reads 1..max_digits digits; false if none.
bool readDigits(std::string_view text, size_t& pos, size_t min_digits, size_t max_digits,
                int& value) {
  const size_t start = pos;
  value = 0;
  while (pos < text.size() && isDigit(text[pos]) && pos - start < max_digits) {
    value = value * 10 + (text[pos] - '0');
    ++pos;
  }
  return pos - start >= min_digits;
}

bool isLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool readDate(std::string_view text, size_t& pos) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (!readDigits(text, pos, 4, 4, year)) return false;
  if (pos >= text.size() || text[pos] != '-') return false;
  ++pos;
  if (!readDigits(text, pos, 1, 2, month)) return false;
  if (pos >= text.size() || text[pos] != '-') return false;
  ++pos;
  if (!readDigits(text, pos, 1, 2, day)) return false;
  constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const int limit = kDaysInMonth[month - 1] + ((month == 2 && isLeapYear(year)) ? 1 : 0);
  return day <= limit;
}

bool readTwoDigits(std::string_view text, size_t& pos, int max, int& value) {
  return readDigits(text, pos, 2, 2, value) && value <= max;
}

// Whether any of the eight bytes in `chunk` is a control character, '"' or '\\' (SWAR: a
// byte-wise "less than" and two "equals" tests, exact as a yes/no answer).
bool needsJsonEscape(uint64_t chunk) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const uint64_t control = (chunk - kOnes * 0x20) & ~chunk & kHighs;
  const uint64_t quote = chunk ^ (kOnes * '"');
  const uint64_t backslash = chunk ^ (kOnes * '\\');
  return (control | ((quote - kOnes) & ~quote & kHighs) |
          ((backslash - kOnes) & ~backslash & kHighs)) != 0;
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool isBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || isDigit(c) || c == '+' || c == '/';
}

}  // namespace

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

int compareIgnoreCase(std::string_view a, std::string_view b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(lowerAscii(a[i]));
    const auto y = static_cast<unsigned char>(lowerAscii(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

std::string toLowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lowerAscii(c);
  return out;
}

bool isValidUtf8(const char* data, size_t size, size_t* bad_offset) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  size_t i = 0;
  while (i < size) {
    // Most column text is ASCII: skip it eight bytes at a time.
    while (i + 8 <= size) {
      uint64_t chunk = 0;
      std::memcpy(&chunk, bytes + i, sizeof chunk);
      if ((chunk & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= size) break;
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t min_code = 0;
    uint32_t code = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      min_code = 0x80;
      code = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      min_code = 0x800;
      code = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      min_code = 0x10000;
      code = c & 0x07u;
    } else {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    if (i + length > size) {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    for (size_t k = 1; k < length; ++k) {
      const unsigned char next = bytes[i + k];
      if ((next & 0xC0) != 0x80) {
        if (bad_offset != nullptr) *bad_offset = i;
        return false;
      }
      code = (code << 6) | (next & 0x3Fu);
    }
    if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    i += length;
  }
  return true;
}

bool isDecimalText(std::string_view text, int precision, int scale) {
  size_t pos = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
  // Leading zeros do not count towards the precision.
  size_t int_digits = 0;
  bool any_digit = false;
  bool leading = true;
  while (pos < text.size() && isDigit(text[pos])) {
    if (!leading || text[pos] != '0') {
      leading = false;
      ++int_digits;
    }
    any_digit = true;
    ++pos;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int frac_digits = 0;
    while (pos < text.size() && isDigit(text[pos])) {
      ++frac_digits;
      any_digit = true;
      if (frac_digits > scale && text[pos] != '0') return false;
      ++pos;
    }
  }
  if (!any_digit || pos != text.size()) return false;
  return int_digits <= static_cast<size_t>(precision - scale);
}

bool decimalNumberFits(double value, int precision, int scale) {
  if (!std::isfinite(value)) return false;
  return std::fabs(std::trunc(value)) < std::pow(10.0, precision - scale);
}

bool isDateText(std::string_view text) {
  size_t pos = 0;
  return readDate(text, pos) && pos == text.size();
}

bool isTimestampText(std::string_view text) {
  size_t pos = 0;
  if (!readDate(text, pos)) return false;
  if (pos == text.size()) return true;
  if (text[pos] != 'T' && text[pos] != ' ') return false;
  ++pos;
  int value = 0;
  if (!readTwoDigits(text, pos, 23, value)) return false;
  if (pos >= text.size() || text[pos] != ':') return false;
  ++pos;
  if (!readTwoDigits(text, pos, 59, value)) return false;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!readTwoDigits(text, pos, 59, value)) return false;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      if (!readDigits(text, pos, 1, 9, value)) return false;
    }
  }
  if (pos == text.size()) return true;
  if (text[pos] == 'Z') return pos + 1 == text.size();
  if (text[pos] != '+' && text[pos] != '-') return false;
  ++pos;
  if (!readTwoDigits(text, pos, 18, value)) return false;
  if (pos == text.size()) return true;
  if (text[pos] == ':') ++pos;
  return readTwoDigits(text, pos, 59, value) && pos == text.size();
}

bool isBase64(std::string_view text) {
  size_t data_end = text.size();
  size_t padding = 0;
  while (data_end > 0 && text[data_end - 1] == '=' && padding < 2) {
    --data_end;
    ++padding;
  }
  for (size_t i = 0; i < data_end; ++i) {
    if (!isBase64Char(text[i])) return false;
  }
  if (data_end % 4 == 1) return false;  // no byte count encodes to 4n+1 characters
  if (padding > 0 && text.size() % 4 != 0) return false;
  return true;
}

void appendBase64(std::string& out, std::string_view bytes) {
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{in[i]} << 16;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += "==";
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += '=';
  }
}

void appendJsonString(std::string& out, std::string_view text) {
  constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  const size_t size = text.size();
  size_t run_start = 0;
  size_t i = 0;
  while (i < size) {
    // Rows are mostly plain text: skip eight bytes at a time while none needs escaping.
    if (i + 8 <= size) {
      uint64_t chunk = 0;
      std::memcpy(&chunk, text.data() + i, sizeof chunk);
      if (!needsJsonEscape(chunk)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text.data() + run_start, size - run_start);
  out += '"';
}

void appendInt(std::string& out, int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void appendUInt(std::string& out, uint64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void appendDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
  }
}

void appendFloat(std::string& out, float value) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
  }
}

}  // namespace zerobusd::fake::detail
