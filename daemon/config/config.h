#pragma once
// zerobusd's configuration: one YAML file (docs/configuration.md, config/zerobusd.yaml) turned
// into an immutable, typed Config at startup. Every section has a key table (name, type,
// default, help; config.cc) so unknown keys are refused and the documentation can be checked
// against the code (describeConfigKeys). Everything the daemon needs from outside is read and
// checked here, once: secrets (from the environment or files, never inline), CA bundles, proto
// schemas (compiled and made self-contained, proto_schema.h), socket group names.
//
// Thread affinity: loadConfig/parseConfig run anywhere (the composition root, before the loop
// starts); they touch no global state but the files and the Environment they are given. A
// Config is immutable and shared read-only by every thread.
// Error contract: InvalidArgument listing every problem found, one a line, each as
// `<key path> (line N): <what is wrong>` (`tables[1].pool.max_streams (line 23): must be >=
// pool.min_streams (8), is 4`); loadConfig prefixes each with the file's path. yaml-cpp
// exceptions never leave this module. Secrets never appear in messages.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>

#include "common/status.h"
#include "daemon/config/environment.h"
#include "daemon/config/secret.h"
#include "daemon/upstream/stream_options.h"

namespace zerobusd::config {

// The link to Zerobus: upstream::TransportOptions (transport_options.h converts).
struct ServiceConfig {
  std::string endpoint;         // https://<workspace-id>.zerobus.<region>.cloud.databricks.com
  std::string workspace_url;    // https://<instance>.cloud.databricks.com; OAuth token endpoint
  bool plaintext = false;       // h2c; only with an http:// endpoint
  std::string ca_bundle_file;   // absolute; empty: system roots
  std::string tls_server_name;  // verify this name instead of the endpoint's host
  int64_t keepalive_time_ms = 30000;
  int64_t keepalive_timeout_ms = 10000;
  std::string user_agent_suffix;                     // appended to "zerobusd/<version>"
  std::map<std::string, std::string> extra_headers;  // gRPC metadata on every call

  bool operator==(const ServiceConfig&) const = default;
};

enum class AuthMode { OAuth, StaticToken };

struct AuthConfig {
  AuthMode mode = AuthMode::OAuth;
  std::string client_id;
  // Where the secret came from (one of each pair is set, as the mode needs); relative files
  // are resolved against $CREDENTIALS_DIRECTORY when set, else the config file's directory.
  std::string client_secret_env;
  std::string client_secret_file;
  std::string token_env;
  std::string token_file;
  Secret client_secret;        // oauth: read at load from client_secret_env / client_secret_file
  Secret token;                // static_token: read at load from token_env / token_file
  std::string ca_bundle_file;  // token endpoint's CA bundle; defaults to service.ca_bundle_file
  int64_t refresh_buffer_s = 300;  // refresh this long before expiry (SDK token_refresh_buffer)
  double refresh_fraction = 0.8;   // ... or at this fraction of a short token's lifetime
  int64_t expiry_margin_s = 10;    // stop serving a token this long before it expires
  int64_t connect_timeout_ms = 10000;
  int64_t request_timeout_ms = 30000;
  int64_t fetch_attempts = 3;  // per token request, first attempt included

  bool operator==(const AuthConfig&) const = default;
};

struct SocketConfig {
  std::string path = "/run/zerobusd/zerobusd.sock";
  uint32_t mode = 0660;
  std::optional<gid_t> group;  // resolved at load; nullopt: the daemon's group

  bool operator==(const SocketConfig&) const = default;
};

struct LimitsConfig {
  int64_t max_connections = 256;
  int64_t max_handles_per_connection = 64;
  int64_t max_frame_bytes = 16LL * 1024 * 1024;
  int64_t max_records_per_frame = 100000;
  int64_t max_record_bytes = 10LL * 1024 * 1024 - 64 * 1024;
  int64_t connection_window_records = 100000;
  int64_t connection_window_bytes = 64LL * 1024 * 1024;
  int64_t handshake_timeout_ms = 5000;
  int64_t idle_timeout_ms = 0;  // 0: none
  int64_t frame_timeout_ms = 10000;  // a started frame must be complete within this

  bool operator==(const LimitsConfig&) const = default;
};

struct MetricsConfig {
  bool enabled = true;
  std::string listen = "127.0.0.1:9464";

  bool operator==(const MetricsConfig&) const = default;
};

enum class LogFormat { Text, Json };

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat format = LogFormat::Text;

  bool operator==(const LogConfig&) const = default;
};

struct ShutdownConfig {
  int64_t drain_timeout_ms = 30000;

  bool operator==(const ShutdownConfig&) const = default;
};

struct PoolConfig {
  int64_t min_streams = 1;
  int64_t max_streams = 4;

  bool operator==(const PoolConfig&) const = default;
};

struct BatchConfig {
  int64_t max_records = 10000;
  int64_t max_bytes = 4LL * 1024 * 1024;
  int64_t linger_ms = 5;

  bool operator==(const BatchConfig&) const = default;
};

struct TableConfig {
  std::string name;  // catalog.schema.table
  upstream::RecordType record_type = upstream::RecordType::Proto;

  // PROTO tables: where the schema came from (absolute paths) ...
  std::string proto_file;
  std::string descriptor_set;
  std::string message;
  std::vector<std::string> proto_import_paths;
  // ... and what it became: the serialized self-contained DescriptorProto sent at
  // create_stream, and the message built from it alone (for record validation).
  std::string descriptor_proto;
  std::shared_ptr<const google::protobuf::Descriptor> descriptor;

  PoolConfig pool;
  BatchConfig batch;
  int64_t max_queue_bytes = 64LL * 1024 * 1024;  // per table; then producers are paused
  bool validate = true;
  std::vector<uid_t> allow_uids;  // empty (with allow_gids empty): whoever can open the socket
  std::vector<gid_t> allow_gids;
  upstream::StreamOptions stream;  // extra_headers filled from service.extra_headers

  upstream::TableTarget target() const { return {name, record_type, descriptor_proto}; }
  // With no allow list every peer may write; otherwise its uid or its gid must be listed.
  bool allows(uid_t uid, gid_t gid) const;
};

struct Config {
  ServiceConfig service;
  AuthConfig auth;
  SocketConfig socket;
  LimitsConfig limits;
  MetricsConfig metrics;
  LogConfig log;
  ShutdownConfig shutdown;
  std::vector<TableConfig> tables;

  std::string source_path;            // the file (absolute); empty from parseConfig
  std::vector<std::string> warnings;  // worth logging at startup; not errors

  const TableConfig* findTable(std::string_view name) const;
};

// Reads and checks the file; relative paths in it resolve against its directory. Warns when
// the file is readable by everyone.
[[nodiscard]] absl::StatusOr<std::shared_ptr<const Config>> loadConfig(const std::string& path,
                                                                       const Environment& env);

// The same from text; relative paths resolve against `base_dir`.
[[nodiscard]] absl::StatusOr<std::shared_ptr<const Config>> parseConfig(std::string_view yaml_text,
                                                                        const std::string& base_dir,
                                                                        const Environment& env);

// One row of the key reference (docs/configuration.md is checked against these).
struct KeyDoc {
  std::string path;  // "tables[].pool.max_streams"
  std::string type;
  std::string default_value;
  std::string help;
};
std::vector<KeyDoc> describeConfigKeys();

}  // namespace zerobusd::config
