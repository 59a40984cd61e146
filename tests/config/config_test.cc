// The config loader: values and defaults of every section, and every way a config can be
// wrong, each reported with its key path and line.

#include <random>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/config/config.h"
#include "tests/config/config_test_util.h"

namespace zerobusd::config {
namespace {

using ::testing::AllOf;
using testing::baseConfig;
using testing::baseEnvironment;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::TempDir;

class ConfigTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::shared_ptr<const Config>> parse(const std::string& text) {
    return parseConfig(text, dir_.path(), env_);
  }
  std::shared_ptr<const Config> parseOk(const std::string& text) {
    auto config = parse(text);
    EXPECT_TRUE(config.ok()) << config.status().message() << "\n--- config:\n" << text;
    return config.ok() ? *config : nullptr;
  }
  // The load fails with InvalidArgument; its message.
  std::string parseError(const std::string& text) {
    auto config = parse(text);
    EXPECT_FALSE(config.ok()) << text;
    if (config.ok()) return "";
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(config.status().message());
  }

  TempDir dir_;
  MapEnvironment env_ = baseEnvironment();
};

// --- values and defaults ---

TEST_F(ConfigTest, MinimalConfigGetsEveryDefault) {
  auto config = parseOk(baseConfig());
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->service.endpoint, "https://1234.zerobus.us-west-2.cloud.databricks.com");
  EXPECT_FALSE(config->service.plaintext);
  EXPECT_EQ(config->service.ca_bundle_file, "");
  EXPECT_EQ(config->service.keepalive_time_ms, 30000);
  EXPECT_EQ(config->auth.mode, AuthMode::OAuth);
  EXPECT_EQ(config->auth.client_secret.reveal(), "s3cr3t-value");
  EXPECT_EQ(config->auth.refresh_buffer_s, 300);
  EXPECT_EQ(config->socket.path, "/run/zerobusd/zerobusd.sock");
  EXPECT_EQ(config->socket.mode, 0660u);
  EXPECT_FALSE(config->socket.group.has_value());
  EXPECT_EQ(config->limits.max_connections, 256);
  EXPECT_EQ(config->limits.max_handles_per_connection, 64);
  EXPECT_EQ(config->limits.max_frame_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(config->limits.max_records_per_frame, 100000);
  EXPECT_EQ(config->limits.max_record_bytes, 10 * 1024 * 1024 - 64 * 1024);
  EXPECT_EQ(config->limits.connection_window_records, 100000);
  EXPECT_EQ(config->limits.connection_window_bytes, 64 * 1024 * 1024);
  EXPECT_EQ(config->limits.handshake_timeout_ms, 5000);
  EXPECT_EQ(config->limits.idle_timeout_ms, 0);
  EXPECT_TRUE(config->metrics.enabled);
  EXPECT_EQ(config->metrics.listen, "127.0.0.1:9464");
  EXPECT_EQ(config->log.level, "info");
  EXPECT_EQ(config->log.format, LogFormat::Text);
  EXPECT_EQ(config->shutdown.drain_timeout_ms, 30000);
  ASSERT_EQ(config->tables.size(), 1u);
  const TableConfig& table = config->tables[0];
  EXPECT_EQ(table.name, "main.default.events");
  EXPECT_EQ(table.record_type, upstream::RecordType::Json);
  EXPECT_EQ(table.pool.min_streams, 1);
  EXPECT_EQ(table.pool.max_streams, 4);
  EXPECT_EQ(table.batch.max_records, 10000);
  EXPECT_EQ(table.batch.max_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(table.batch.linger_ms, 5);
  EXPECT_EQ(table.max_queue_bytes, 64 * 1024 * 1024);
  EXPECT_TRUE(table.validate);
  EXPECT_THAT(table.allow_uids, IsEmpty());
  // The SDK's stream defaults, as upstream::StreamOptions has them.
  const upstream::StreamOptions sdk;
  EXPECT_EQ(table.stream.max_inflight_records, sdk.max_inflight_records);
  EXPECT_EQ(table.stream.recovery, sdk.recovery);
  EXPECT_EQ(table.stream.recovery_timeout_ms, 15000);
  EXPECT_EQ(table.stream.recovery_backoff_ms, 2000);
  EXPECT_EQ(table.stream.recovery_retries, sdk.recovery_retries);
  EXPECT_EQ(table.stream.flush_timeout_ms, 300000);
  EXPECT_EQ(table.stream.server_lack_of_ack_timeout_ms, 60000);
  EXPECT_EQ(table.stream.stream_paused_max_wait_time_ms, -1);
  EXPECT_TRUE(table.descriptor_proto.empty());
  EXPECT_EQ(table.descriptor, nullptr);
  EXPECT_THAT(config->warnings, IsEmpty());
  EXPECT_EQ(config->source_path, "");
}

TEST_F(ConfigTest, ReadsEveryKey) {
  const std::string ca = dir_.write("certs/ca.pem", "-----BEGIN CERTIFICATE-----\n");
  dir_.write("schemas/a.proto",
             "syntax = \"proto2\"; package p; message A { optional int32 x = 1; }");
  std::filesystem::create_directories(dir_ / "imports");
  auto config = parseOk(R"(
service:
  endpoint: https://ws.zerobus.example.com:8443
  workspace_url: https://ws.example.com/
  plaintext: false
  ca_bundle_file: certs/ca.pem
  tls_server_name: zerobus.internal
  keepalive_time_ms: 20000
  keepalive_timeout_ms: 5000
  user_agent_suffix: my-app/2.0
  extra_headers: {x-team: ingest, x-env: prod}
auth:
  mode: oauth
  client_id: abc
  client_secret_env: ZEROBUSD_CLIENT_SECRET
  refresh_buffer_s: 120
  refresh_fraction: 0.5
  expiry_margin_s: 5
  connect_timeout_ms: 2000
  request_timeout_ms: 4000
  fetch_attempts: 5
socket:
  path: run/z.sock
  mode: "0600"
  group: root
limits:
  max_connections: 10
  max_handles_per_connection: 3
  max_frame_bytes: 1 MiB
  max_records_per_frame: 1000
  max_record_bytes: 512 KiB
  connection_window_records: 2000
  connection_window_bytes: 2MiB
  handshake_timeout_ms: 100
  idle_timeout_ms: 60000
metrics:
  enabled: false
  listen: "[::1]:9000"
log:
  level: warning
  format: json
shutdown:
  drain_timeout_ms: 1000
tables:
  - name: cat.sch.tbl
    record_type: proto
    proto_file: schemas/a.proto
    message: A
    proto_import_paths: [imports]
    pool: {min_streams: 2, max_streams: 3}
    batch: {max_records: 10, max_bytes: 65536, linger_ms: 0}
    max_queue_bytes: 1 GiB
    validate: false
    allow_uids: [root, 1000]
    allow_gids: [0, 1001]
    stream:
      max_inflight_records: 7
      max_inflight_bytes: 0
      recovery: false
      recovery_timeout_ms: 1
      recovery_backoff_ms: 0
      recovery_retries: 9
      flush_timeout_ms: 2
      server_lack_of_ack_timeout_ms: 3
      stream_paused_max_wait_time_ms: 0
      max_request_bytes: 1 MiB
      drain_late_acks_ms: 4
)");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->service.workspace_url, "https://ws.example.com");  // trailing '/' dropped
  EXPECT_EQ(config->service.ca_bundle_file, ca);
  EXPECT_EQ(config->service.tls_server_name, "zerobus.internal");
  EXPECT_EQ(config->service.keepalive_time_ms, 20000);
  EXPECT_EQ(config->service.keepalive_timeout_ms, 5000);
  EXPECT_EQ(config->service.user_agent_suffix, "my-app/2.0");
  EXPECT_EQ(config->service.extra_headers.at("x-team"), "ingest");
  EXPECT_EQ(config->auth.ca_bundle_file, ca);  // inherited from service
  EXPECT_EQ(config->auth.refresh_buffer_s, 120);
  EXPECT_DOUBLE_EQ(config->auth.refresh_fraction, 0.5);
  EXPECT_EQ(config->auth.fetch_attempts, 5);
  EXPECT_EQ(config->socket.path, dir_ / "run/z.sock");
  EXPECT_EQ(config->socket.mode, 0600u);
  EXPECT_EQ(config->socket.group, gid_t{0});
  EXPECT_EQ(config->limits.max_frame_bytes, 1024 * 1024);
  EXPECT_EQ(config->limits.max_record_bytes, 512 * 1024);
  EXPECT_EQ(config->limits.connection_window_bytes, 2 * 1024 * 1024);
  EXPECT_EQ(config->limits.idle_timeout_ms, 60000);
  EXPECT_FALSE(config->metrics.enabled);
  EXPECT_EQ(config->metrics.listen, "[::1]:9000");
  EXPECT_EQ(config->log.level, "warn");  // normalised
  EXPECT_EQ(config->log.format, LogFormat::Json);
  EXPECT_EQ(config->shutdown.drain_timeout_ms, 1000);
  const TableConfig& table = config->tables.at(0);
  EXPECT_EQ(table.proto_file, dir_ / "schemas/a.proto");
  EXPECT_THAT(table.proto_import_paths, ElementsAre(dir_ / "imports"));
  EXPECT_EQ(table.pool.min_streams, 2);
  EXPECT_EQ(table.batch.max_bytes, 65536);
  EXPECT_EQ(table.max_queue_bytes, 1024LL * 1024 * 1024);
  EXPECT_FALSE(table.validate);
  EXPECT_THAT(table.allow_uids, ElementsAre(0u, 1000u));
  EXPECT_THAT(table.allow_gids, ElementsAre(0u, 1001u));
  EXPECT_EQ(table.stream.max_inflight_records, 7);
  EXPECT_FALSE(table.stream.recovery);
  EXPECT_EQ(table.stream.recovery_retries, 9);
  EXPECT_EQ(table.stream.stream_paused_max_wait_time_ms, 0);
  EXPECT_EQ(table.stream.max_request_bytes, 1024 * 1024);
  EXPECT_EQ(table.stream.drain_late_acks_ms, 4);
  // service.extra_headers go on every stream.
  EXPECT_EQ(table.stream.extra_headers.at("x-env"), "prod");
  EXPECT_FALSE(table.descriptor_proto.empty());
  ASSERT_NE(table.descriptor, nullptr);
  EXPECT_EQ(table.descriptor->full_name(), "p.A");
  auto target = table.target();
  EXPECT_EQ(target.table_name, "cat.sch.tbl");
  EXPECT_EQ(target.record_type, upstream::RecordType::Proto);
  EXPECT_EQ(target.descriptor_proto, table.descriptor_proto);
}

TEST_F(ConfigTest, DefaultsApplyToEveryTableAndTablesOverrideKeyByKey) {
  auto config = parseOk(baseConfig(R"(    pool: {max_streams: 9}
  - name: main.default.other
    record_type: json
    stream: {recovery_retries: 1}
defaults:
  pool: {min_streams: 2, max_streams: 5}
  validate: false
  stream: {recovery_retries: 7, flush_timeout_ms: 1000}
)"));
  ASSERT_NE(config, nullptr);
  const TableConfig* events = config->findTable("main.default.events");
  const TableConfig* other = config->findTable("main.default.other");
  ASSERT_NE(events, nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(config->findTable("main.default.missing"), nullptr);
  EXPECT_EQ(events->pool.min_streams, 2);  // from defaults
  EXPECT_EQ(events->pool.max_streams, 9);  // its own
  EXPECT_FALSE(events->validate);
  EXPECT_EQ(events->stream.recovery_retries, 7);
  EXPECT_EQ(other->pool.max_streams, 5);
  EXPECT_EQ(other->stream.recovery_retries, 1);
  EXPECT_EQ(other->stream.flush_timeout_ms, 1000);  // the rest of defaults.stream kept
}

TEST_F(ConfigTest, AllowListsDecideWhoMayWrite) {
  auto config =
      parseOk(baseConfig("    allow_uids: [1000]\n    allow_gids: [50]\n"
                         "  - name: a.b.c\n    record_type: json\n"));
  ASSERT_NE(config, nullptr);
  const TableConfig& listed = config->tables[0];
  EXPECT_TRUE(listed.allows(1000, 1));
  EXPECT_TRUE(listed.allows(7, 50));
  EXPECT_FALSE(listed.allows(7, 1));
  EXPECT_TRUE(config->tables[1].allows(7, 1));  // no list: whoever reaches the socket
}

TEST_F(ConfigTest, StaticTokenMode) {
  env_.set("ZB_TOKEN", "tok-123");
  auto config = parseOk(R"(service: {endpoint: "https://x.zerobus.example.com"}
auth: {mode: static_token, token_env: ZB_TOKEN}
tables: [{name: a.b.c, record_type: json}]
)");
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->auth.mode, AuthMode::StaticToken);
  EXPECT_EQ(config->auth.token.reveal(), "tok-123");
  EXPECT_TRUE(config->auth.client_secret.empty());
}

TEST_F(ConfigTest, PlaintextNeedsHttpAndHttpNeedsPlaintext) {
  auto config = parseOk(R"(service:
  endpoint: http://localhost:50443
  workspace_url: http://localhost:50444
  plaintext: true
auth: {client_id: c, client_secret_env: ZEROBUSD_CLIENT_SECRET}
tables: [{name: a.b.c, record_type: json}]
)");
  ASSERT_NE(config, nullptr);
  EXPECT_TRUE(config->service.plaintext);
  EXPECT_THAT(parseError(R"(service:
  endpoint: http://localhost:50443
  workspace_url: https://w.example.com
auth: {client_id: c, client_secret_env: ZEROBUSD_CLIENT_SECRET}
tables: [{name: a.b.c, record_type: json}]
)"),
              HasSubstr("service.endpoint (line 2): is http:// (no TLS): set service.plaintext: "
                        "true to confirm"));
  EXPECT_THAT(parseError(R"(service:
  endpoint: https://localhost:50443
  workspace_url: https://w.example.com
  plaintext: true
auth: {client_id: c, client_secret_env: ZEROBUSD_CLIENT_SECRET}
tables: [{name: a.b.c, record_type: json}]
)"),
              HasSubstr("service.plaintext (line 4): plaintext: true needs an http:// endpoint"));
  EXPECT_THAT(parseError(R"(service:
  endpoint: https://localhost:50443
  workspace_url: http://w.example.com
auth: {client_id: c, client_secret_env: ZEROBUSD_CLIENT_SECRET}
tables: [{name: a.b.c, record_type: json}]
)"),
              HasSubstr("service.workspace_url (line 3): is http://, which would send the client "
                        "secret in clear"));
}

// --- unknown keys, at every level, with their line ---

TEST_F(ConfigTest, RefusesUnknownKeysAtEveryLevel) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {baseConfig() + "servce: {}\n", "servce (line 10): unknown key; did you mean 'service'?"},
      {"service:\n  endpoint: https://x\n  endpont: y\n" + baseConfig().substr(9),
       "service.endpont (line 3): unknown key; did you mean 'endpoint'?"},
      {baseConfig() + "socket:\n  perms: \"0600\"\n", "socket.perms (line 11): unknown key"},
      {baseConfig() + "limits:\n  max_conections: 5\n",
       "limits.max_conections (line 11): unknown key; did you mean 'max_connections'?"},
      {baseConfig() + "metrics:\n  port: 1\n", "metrics.port (line 11): unknown key"},
      {baseConfig() + "log:\n  levle: info\n",
       "log.levle (line 11): unknown key; did you mean 'level'?"},
      {baseConfig() + "shutdown:\n  drain_ms: 1\n", "shutdown.drain_ms (line 11): unknown key"},
      {baseConfig() + "defaults:\n  batch:\n    lingr_ms: 1\n",
       "defaults.batch.lingr_ms (line 12): unknown key; did you mean 'linger_ms'?"},
      {baseConfig("    colour: red\n"), "tables[0].colour (line 10): unknown key"},
      {baseConfig("    pool:\n      max_stream: 3\n"),
       "tables[0].pool.max_stream (line 11): unknown key; did you mean 'max_streams'?"},
      {baseConfig("    stream:\n      retries: 3\n"),
       "tables[0].stream.retries (line 11): unknown key"},
      {baseConfig("    batch: {max_record: 3}\n"),
       "tables[0].batch.max_record (line 10): unknown key"},
      {"auth:\n  client_id: c\n  mod: oauth\n",
       "auth.mod (line 3): unknown key; did you mean 'mode'?"},
      {baseConfig() + "defaults:\n  name: x.y.z\n",
       "defaults.name (line 11): is set per table, not in defaults"},
  };
  for (const auto& c : cases) EXPECT_THAT(parseError(c.text), HasSubstr(c.expected)) << c.text;
}

TEST_F(ConfigTest, ListsTheKnownKeysWhenNothingIsClose) {
  EXPECT_THAT(parseError(baseConfig() + "shutdown:\n  zzzzzzzzzzzz: 1\n"),
              HasSubstr("unknown key; known keys here: drain_timeout_ms"));
}

TEST_F(ConfigTest, RefusesDuplicateKeys) {
  EXPECT_THAT(parseError(baseConfig() + "log:\n  level: info\n  level: debug\n"),
              HasSubstr("log.level (line 12): set twice (first on line 11)"));
}

TEST_F(ConfigTest, ReportsEveryProblemAtOnce) {
  const std::string message = parseError(baseConfig("    pool: {max_streams: x}\n") +
                                         "log: {level: loud}\nmetrics: {enabled: 3}\n");
  EXPECT_THAT(message,
              HasSubstr("tables[0].pool.max_streams (line 10): must be an integer, not 'x'"));
  EXPECT_THAT(message, HasSubstr("log.level (line 11): must be one of trace"));
  EXPECT_THAT(message, HasSubstr("metrics.enabled (line 12): must be true or false, not '3'"));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2);
}

