#pragma once
// The daemon's status document (STATUS_RESULT, docs/protocol.md §7.10) as zerobusctl reads it:
// parsed leniently (fields the daemon adds later are ignored, missing numbers show as "-"),
// rendered as the `tables` listing, and judged for `health`.
//
// Pure functions on values; thread-safe.
// Error contract: parseStatus returns InvalidArgument when the text is not a JSON object.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace zerobusd::ctl {

struct TableStatus {
  std::string name;
  std::string record_type;  // "proto" | "json" | "" when not reported
  std::optional<int64_t> streams;
  std::optional<int64_t> open_streams;
  std::optional<int64_t> queue_bytes;
  std::optional<int64_t> batches_inflight;
  std::optional<int64_t> records_durable;
  std::optional<int64_t> records_failed;
};

struct DaemonStatus {
  std::string version;
  std::optional<bool> ready;
  bool shutting_down = false;
  std::optional<int64_t> connections;
  std::vector<TableStatus> tables;  // sorted by name

  const TableStatus* findTable(std::string_view name) const;
};

[[nodiscard]] absl::StatusOr<DaemonStatus> parseStatus(std::string_view json);

// The `tables` listing: a header line and one aligned line per table.
std::string renderTables(const DaemonStatus& status);

struct HealthVerdict {
  bool healthy = false;
  std::string line;  // "ready: ..." or "not ready: ..."
};

// Healthy when the daemon says it is ready and not shutting down. The line names the tables
// without an open upstream stream when it is not.
HealthVerdict judgeHealth(const DaemonStatus& status);

}  // namespace zerobusd::ctl
