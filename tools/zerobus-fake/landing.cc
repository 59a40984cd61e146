#include "tools/zerobus-fake/landing.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string_view>

#include <spdlog/spdlog.h>

namespace zerobusd::fake {

namespace {
double steadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void appendJsonString(std::string& out, std::string_view text) {
  out += nlohmann::json(text).dump();
}
}  // namespace

Landing::Landing(const FakeConfig& config) : config_(config) {}

Landing::~Landing() {
  for (auto& [name, table] : tables_) {
    if (table->file != nullptr) std::fclose(table->file);
  }
}

Landing::TableState& Landing::state(const std::string& table) {
  std::lock_guard lock(mu_);
  auto& slot = tables_[table];
  if (!slot) slot = std::make_unique<TableState>();
  return *slot;
}

void Landing::received(const std::string& table, uint64_t records, uint64_t bytes) {
  TableState& s = state(table);
  std::lock_guard lock(s.mu);
  s.counters.received_records += records;
  s.counters.received_bytes += bytes;
  s.counters.received_messages += 1;
}

void Landing::rejected(const std::string& table) {
  TableState& s = state(table);
  std::lock_guard lock(s.mu);
  s.counters.rejected_messages += 1;
}

void Landing::land(const std::string& table, const std::string& stream_id, int64_t offset,
                   const Records& records, bool batch, const RowDecoder& decoder) {
  TableState& s = state(table);
  std::lock_guard lock(s.mu);
  uint64_t bytes = 0;
  for (const std::string& record : records) {
    bytes += record.size();
    if (config_.track_duplicates &&
        !s.seen.insert(std::hash<std::string_view>{}(record))) {
      ++s.counters.duplicates;
    }
  }
  s.counters.landed_records += static_cast<uint64_t>(records.size());
  s.counters.landed_bytes += bytes;
  s.counters.landed_messages += 1;
  if (batch) s.counters.landed_batches += 1;
  if (config_.write_rows) writeRows(s, table, stream_id, offset, records, decoder);
}

void Landing::writeRows(TableState& s, const std::string& table, const std::string& stream_id,
                        int64_t offset, const Records& records, const RowDecoder& decoder) {
  if (s.file_failed) return;
  if (s.file == nullptr) {
    std::error_code ec;
    std::filesystem::create_directories(config_.output_dir, ec);
    auto path = std::filesystem::path(config_.output_dir) / (table + ".jsonl");
    s.file = std::fopen(path.c_str(), "a");
    if (s.file == nullptr) {
      s.file_failed = true;
      spdlog::error("cannot write landed rows to {}: rows of {} are counted but not written",
                    path.string(), table);
      return;
    }
  }
  // The prefix is the same for every record of the message: build it once.
  std::string prefix = "{\"stream_id\":";
  appendJsonString(prefix, stream_id);
  prefix += ",\"offset\":" + std::to_string(offset) + ",\"index\":";
  std::string line;
  std::string error;
  int index = 0;
  for (const std::string& record : records) {
    line.assign(prefix);
    line += std::to_string(index++);
    line += ",\"row\":";
    if (!decoder.decode(record, &line, &error)) {
      // Records are decoded before they are accepted, so this is a broken invariant.
      spdlog::error("landed record of {} no longer decodes: {}", table, error);
      continue;
    }
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), s.file);
  }
  std::fflush(s.file);
}

double Landing::reserveTableBytes(const std::string& table, double bytes_per_s, uint64_t bytes) {
  if (bytes_per_s <= 0) return 0;
  TableState& s = state(table);
  std::lock_guard lock(s.mu);
  double now = steadySeconds();
  s.quota_clock = std::max(s.quota_clock, now) + static_cast<double>(bytes) / bytes_per_s;
  // One second of burst is free, as a token bucket of one second's capacity would allow.
  return std::max(0.0, s.quota_clock - now - 1.0);
}

TableCounters Landing::counters(const std::string& table) const {
  std::lock_guard lock(mu_);
  auto it = tables_.find(table);
  if (it == tables_.end()) return {};
  std::lock_guard table_lock(it->second->mu);
  return it->second->counters;
}

nlohmann::json Landing::countersJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, table] : tables_) {
    std::lock_guard table_lock(table->mu);
    const TableCounters& c = table->counters;
    out[name] = {{"received_records", c.received_records},
                 {"received_bytes", c.received_bytes},
                 {"received_messages", c.received_messages},
                 {"landed_records", c.landed_records},
                 {"landed_bytes", c.landed_bytes},
                 {"landed_messages", c.landed_messages},
                 {"landed_batches", c.landed_batches},
                 {"duplicates", c.duplicates},
                 {"rejected_messages", c.rejected_messages}};
  }
  return out;
}

void Landing::reset() {
  std::lock_guard lock(mu_);
  for (auto& [name, table] : tables_) {
    std::lock_guard table_lock(table->mu);
    table->counters = {};
    table->seen.clear();
    table->quota_clock = 0;
  }
}

}  // namespace zerobusd::fake