// --- wrong types and values ---

TEST_F(ConfigTest, RefusesWrongTypes) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {baseConfig() + "limits: {max_connections: many}\n",
       "limits.max_connections (line 10): must be an integer, not 'many'"},
      {baseConfig() + "limits: {max_connections: 1.5}\n", "must be an integer, not '1.5'"},
      {baseConfig() + "limits: {max_connections: [1]}\n",
       "limits.max_connections (line 10): must be an integer, not a list"},
      {baseConfig() + "limits: {max_connections: 0}\n", "must be between 1 and 1000000, is 0"},
      {baseConfig() + "limits: {idle_timeout_ms: -5}\n",
       "limits.idle_timeout_ms (line 10): must be >= 0, is -5"},
      {baseConfig() + "limits: {max_frame_bytes: 4 MB}\n",
       "limits.max_frame_bytes (line 10): must be a size in bytes (1048576, 512 KiB, 4 MiB, 1 "
       "GiB), not '4 MB'"},
      {baseConfig() + "limits: {max_frame_bytes: 99999999999999999999999}\n",
       "must be a size in bytes"},
      {baseConfig() + "metrics: {enabled: maybe}\n",
       "metrics.enabled (line 10): must be true or false, not 'maybe'"},
      {baseConfig() + "metrics: {enabled: {a: 1}}\n", "must be true or false, not a mapping"},
      {baseConfig() + "metrics: {listen: localhost}\n",
       "metrics.listen (line 10): must be host:port"},
      {baseConfig() + "metrics: {listen: \"localhost:99999\"}\n", "has an invalid port"},
      {baseConfig() + "log: {format: xml}\n",
       "log.format (line 10): must be one of text, json, not 'xml'"},
      {baseConfig() + "socket: {mode: \"0999\"}\n", "socket.mode (line 10): must be an octal mode"},
      {baseConfig() + "socket: {mode: \"04777\"}\n", "must be an octal mode"},
      {baseConfig() + "socket: {group: no-such-group-zb}\n",
       "socket.group (line 10): unknown group 'no-such-group-zb'"},
      {baseConfig() + "socket: {group: -1}\n", "-1 is not a valid gid"},
      {baseConfig() + "socket: {path: " + std::string(120, 'x') + "}\n",
       "socket.path (line 10): must be 1 to 107 bytes long"},
      {baseConfig() + "  - name: a.b.c\n    record_type: avro\n",
       "tables[1].record_type (line 11): must be one of proto, json, not 'avro'"},
      {baseConfig("    allow_uids: root\n"), "tables[0].allow_uids (line 10): must be a list"},
      {baseConfig("    allow_uids: [no-such-user-zb]\n"),
       "tables[0].allow_uids[0] (line 10): unknown user 'no-such-user-zb'"},
      {baseConfig("    proto_import_paths: [nowhere]\n"),
       "tables[0].proto_import_paths[0] (line 10): "},
      {baseConfig("    stream: {stream_paused_max_wait_time_ms: -2}\n"), "must be between -1 and"},
      {baseConfig("    stream: {max_request_bytes: 11 MiB}\n"),
       "tables[0].stream.max_request_bytes (line 10): must be between 1024 and 10485760"},
      {baseConfig("    stream: 5\n"),
       "tables[0].stream (line 10): must be a mapping of keys to values"},
      {baseConfig() + "service: [a]\n", "set twice"},
      {"auth: {refresh_fraction: 2}\n",
       "auth.refresh_fraction (line 1): must be between 0.05 and 1, is 2"},
      {"auth: {mode: kerberos}\n",
       "auth.mode (line 1): must be one of oauth, static_token, not 'kerberos'"},
      {"service:\n  endpoint: https://a b\n",
       "service.endpoint (line 2): must be printable ASCII without spaces"},
      {"service:\n  endpoint: ftp://host\n",
       "service.endpoint (line 2): must start with https:// or http://"},
      {"service:\n  endpoint: https://host/path\n", "must be scheme://host[:port] without a path"},
      {"service:\n  endpoint: https://host:0\n", "has an invalid port"},
      {"service:\n  endpoint: https://host\n  extra_headers: {Authorization: x}\n",
       "service.extra_headers.Authorization (line 3): header names must be lower case"},
      {"service:\n  endpoint: https://host\n  extra_headers: {authorization: x}\n",
       "is set by zerobusd itself and cannot be overridden"},
      {"service:\n  endpoint: https://host\n  extra_headers: {grpc-timeout: x}\n",
       "is set by zerobusd itself"},
      {"service:\n  endpoint: https://host\n  extra_headers: {x-a: [1]}\n",
       "header names and values must be strings"},
      {"service:\n  endpoint: https://host\n  extra_headers: [x]\n",
       "must be a mapping of header names to values"},
      {"service:\n  endpoint: https://host\n  keepalive_time_ms: 10\n",
       "must be between 1000 and 2147483647, is 10"},
      {"- just\n- a list\n", "(file) (line 1): must be a mapping of sections"},
      {"", "(file): is empty"},
      {"service: {endpoint: [unclosed\n", "invalid YAML"},
  };
  for (const auto& c : cases) EXPECT_THAT(parseError(c.text), HasSubstr(c.expected)) << c.text;
}

