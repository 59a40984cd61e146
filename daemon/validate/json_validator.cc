// The JSON record validator: one pass over the bytes, RFC 8259 grammar, no DOM and no
// allocation (the container stack is a bitset on the C++ stack). A hand-written checker rather
// than nlohmann's SAX parser: SAX still builds a std::string per key and string value, and
// this is on every record of every JSON table.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "daemon/validate/record_validator.h"

namespace zerobusd::validate {

namespace {

constexpr int kMaxDepthLimit = 4096;

class JsonValidator final : public RecordValidator {
 public:
  explicit JsonValidator(const JsonValidatorOptions& options)
      : max_depth_(std::clamp(options.max_depth, 1, kMaxDepthLimit)) {}

  bool validate(std::string_view record, std::string* error) const override {
    Cursor c{reinterpret_cast<const uint8_t*>(record.data()),
             reinterpret_cast<const uint8_t*>(record.data()) + record.size(),
             reinterpret_cast<const uint8_t*>(record.data()), nullptr};
    if (check(c)) return true;
    if (error != nullptr) {
      *error = fmt::format("{} (byte {})", c.what, static_cast<std::size_t>(c.p - c.begin));
    }
    return false;
  }

 private:
  struct Cursor {
    const uint8_t* p;
    const uint8_t* end;
    const uint8_t* begin;
    const char* what;  // the problem, when check() fails
  };

  static bool fail(Cursor& c, const char* what) {
    c.what = what;
    return false;
  }

  static void skipSpace(Cursor& c) {
    while (c.p < c.end && (*c.p == ' ' || *c.p == '\n' || *c.p == '\r' || *c.p == '\t')) ++c.p;
  }

  bool check(Cursor& c) const {
    skipSpace(c);
    if (c.p == c.end) return fail(c, "empty record, expected a JSON object");
    if (*c.p != '{') {
      switch (*c.p) {
        case '[':
          return fail(c, "the record is a JSON array, expected an object");
        case '"':
          return fail(c, "the record is a JSON string, expected an object");
        case 't':
        case 'f':
        case 'n': {
          // Name the literal only if it is one ("nope" is not JSON at all, not null).
          std::string_view rest(reinterpret_cast<const char*>(c.p), static_cast<size_t>(c.end - c.p));
          if (rest.starts_with("true") || rest.starts_with("false")) {
            return fail(c, "the record is a JSON boolean, expected an object");
          }
          if (rest.starts_with("null")) return fail(c, "the record is JSON null, expected an object");
          return fail(c, "not JSON: expected '{'");
        }
        default:
          if (*c.p == '-' || (*c.p >= '0' && *c.p <= '9')) {
            return fail(c, "the record is a JSON number, expected an object");
          }
          return fail(c, "not JSON: expected '{'");
      }
    }
    // Container stack: bit set = object, clear = array.
    // Only the words max_depth_ needs are cleared (2 by default): this runs per record.
    std::array<uint64_t, kMaxDepthLimit / 64> stack;
    std::fill_n(stack.begin(), (max_depth_ + 63) / 64, uint64_t{0});
    int depth = 0;
    auto inObject = [&] {
      const auto top = static_cast<unsigned>(depth - 1);
      return (stack[top / 64] >> (top % 64) & 1) != 0;
    };
    auto push = [&](bool object) {
      if (depth == max_depth_) return false;
      const auto at = static_cast<unsigned>(depth);
      if (object) {
        stack[at / 64] |= uint64_t{1} << (at % 64);
      } else {
        stack[at / 64] &= ~(uint64_t{1} << (at % 64));
      }
      ++depth;
      return true;
    };

    bool want_value = true;  // otherwise: just after a value
    while (true) {
      if (want_value) {
        skipSpace(c);
        if (c.p == c.end) return fail(c, "truncated: expected a value");
        switch (*c.p) {
          case '{':
            if (!push(true)) return fail(c, "nested too deeply");
            ++c.p;
            skipSpace(c);
            if (c.p < c.end && *c.p == '}') {
              ++c.p;
              --depth;
              want_value = false;
              break;
            }
            if (!member(c)) return false;
            continue;  // still want the member's value
          case '[':
            if (!push(false)) return fail(c, "nested too deeply");
            ++c.p;
            skipSpace(c);
            if (c.p < c.end && *c.p == ']') {
              ++c.p;
              --depth;
              want_value = false;
            }
            continue;
          case '"':
            if (!string(c)) return false;
            want_value = false;
            break;
          case 't':
            if (!literal(c, "true")) return false;
            want_value = false;
            break;
          case 'f':
            if (!literal(c, "false")) return false;
            want_value = false;
            break;
          case 'n':
            if (!literal(c, "null")) return false;
            want_value = false;
            break;
          default:
            if (*c.p == '-' || (*c.p >= '0' && *c.p <= '9')) {
              if (!number(c)) return false;
              want_value = false;
              break;
            }
            return fail(c, "expected a value");
        }
        continue;
      }
      // After a value: close containers or go on to the next element / member.
      if (depth == 0) {
        skipSpace(c);
        if (c.p != c.end) return fail(c, "text after the JSON object");
        return true;
      }
      skipSpace(c);
      if (c.p == c.end) return fail(c, "truncated: expected ',' or a closing bracket");
      if (inObject()) {
        if (*c.p == '}') {
          ++c.p;
          --depth;
          continue;
        }
        if (*c.p != ',') return fail(c, "expected ',' or '}' after an object member");
        ++c.p;
        skipSpace(c);
        if (!member(c)) return false;
        want_value = true;
      } else {
        if (*c.p == ']') {
          ++c.p;
          --depth;
          continue;
        }
        if (*c.p != ',') return fail(c, "expected ',' or ']' after an array element");
        ++c.p;
        want_value = true;
      }
    }
  }

