#pragma once
// Faults the fake injects on demand (admin API, or tests in-process), and the count of those
// that fired. Thread-safe: set from the admin HTTP thread, consumed by gRPC callback threads.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <grpcpp/support/status.h>
#include <nlohmann/json.hpp>

namespace zerobusd::fake {

// How the next stream creations misbehave.
enum class CreateFaultMode {
  Status,        // end the call with `code` after reading create_stream
  TrailersOnly,  // end the call with `code` before sending response headers
  OkEnd,         // end with OK before answering
  NoStreamId,    // answer create_stream_response without stream_id
  WrongPayload,  // answer with an ingest_record_response first
};

struct CreateFault {
  int count = 0;  // creations affected; -1 = until cleared
  CreateFaultMode mode = CreateFaultMode::Status;
  grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE;
  std::string message = "injected fault";
  std::string table;  // empty = any table
};

struct AckPolicy {
  bool stopped = false;     // hold every ack until resumed
  int64_t stop_after = -1;  // >= 0: stop acking once a stream has acked this many messages
  int64_t delay_ms = 0;     // send each ack this long after the message arrived
  int64_t every = 1;        // ack once per this many messages (coalescing)
};

class Faults {
 public:
  void setCreateFault(CreateFault fault);
  // Consumes one creation fault for `table` if one is armed.
  std::optional<CreateFault> takeCreateFault(const std::string& table);

  void setAckPolicy(const AckPolicy& policy);
  AckPolicy ackPolicy() const;

  // The next `count` ingest messages land but their stream fails (UNAVAILABLE) before the ack
  // is sent: the client replays them, and the table gets duplicates.
  void setDropAfterCommit(int count);
  bool takeDropAfterCommit();

  void countFired(const std::string& kind);
  nlohmann::json firedJson() const;
  void reset();

 private:
  mutable std::mutex mu_;
  CreateFault create_;
  AckPolicy acks_;
  int drop_after_commit_ = 0;
  std::map<std::string, uint64_t> fired_;
};

// Parses "UNAVAILABLE", "unavailable" or "14" into a gRPC code.
std::optional<grpc::StatusCode> parseStatusCode(const std::string& text);
std::string statusCodeName(grpc::StatusCode code);

}  // namespace zerobusd::fake