TEST_F(ConfigTest, ReportsYamlSyntaxErrorsWithTheirPosition) {
  EXPECT_THAT(parseError("service:\n  endpoint: a: b\n"),
              HasSubstr("line 2, column 14: invalid YAML: illegal map value"));
  EXPECT_THAT(parseError("service:\n\tendpoint: x\n"), HasSubstr("line 2, column"));
}

TEST_F(ConfigTest, RefusesBadTableNames) {
  for (const char* name : {"events", "a.b", "a.b.c.d", "a..c", "a.b.", "main.default.air-quality",
                           "main.default.ta ble"}) {
    const std::string text =
        fmt::format("{}  - name: \"{}\"\n    record_type: json\n", baseConfig(), name);
    EXPECT_THAT(parseError(text),
                AllOf(HasSubstr("tables[1].name (line 10): must be catalog.schema.table"),
                      Not(HasSubstr("is required"))))
        << name;
  }
  EXPECT_THAT(parseError(baseConfig() + "  - name: main.default.events\n    record_type: json\n"),
              HasSubstr("tables[1].name (line 10): table main.default.events is already configured "
                        "as tables[0]"));
}

// --- missing required keys ---

TEST_F(ConfigTest, RefusesMissingRequiredKeys) {
  EXPECT_THAT(parseError("auth: {client_id: c, client_secret_env: ZEROBUSD_CLIENT_SECRET}\n"
                         "tables: [{name: a.b.c, record_type: json}]\n"),
              AllOf(HasSubstr("service.endpoint: is required"),
                    HasSubstr("service.workspace_url: is required with auth.mode oauth")));
  EXPECT_THAT(parseError("service: {endpoint: \"https://x\", workspace_url: \"https://w\"}\n"
                         "auth: {client_secret_env: ZEROBUSD_CLIENT_SECRET}\n"
                         "tables: [{name: a.b.c, record_type: json}]\n"),
              HasSubstr("auth.client_id (line 2): is required with auth.mode oauth"));
  EXPECT_THAT(parseError("service: {endpoint: \"https://x\", workspace_url: \"https://w\"}\n"
                         "auth: {client_id: c}\n"
                         "tables: [{name: a.b.c, record_type: json}]\n"),
              HasSubstr("auth.client_secret_env (line 2): the OAuth client secret is required: set "
                        "auth.client_secret_env or auth.client_secret_file"));
  EXPECT_THAT(parseError("service: {endpoint: \"https://x\"}\nauth: {mode: static_token}\n"
                         "tables: [{name: a.b.c, record_type: json}]\n"),
              HasSubstr("the static token is required: set auth.token_env or auth.token_file"));
  const std::string no_tables = baseConfig().substr(0, baseConfig().find("tables:"));
  EXPECT_THAT(parseError(no_tables), HasSubstr("tables: at least one table is required"));
  EXPECT_THAT(parseError(no_tables + "tables: []\n"),
              HasSubstr("tables (line 7): at least one table is required"));
  EXPECT_THAT(parseError(no_tables + "tables: {a: 1}\n"),
              HasSubstr("tables (line 7): must be a list of tables"));
  EXPECT_THAT(parseError(no_tables + "tables:\n  - record_type: json\n"),
              HasSubstr("tables[0].name (line 8): is required"));
  EXPECT_THAT(parseError(no_tables + "tables:\n  - just-a-name\n"),
              HasSubstr("tables[0] (line 8): must be a mapping"));
  EXPECT_THAT(
      parseError(no_tables + "tables:\n  - name: a.b.c\n"),
      HasSubstr("a proto table needs its schema: set proto_file (or descriptor_set) and message"));
}

