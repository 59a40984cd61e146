#pragma once
// Where acknowledged records land: per-table counters, duplicate detection and the JSON-lines
// files a person (or a test) reads to see exactly what arrived. A message counts as landed
// exactly when the fake acks it (protocol doc §14.6). Thread-safe: one lock per table.

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <google/protobuf/repeated_ptr_field.h>
#include <nlohmann/json.hpp>

#include "tools/zerobus-fake/fake_config.h"
#include "tools/zerobus-fake/row_decoder.h"
#include "tools/zerobus-fake/seen_set.h"

namespace zerobusd::fake {

using Records = google::protobuf::RepeatedPtrField<std::string>;

struct TableCounters {
  uint64_t received_records = 0;  // decoded and accepted into a stream, not yet durable
  uint64_t received_bytes = 0;
  uint64_t received_messages = 0;
  uint64_t landed_records = 0;    // acknowledged: durable in the table
  uint64_t landed_bytes = 0;
  uint64_t landed_messages = 0;
  uint64_t landed_batches = 0;    // landed ingest_record_batch messages
  uint64_t duplicates = 0;        // landed records whose bytes equal an earlier landed record
  uint64_t rejected_messages = 0; // messages that failed their stream (bad offset, bad record)
};

class Landing {
 public:
  explicit Landing(const FakeConfig& config);
  ~Landing();
  Landing(const Landing&) = delete;
  Landing& operator=(const Landing&) = delete;

  void received(const std::string& table, uint64_t records, uint64_t bytes);
  void rejected(const std::string& table);
  void land(const std::string& table, const std::string& stream_id, int64_t offset,
            const Records& records, bool batch, const RowDecoder& decoder);

  // Per-table quota (bytes/s shared by all streams): reserves `bytes` and returns how many
  // seconds from now the table's budget covers them (0 when within budget).
  double reserveTableBytes(const std::string& table, double bytes_per_s, uint64_t bytes);

  TableCounters counters(const std::string& table) const;
  nlohmann::json countersJson() const;
  void reset();  // counters and duplicate memory; files are kept

 private:
  struct TableState {
    std::mutex mu;
    TableCounters counters;
    SeenSet seen;  // hashes of landed records, for duplicates
    std::FILE* file = nullptr;
    bool file_failed = false;
    double quota_clock = 0;  // seconds (steady clock) until which the table's budget is spent
  };
  TableState& state(const std::string& table);
  void writeRows(TableState& table_state, const std::string& table, const std::string& stream_id,
                 int64_t offset, const Records& records, const RowDecoder& decoder);

  const FakeConfig& config_;
  mutable std::mutex mu_;  // guards tables_ (the map, not the states)
  std::map<std::string, std::unique_ptr<TableState>> tables_;
};

}  // namespace zerobusd::fake