  // "key" : (the value follows)
  static bool member(Cursor& c) {
    if (c.p == c.end) return fail(c, "truncated: expected a string key");
    if (*c.p != '"') return fail(c, "expected a string key");
    if (!string(c)) return false;
    skipSpace(c);
    if (c.p == c.end || *c.p != ':') return fail(c, "expected ':' after an object key");
    ++c.p;
    return true;
  }

  static bool literal(Cursor& c, std::string_view word) {
    if (static_cast<std::size_t>(c.end - c.p) < word.size() ||
        std::memcmp(c.p, word.data(), word.size()) != 0) {
      return fail(c, "invalid literal");
    }
    c.p += word.size();
    return true;
  }

  static bool digits(Cursor& c) {
    const uint8_t* start = c.p;
    while (c.p < c.end && *c.p >= '0' && *c.p <= '9') ++c.p;
    return c.p != start;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and finite as a double: parsers that
  // read numbers as doubles (nlohmann, serde_json) refuse 1e400 rather than make it infinite.
  static bool number(Cursor& c) {
    const uint8_t* start = c.p;
    if (*c.p == '-') ++c.p;
    if (c.p == c.end) return fail(c, "truncated number");
    long integer_digits = 0;  // significant digits before the point
    if (*c.p == '0') {
      ++c.p;
    } else {
      const uint8_t* first = c.p;
      if (!digits(c)) return fail(c, "invalid number");
      integer_digits = c.p - first;
    }
    if (c.p < c.end && *c.p == '.') {
      ++c.p;
      if (!digits(c)) return fail(c, "invalid number: digits must follow '.'");
    }
    long exponent = 0;
    if (c.p < c.end && (*c.p == 'e' || *c.p == 'E')) {
      ++c.p;
      bool negative = false;
      if (c.p < c.end && (*c.p == '+' || *c.p == '-')) negative = *c.p++ == '-';
      const uint8_t* first = c.p;
      while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
        if (exponent < 1'000'000) exponent = exponent * 10 + (*c.p - '0');
        ++c.p;
      }
      if (c.p == first) return fail(c, "invalid number: digits must follow the exponent");
      if (negative) exponent = -exponent;
    }
    // |value| < 10^(integer_digits + exponent); DBL_MAX ~ 1.8e308. Only numbers that may be
    // that large pay for an exact conversion.
    if (integer_digits + exponent > 308) {
      double value = 0;
      auto [end, ec] = std::from_chars(reinterpret_cast<const char*>(start),
                                       reinterpret_cast<const char*>(c.p), value);
      if (ec == std::errc::result_out_of_range || !std::isfinite(value)) {
        c.p = start;
        return fail(c, "number too large for a double");
      }
    }
    return true;
  }