TEST_F(ConfigTest, RefusesKeysOfTheOtherAuthMode) {
  env_.set("T", "t");
  EXPECT_THAT(parseError("service: {endpoint: \"https://x\"}\n"
                         "auth: {mode: static_token, token_env: T, client_id: c}\n"
                         "tables: [{name: a.b.c, record_type: json}]\n"),
              HasSubstr("auth.client_id (line 2): is not used with mode static_token"));
  EXPECT_THAT(parseError(baseConfig() + "auth:\n  token_file: t\n"), HasSubstr("set twice"));
  EXPECT_THAT(
      parseError("service: {endpoint: \"https://x\", workspace_url: \"https://w\"}\n"
                 "auth: {client_id: c, client_secret_env: ZEROBUSD_CLIENT_SECRET, token_env: T}\n"
                 "tables: [{name: a.b.c, record_type: json}]\n"),
      HasSubstr("auth.token_env (line 2): is not used with mode oauth"));
}

// --- secrets ---

TEST_F(ConfigTest, RefusesInlineSecretsAndNeverEchoesThem) {
  for (const char* key : {"client_secret", "token"}) {
    const std::string text = baseConfig() + fmt::format("auth:\n  {}: hunter2-inline\n", key);
    // (auth appears twice here; use a config with auth once)
    const std::string single =
        "service: {endpoint: \"https://x\", workspace_url: \"https://w\"}\n"
        "auth:\n  client_id: c\n  client_secret_env: ZEROBUSD_CLIENT_SECRET\n" +
        fmt::format("  {}: hunter2-inline\n", key) + "tables: [{name: a.b.c, record_type: json}]\n";
    const std::string message = parseError(single);
    EXPECT_THAT(message,
                HasSubstr(fmt::format("auth.{} (line 5): inline secrets are refused", key)));
    EXPECT_THAT(message, HasSubstr(fmt::format("{}_env", key)));
    EXPECT_THAT(message, HasSubstr(fmt::format("{}_file", key)));
    EXPECT_THAT(message, Not(HasSubstr("hunter2")));
    EXPECT_THAT(parseError(text), Not(HasSubstr("hunter2")));
  }
}

