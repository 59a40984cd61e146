#pragma once
// Small, allocation-free text checks and JSON formatting shared by the row decoders and the
// type parser: UTF-8, decimal/date/timestamp/base64 literals, JSON string escaping and number
// rendering. Internal to zerobus_fake_schema. Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zerobusd::fake::detail {

char lowerAscii(char c);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
// Orders like comparing the lower-cased strings (for case-insensitive sorted lookups).
int compareIgnoreCase(std::string_view a, std::string_view b);
std::string toLowerAscii(std::string_view text);

// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF). On failure
// `bad_offset` is the offset of the first byte of the bad sequence.
bool isValidUtf8(const char* data, size_t size, size_t* bad_offset);

// "[+-]?digits[.digits]" fitting decimal(precision, scale): at most precision - scale integer
// digits (leading zeros aside); fractional digits beyond the scale must be zeros, since the
// service would otherwise have to round (its behaviour there is unknown).
bool isDecimalText(std::string_view text, int precision, int scale);
// True when the integral part of `value` has at most precision - scale digits.
bool decimalNumberFits(double value, int precision, int scale);

// "yyyy-[m]m-[d]d" with a real calendar day.
bool isDateText(std::string_view text);
// A date, optionally followed by 'T' or ' ' and HH:MM[:SS[.fraction]] and a zone
// (Z, +HH, +HH:MM, +HHMM).
bool isTimestampText(std::string_view text);

// Standard alphabet, padding optional.
bool isBase64(std::string_view text);
void appendBase64(std::string& out, std::string_view bytes);

// A JSON string literal (quotes included): ", \ and control characters escaped, other bytes
// copied (the caller guarantees valid UTF-8).
void appendJsonString(std::string& out, std::string_view text);
void appendInt(std::string& out, int64_t value);
void appendUInt(std::string& out, uint64_t value);
// Shortest text that reads back to the same value; NaN and infinities as the JSON strings
// "NaN", "Infinity", "-Infinity" (JSON has no literal for them).
void appendDouble(std::string& out, double value);
void appendFloat(std::string& out, float value);

}  // namespace zerobusd::fake::detail