  static int hex(uint8_t ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  }

  static bool hex4(Cursor& c, unsigned* out) {
    if (c.end - c.p < 4) return fail(c, "truncated \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      int digit = hex(c.p[i]);
      if (digit < 0) return fail(c, "invalid \\u escape");
      value = value << 4 | static_cast<unsigned>(digit);
    }
    c.p += 4;
    *out = value;
    return true;
  }

  // At the opening quote; leaves c.p after the closing one.
  static bool string(Cursor& c) {
    ++c.p;
    while (true) {
      // Plain printable ASCII, a word at a time.
      while (c.end - c.p >= 8) {
        uint64_t word;
        std::memcpy(&word, c.p, sizeof word);
        // Any byte >= 0x80, < 0x20, '"' or '\\' stops the fast path.
        const uint64_t high = word & 0x8080808080808080ULL;
        const uint64_t control = (word - 0x2020202020202020ULL) & ~word & 0x8080808080808080ULL;
        const uint64_t quote = word ^ 0x2222222222222222ULL;
        const uint64_t has_quote = (quote - 0x0101010101010101ULL) & ~quote & 0x8080808080808080ULL;
        const uint64_t slash = word ^ 0x5C5C5C5C5C5C5C5CULL;
        const uint64_t has_slash = (slash - 0x0101010101010101ULL) & ~slash & 0x8080808080808080ULL;
        if ((high | control | has_quote | has_slash) != 0) break;
        c.p += 8;
      }
      if (c.p == c.end) return fail(c, "unterminated string");
      const uint8_t ch = *c.p;
      if (ch == '"') {
        ++c.p;
        return true;
      }
      if (ch < 0x20) return fail(c, "control character in a string (escape it)");
      if (ch == '\\') {
        ++c.p;
        if (c.p == c.end) return fail(c, "unterminated string");
        switch (*c.p) {
          case '"':
          case '\\':
          case '/':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            ++c.p;
            break;
          case 'u': {
            ++c.p;
            unsigned unit;
            if (!hex4(c, &unit)) return false;
            if (unit >= 0xDC00 && unit <= 0xDFFF) {
              c.p -= 6;
              return fail(c, "lone low surrogate escape");
            }
            if (unit >= 0xD800 && unit <= 0xDBFF) {
              if (c.end - c.p < 6 || c.p[0] != '\\' || c.p[1] != 'u') {
                return fail(c, "high surrogate escape without its low surrogate");
              }
              c.p += 2;
              unsigned low;
              if (!hex4(c, &low)) return false;
              if (low < 0xDC00 || low > 0xDFFF) {
                c.p -= 6;
                return fail(c, "high surrogate escape without its low surrogate");
              }
            }
            break;
          }
          default:
            return fail(c, "invalid escape");
        }
        continue;
      }
      if (ch < 0x80) {
        ++c.p;
        continue;
      }
      // One multi-byte UTF-8 sequence.
      std::size_t bad = 0;
      std::size_t length = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : 2;
      length = std::min(length, static_cast<std::size_t>(c.end - c.p));
      if (!isValidUtf8(c.p, length, &bad) || (*c.p & 0xC0) == 0x80) {
        return fail(c, "invalid UTF-8 in a string");
      }
      c.p += length;
    }
  }

  int max_depth_;
};

}  // namespace

std::unique_ptr<RecordValidator> makeJsonValidator(const JsonValidatorOptions& options) {
  return std::make_unique<JsonValidator>(options);
}

}  // namespace zerobusd::validate