TEST_F(ConfigTest, ReadsTheSecretFromTheEnvironment) {
  env_.set("ZEROBUSD_CLIENT_SECRET", "value-with-newline\n");
  auto config = parseOk(baseConfig());
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->auth.client_secret.reveal(), "value-with-newline");
  EXPECT_EQ(config->auth.client_secret_env, "ZEROBUSD_CLIENT_SECRET");
}

TEST_F(ConfigTest, RefusesAMissingOrEmptyEnvironmentVariable) {
  env_ = MapEnvironment();
  EXPECT_THAT(
      parseError(baseConfig()),
      HasSubstr("auth.client_secret_env (line 6): environment variable ZEROBUSD_CLIENT_SECRET "
                "is not set"));
  env_.set("ZEROBUSD_CLIENT_SECRET", "");
  EXPECT_THAT(parseError(baseConfig()),
              HasSubstr("environment variable ZEROBUSD_CLIENT_SECRET is empty"));
}

TEST_F(ConfigTest, RefusesEnvNamesThatMayBeTheSecretItself) {
  std::string text = baseConfig();
  text.replace(text.find("ZEROBUSD_CLIENT_SECRET"), 22, "dapi-0123abcd-secret");
  const std::string message = parseError(text);
  EXPECT_THAT(
      message,
      HasSubstr(
          "auth.client_secret_env (line 6): must name an environment variable in upper case"));
  EXPECT_THAT(message, Not(HasSubstr("dapi-0123abcd")));
}

