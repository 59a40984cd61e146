#pragma once
// What one upstream Zerobus stream needs to know: its table, its options (the official SDK's,
// same names, meaning and defaults, zerobus-protocol.md §12), and the batch type it carries.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <google/protobuf/repeated_ptr_field.h>

namespace zerobusd::upstream {

using Records = google::protobuf::RepeatedPtrField<std::string>;

enum class RecordType { Proto = 1, Json = 2 };  // wire numbers

struct TableTarget {
  std::string table_name;        // catalog.schema.table
  RecordType record_type = RecordType::Proto;
  std::string descriptor_proto;  // serialized DescriptorProto; PROTO tables only
};

struct StreamOptions {
  // Queued + sent-unacked ingest requests (batches), as the SDK's max_inflight_requests; the
  // Python SDK calls it max_inflight_records and defaults it to 50 000.
  int64_t max_inflight_records = 50000;
  // Summed record bytes queued + unacked: a byte window on top (0 = none).
  int64_t max_inflight_bytes = 256LL * 1024 * 1024;
  bool recovery = true;
  int64_t recovery_timeout_ms = 15000;   // per attempt, token fetch included
  int64_t recovery_backoff_ms = 2000;    // between failed attempts (jittered ±20%)
  int64_t recovery_retries = 3;          // retries after the first attempt, per episode
  int64_t flush_timeout_ms = 300000;
  int64_t server_lack_of_ack_timeout_ms = 60000;
  int64_t stream_paused_max_wait_time_ms = -1;  // -1: the server's duration (the SDK's None)
  // Encoded request limit: the service refuses decoded requests over 10 MiB; the SDK checks
  // 10 MiB - 64 KiB of record bytes, we check the encoded size (a record adds 2-3 bytes).
  int64_t max_request_bytes = 10 * 1024 * 1024 - 64 * 1024;
  // After a close signal or on close(), read late acks this long after half-closing.
  int64_t drain_late_acks_ms = 500;
  std::map<std::string, std::string> extra_headers;  // sent on every call

  bool operator==(const StreamOptions&) const = default;  // config reload: changed or not
};

}  // namespace zerobusd::upstream
