#include "tools/zerobusctl/status_view.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tools/zerobusctl/json_depth.h"

namespace zerobusd::ctl {
namespace {

std::optional<int64_t> number(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

std::string text(const std::optional<int64_t>& value) {
  return value ? std::to_string(*value) : "-";
}

std::string bytesText(const std::optional<int64_t>& value) {
  if (!value) return "-";
  const double bytes = static_cast<double>(*value);
  if (*value < 1024) return fmt::format("{} B", *value);
  if (bytes < 1024.0 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024);
  if (bytes < 1024.0 * 1024 * 1024) return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
  return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024));
}

}  // namespace

const TableStatus* DaemonStatus::findTable(std::string_view name) const {
  for (const TableStatus& table : tables) {
    if (table.name == name) return &table;
  }
  return nullptr;
}

absl::StatusOr<DaemonStatus> parseStatus(std::string_view json_text) {
  if (!jsonDepthWithin(json_text, 64)) {
    return absl::InvalidArgumentError("the daemon's status nests too deeply");
  }
  const auto json = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return absl::InvalidArgumentError("the daemon's status is not a JSON object");
  }
  DaemonStatus status;
  if (auto it = json.find("version"); it != json.end() && it->is_string()) {
    status.version = it->get<std::string>();
  }
  if (auto it = json.find("ready"); it != json.end() && it->is_boolean()) {
    status.ready = it->get<bool>();
  }
  if (auto it = json.find("shutting_down"); it != json.end() && it->is_boolean()) {
    status.shutting_down = it->get<bool>();
  }
  status.connections = number(json, "connections");
  if (auto tables = json.find("tables"); tables != json.end() && tables->is_object()) {
    for (const auto& [name, entry] : tables->items()) {
      TableStatus table;
      table.name = name;
      if (entry.is_object()) {
        if (auto it = entry.find("record_type"); it != entry.end() && it->is_string()) {
          table.record_type = it->get<std::string>();
        }
        table.streams = number(entry, "streams");
        table.open_streams = number(entry, "open_streams");
        table.queue_bytes = number(entry, "queue_bytes");
        table.batches_inflight = number(entry, "batches_inflight");
        table.records_durable = number(entry, "records_durable");
        table.records_failed = number(entry, "records_failed");
      }
      status.tables.push_back(std::move(table));
    }
  }
  std::sort(status.tables.begin(), status.tables.end(),
            [](const TableStatus& a, const TableStatus& b) { return a.name < b.name; });
  return status;
}

std::string renderTables(const DaemonStatus& status) {
  std::vector<std::vector<std::string>> rows = {
      {"TABLE", "TYPE", "STREAMS", "QUEUE", "INFLIGHT", "DURABLE", "FAILED"}};
  for (const TableStatus& table : status.tables) {
    rows.push_back({table.name, table.record_type.empty() ? "-" : table.record_type,
                    text(table.open_streams) + "/" + text(table.streams),
                    bytesText(table.queue_bytes), text(table.batches_inflight),
                    text(table.records_durable), text(table.records_failed)});
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

HealthVerdict judgeHealth(const DaemonStatus& status) {
  const std::string who = status.version.empty() ? "zerobusd" : "zerobusd " + status.version;
  if (status.shutting_down) return {false, "not ready: " + who + " is shutting down"};
  if (status.ready.value_or(false)) {
    return {true, fmt::format("ready: {}, {} table(s), {} connection(s)", who, status.tables.size(),
                              text(status.connections))};
  }
  std::vector<std::string> waiting;
  for (const TableStatus& table : status.tables) {
    if (table.open_streams.value_or(0) == 0) waiting.push_back(table.name);
  }
  if (waiting.empty()) return {false, "not ready: " + who + " reports not ready"};
  return {false, fmt::format("not ready: {} has no open upstream stream for {}", who,
                             fmt::join(waiting, ", "))};
}

}  // namespace zerobusd::ctl
