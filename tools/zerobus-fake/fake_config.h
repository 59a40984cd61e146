#pragma once
// zerobus-fake's configuration: a YAML file (see config/zerobus-fake.yaml) plus command-line
// overrides. Immutable once loaded.

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "tools/zerobus-fake/table_schema.h"

namespace zerobusd::fake {

struct OAuthClient {
  std::string id;
  std::string secret;
};

struct Quota {
  double records_per_s = 0;        // per stream; 0 = unlimited
  double bytes_per_s = 0;          // per stream; 0 = unlimited
  double table_bytes_per_s = 0;    // all streams of the table; 0 = unlimited
  bool reject = false;             // on excess: false = delay acks, true = RESOURCE_EXHAUSTED
};

struct FakeTable {
  TableSchema schema;
  Quota quota;
};

struct FakeConfig {
  // Listeners. Port 0 picks a free port; the bound ports are reported by FakeServer.
  std::string grpc_listen = "127.0.0.1:50443";
  std::string http_listen = "127.0.0.1:50444";   // OAuth + Unity Catalog (TLS like the service)
  std::string admin_listen = "127.0.0.1:50445";  // fault injection + counters (plaintext)
  std::string tls_cert_file;  // PEM; empty with plaintext = true
  std::string tls_key_file;
  bool plaintext = false;     // h2c / http: for tests only

  // OAuth
  std::string workspace_id;   // when set, `resource` must name it; empty accepts any
  std::vector<OAuthClient> clients = {{"test-client", "test-secret"}};
  std::vector<std::string> static_tokens = {"test-token"};  // grant every table, never expire
  int64_t token_lifetime_s = 3600;

  // Streams
  int64_t stream_lifetime_ms = 15 * 60 * 1000;  // then close_stream_signal (0 = never)
  int64_t close_grace_ms = 30 * 1000;          // signal duration, then UNAVAILABLE 6002
  int64_t max_message_bytes = 10 * 1024 * 1024;
  bool ack_before_failure = true;  // ack earlier messages before failing on a bad one

  // Landing
  std::string output_dir = "zerobus-fake-out";  // <table>.jsonl per table
  bool write_rows = true;          // false: decode and count only (benchmarks)
  bool track_duplicates = true;    // count records whose bytes equal an earlier landed one

  std::vector<FakeTable> tables;

  const FakeTable* findTable(const std::string& name) const;
};

// Loads the YAML file. InvalidArgument naming the key (and line) on bad input.
absl::StatusOr<FakeConfig> loadFakeConfig(const std::string& path);
absl::StatusOr<FakeConfig> parseFakeConfig(const std::string& yaml_text);

}  // namespace zerobusd::fake