std::string withSecretFile(const std::string& file) {
  return "service: {endpoint: \"https://x\", workspace_url: \"https://w\"}\n"
         "auth:\n  client_id: c\n  client_secret_file: " +
         file +
         "\n"
         "tables: [{name: a.b.c, record_type: json}]\n";
}

TEST_F(ConfigTest, ReadsTheSecretFromAFileNextToTheConfig) {
  dir_.write("secrets/client", "from-file\n", 0600);
  auto config = parseOk(withSecretFile("secrets/client"));
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->auth.client_secret.reveal(), "from-file");
  EXPECT_THAT(config->warnings, IsEmpty());
}

TEST_F(ConfigTest, ReadsRelativeSecretFilesFromTheCredentialsDirectory) {
  TempDir credentials;
  credentials.write("client-secret", "from-systemd", 0400);
  dir_.write("client-secret", "wrong-one", 0600);
  env_.set("CREDENTIALS_DIRECTORY", credentials.path());
  auto config = parseOk(withSecretFile("client-secret"));
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->auth.client_secret.reveal(), "from-systemd");
  // Absolute paths are taken as they are.
  auto absolute = parseOk(withSecretFile(dir_ / "client-secret"));
  ASSERT_NE(absolute, nullptr);
  EXPECT_EQ(absolute->auth.client_secret.reveal(), "wrong-one");
}

