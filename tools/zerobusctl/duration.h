#pragma once
// Durations on the command line: "250ms", "5s", "2m", or a bare number of seconds ("1.5").
// Pure function; thread-safe.

#include <chrono>
#include <optional>
#include <string_view>

namespace zerobusd::ctl {

// nullopt unless the text is a positive duration of at most one day.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

}  // namespace zerobusd::ctl
