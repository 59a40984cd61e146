#include "tools/zerobusctl/duration.h"

#include <charconv>
#include <cmath>
#include <string>

namespace zerobusd::ctl {

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  double scale = 1000.0;  // a bare number is seconds
  if (text.ends_with("ms")) {
    scale = 1.0;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  } else if (text.ends_with("m")) {
    scale = 60'000.0;
    text.remove_suffix(1);
  }
  if (text.empty()) return std::nullopt;
  // std::from_chars for double is in libstdc++ 11+; it rejects signs, spaces and hex here.
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  const double ms = value * scale;
  constexpr double kDayMs = 24.0 * 3600 * 1000;
  if (ms < 1.0 || ms > kDayMs) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

}  // namespace zerobusd::ctl