TEST_F(ConfigTest, RefusesUnreadableOrEmptySecretFiles) {
  EXPECT_THAT(
      parseError(withSecretFile("missing")),
      HasSubstr(fmt::format("auth.client_secret_file (line 4): cannot read {}: No such file",
                            dir_ / "missing")));
  std::filesystem::create_directories(dir_ / "adir");
  EXPECT_THAT(parseError(withSecretFile("adir")), HasSubstr("is not a regular file"));
  dir_.write("empty", "\n\n", 0600);
  EXPECT_THAT(parseError(withSecretFile("empty")), HasSubstr("is empty"));
  dir_.write("huge", std::string(100000, 'x'), 0600);
  EXPECT_THAT(parseError(withSecretFile("huge")), HasSubstr("is larger than 65536 bytes"));
  dir_.write("s", "x", 0600);
  env_.set("T", "t");
  EXPECT_THAT(parseError("service: {endpoint: \"https://x\", workspace_url: \"https://w\"}\n"
                         "auth:\n  client_id: c\n  client_secret_file: s\n  client_secret_env: "
                         "ZEROBUSD_CLIENT_SECRET\n"
                         "tables: [{name: a.b.c, record_type: json}]\n"),
              HasSubstr("set only one of auth.client_secret_env and auth.client_secret_file"));
}

TEST_F(ConfigTest, WarnsAboutWorldReadableSecretFiles) {
  dir_.write("open-secret", "x", 0644);
  auto config = parseOk(withSecretFile("open-secret"));
  ASSERT_NE(config, nullptr);
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_THAT(config->warnings[0], HasSubstr("is readable by every user (mode 0644)"));
}

TEST(SecretTest, PrintsRedacted) {
  Secret secret("hunter2");
  std::ostringstream out;
  out << secret;
  EXPECT_EQ(out.str(), "<redacted>");
  EXPECT_EQ(fmt::format("{}", secret), "<redacted>");
  EXPECT_EQ(fmt::format("[{:>12}]", secret), "[  <redacted>]");
  EXPECT_EQ(secret.reveal(), "hunter2");
  Secret moved(std::move(secret));
  EXPECT_EQ(moved.reveal(), "hunter2");
  EXPECT_TRUE(secret.empty());  // NOLINT(bugprone-use-after-move): wiped on move
  Secret copy = moved;
  EXPECT_EQ(copy, moved);
}

// --- files ---

TEST_F(ConfigTest, RefusesUnreadableFiles) {
  EXPECT_THAT(parseError("service:\n  endpoint: https://x\n  ca_bundle_file: nope.pem\n"),
              HasSubstr(fmt::format("service.ca_bundle_file (line 3): cannot read {}: No such file",
                                    dir_ / "nope.pem")));
  EXPECT_THAT(
      parseError(baseConfig() + "  - name: a.b.c\n    proto_file: none.proto\n    message: M\n"),
      HasSubstr(fmt::format("tables[1].proto_file (line 11): cannot read {}: No such file",
                            dir_ / "none.proto")));
  auto missing = loadConfig(dir_ / "no-such.yaml", env_);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("cannot read config file"));
  auto directory = loadConfig(dir_.path(), env_);
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(std::string(directory.status().message()), HasSubstr("is not a regular file"));
}

TEST_F(ConfigTest, LoadConfigResolvesPathsAgainstTheFilesDirectoryAndPrefixesErrors) {
  dir_.write("conf/schemas/a.proto", "syntax = \"proto2\"; message A { optional int32 x = 1; }");
  const std::string path = dir_.write(
      "conf/zerobusd.yaml",
      baseConfig() + "  - name: a.b.c\n    proto_file: schemas/a.proto\n    message: A\n", 0600);
  auto config = loadConfig(path, env_);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ((*config)->source_path, path);
  EXPECT_EQ((*config)->tables[1].proto_file, dir_ / "conf/schemas/a.proto");
  EXPECT_THAT((*config)->warnings, IsEmpty());

  const std::string bad =
      dir_.write("conf/bad.yaml", baseConfig("    pool: {max_streams: 0}\n"), 0600);
  auto failed = loadConfig(bad, env_);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(
      std::string(failed.status().message()),
      HasSubstr(bad + ": tables[0].pool.max_streams (line 10): must be between 1 and 1000, is 0"));
}

TEST_F(ConfigTest, WarnsWhenTheConfigFileIsWorldReadable) {
  const std::string open = dir_.write("open.yaml", baseConfig(), 0644);
  auto config = loadConfig(open, env_);
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ((*config)->warnings.size(), 1u);
  EXPECT_THAT((*config)->warnings[0], HasSubstr(open + " is readable by every user (mode 0644)"));
  const std::string closed = dir_.write("closed.yaml", baseConfig(), 0640);
  auto quiet = loadConfig(closed, env_);
  ASSERT_TRUE(quiet.ok());
  EXPECT_THAT((*quiet)->warnings, IsEmpty());
}

TEST_F(ConfigTest, WarnsAboutRiskySettings) {
  auto config =
      parseOk(baseConfig() + "socket: {mode: \"0666\"}\nmetrics: {listen: \"0.0.0.0:9464\"}\n");
  ASSERT_NE(config, nullptr);
  EXPECT_THAT(config->warnings,
              ElementsAre(HasSubstr("socket.mode 0666 lets every user on the host write records"),
                          HasSubstr("metrics.listen 0.0.0.0:9464 is reachable from other hosts")));
}

