#pragma once
// The one-line STATUS= text `systemctl status zerobusd` shows: the daemon's state, its tables,
// producer connections, durable records per second and queued bytes, made from the same JSON
// document producers get for a STATUS frame (Server::statusJson()).
//
// Thread affinity: a value type; one owner (the loop thread).
// Error contract: never throws; a document it cannot read gives "status unavailable".

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zerobusd::systemd {

class StatusLine {
 public:
  using Clock = std::chrono::steady_clock;

  // "serving: 2 tables, 3 connections, 1520 records/s durable, 1.5 MiB queued". The rate is
  // over the time since the previous call (0 on the first one).
  std::string summarize(std::string_view status_json, Clock::time_point now);

 private:
  std::optional<Clock::time_point> last_time_;
  uint64_t last_durable_ = 0;
};

// 0 B, 512 B, 1.5 KiB, 64.0 MiB, ...
std::string humanBytes(uint64_t bytes);

}  // namespace zerobusd::systemd