TEST_F(ConfigTest, PassesProtobufWarningsOnWithTheirTable) {
  dir_.write("lib/b.proto", "syntax = \"proto2\"; message B {}");
  dir_.write("a.proto",
             "syntax = \"proto2\";\nimport \"b.proto\";\nmessage A { optional int32 x = 1; }\n");
  auto config = parseOk(baseConfig() +
                        "  - name: a.b.c\n    proto_file: a.proto\n    message: A\n"
                        "    proto_import_paths: [lib]\n");
  ASSERT_NE(config, nullptr);
  EXPECT_THAT(config->warnings, ElementsAre(AllOf(HasSubstr("tables[1]: "),
                                                  HasSubstr("Import b.proto is unused"))));
}

// --- checks across keys ---

TEST_F(ConfigTest, ChecksBoundsAcrossKeys) {
  EXPECT_THAT(
      parseError(baseConfig("    pool:\n      min_streams: 8\n      max_streams: 4\n")),
      HasSubstr("tables[0].pool.max_streams (line 12): must be >= pool.min_streams (8), is 4"));
  EXPECT_THAT(
      parseError(baseConfig() + "defaults:\n  pool: {min_streams: 6}\n"),
      HasSubstr("tables[0].pool.max_streams (line 8): must be >= pool.min_streams (6), is 4"));
  EXPECT_THAT(parseError(baseConfig() +
                         "defaults:\n  pool: {max_streams: 2}\n  batch: {max_bytes: 2 MiB}\n" +
                         "  stream: {max_request_bytes: 1 MiB}\n"),
              AllOf(HasSubstr("tables[0].batch.max_bytes (line 12, set in defaults): must be <= "
                              "stream.max_request_bytes (1048576), is 2097152")));
  EXPECT_THAT(
      parseError(baseConfig("    max_queue_bytes: 1 MiB\n")),
      HasSubstr(
          "tables[0].max_queue_bytes (line 10): must be >= limits.max_record_bytes (10420224)"));
  EXPECT_THAT(
      parseError(baseConfig() + "limits: {max_frame_bytes: 1 MiB}\n"),
      HasSubstr("limits.max_record_bytes (line 10): must be <= limits.max_frame_bytes (1048576)"));
  EXPECT_THAT(
      parseError(baseConfig() + "limits: {connection_window_bytes: 1 MiB}\n"),
      HasSubstr("limits.connection_window_bytes (line 10): must be >= limits.max_frame_bytes"));
  EXPECT_THAT(
      parseError(baseConfig() + "limits: {connection_window_records: 10}\n"),
      HasSubstr(
          "limits.connection_window_records (line 10): must be >= limits.max_records_per_frame"));
}

TEST_F(ConfigTest, JsonTablesTakeNoSchema) {
  dir_.write("a.proto", "syntax = \"proto2\"; message A {}");
  EXPECT_THAT(parseError(baseConfig("    proto_file: a.proto\n    message: A\n")),
              AllOf(HasSubstr("tables[0].proto_file (line 10): is only for record_type proto"),
                    HasSubstr("tables[0].message (line 11): is only for record_type proto")));
}

// --- documentation ---

TEST(ConfigKeysTest, DocumentationListsEveryKeyWithItsDefault) {
  std::ifstream in(std::string(ZEROBUSD_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md";
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  int checked = 0;
  for (const KeyDoc& key : describeConfigKeys()) {
    if (key.type == "mapping" || key.type == "list" || key.path.starts_with("defaults.")) continue;
    const std::string cell = "| `" + key.path + "` |";
    const auto row_start = text.find(cell);
    ASSERT_NE(row_start, std::string::npos) << key.path << " is not documented";
    const std::string row = text.substr(row_start, text.find('\n', row_start) - row_start);
    EXPECT_THAT(row, HasSubstr("| " + key.default_value + " |")) << key.path << ": default";
    ++checked;
  }
  EXPECT_GT(checked, 60);
}

// --- robustness: whatever the text, parseConfig answers (no exception, no crash) ---

TEST_F(ConfigTest, SurvivesMutatedConfigs) {
  dir_.write("a.proto", "syntax = \"proto2\"; message A { optional int32 x = 1; }");
  const std::string seed =
      baseConfig("    pool: {min_streams: 1, max_streams: 2}\n") +
      "  - name: a.b.c\n    proto_file: a.proto\n    message: A\n"
      "defaults:\n  stream: {recovery: true}\nlimits: {max_frame_bytes: 16 MiB}\n";
  ASSERT_TRUE(parse(seed).ok());
  std::mt19937 random(5);
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = seed;
    for (int k = 0; k < 3; ++k) {
      const std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0:
          text[at] = " :-[]{}\n\t'\"&*!|>#0a"[random() % 20];
          break;
        case 1:
          text.erase(at, 1 + random() % 4);
          break;
        default:
          text.insert(at, text.substr(random() % text.size(), random() % 12));
          break;
      }
      // push_back, not = "x": GCC 12 at -O3 misreports that assignment (-Wrestrict).
      if (text.empty()) text.push_back('x');
    }
    auto config = parse(text);
    if (config.ok()) ++loaded;
  }
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace zerobusd::config
