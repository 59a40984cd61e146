// zerobusctl: zerobusd's command-line tool. Parses the command line (CLI11 subcommands) and
// runs one command; exit codes in exit_code.h and docs/zerobusctl.md.

#include <csignal>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "tools/zerobusctl/duration.h"
#include "tools/zerobusctl/exit_code.h"
#include "tools/zerobusctl/gen_proto_command.h"
#include "tools/zerobusctl/info_commands.h"
#include "tools/zerobusctl/send_command.h"

namespace {

using zerobusd::ctl::ExitCode;
using zerobusd::ctl::toInt;

constexpr const char* kVersion = "zerobusctl 0.1.0";

constexpr const char* kExitCodes =
    "Exit codes: 0 success; 1 the command failed (send: some records failed or have an unknown\n"
    "outcome; health: not ready or unreachable); 2 usage or input error (health: 1 instead);\n"
    "3 zerobusd not reachable (nothing was sent). See docs/zerobusctl.md.";

// Library code logs through spdlog (the daemon's CurlFetcher): send it to stderr, quietly.
void setupLogging() {
  auto logger = spdlog::stderr_logger_mt("zerobusctl");
  logger->set_pattern("zerobusctl: %v");
  logger->set_level(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::set_error_handler([](const std::string&) {});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "zerobusctl: send records to zerobusd, inspect it, flush it, and generate proto "
      "schemas from Unity Catalog"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  app.footer(kExitCodes);

  zerobusd::ctl::GlobalOptions global;
  std::string timeout_text = "30s";
  app.add_option("--socket", global.socket,
                 "zerobusd's Unix socket (default: $ZEROBUSD_SOCKET, else "
                 "/run/zerobusd/zerobusd.sock)");
  app.add_option("--timeout", timeout_text,
                 "how long to wait for the daemon or the workspace: connecting, each answer, and "
                 "(send) the longest time without progress; e.g. 500ms, 5s, 2m")
      ->capture_default_str();

  // send
  zerobusd::ctl::SendOptions send;
  std::string ack = "durable";
  CLI::App* send_cmd = app.add_subcommand("send", "send records from a file or stdin to a table");
  send_cmd->add_option("-t,--table", send.table, "catalog.schema.table")->required();
  send_cmd->add_option("-f,--file", send.file, "input file; '-' or absent: stdin");
  send_cmd
      ->add_option("--format", send.format,
                   "ndjson (JSON tables), proto-delimited (varint-length-prefixed protobuf "
                   "records) or json-to-proto (JSON lines converted with --proto or "
                   "--descriptor-set); default: from the table's record type")
      ->check(CLI::IsMember({"ndjson", "proto-delimited", "json-to-proto"}));
  auto* proto_opt =
      send_cmd->add_option("--proto", send.proto_file, "the table's .proto file (json-to-proto)")
          ->check(CLI::ExistingFile);
  auto* set_opt = send_cmd
                      ->add_option("--descriptor-set", send.descriptor_set,
                                   "a FileDescriptorSet (protoc --descriptor_set_out) holding "
                                   "the table's message (json-to-proto)")
                      ->check(CLI::ExistingFile);
  proto_opt->excludes(set_opt);
  send_cmd->add_option("--message", send.message,
                       "the table's message in --proto / --descriptor-set (pkg.Name or Name)");
  send_cmd->add_option("-I,--proto-path", send.proto_paths,
                       "directory searched for imports of --proto (repeatable)");
  send_cmd
      ->add_option("--ack", ack,
                   "when a record counts as done: durable (in the table; default) or "
                   "accepted (taken by the daemon)")
      ->check(CLI::IsMember({"accepted", "durable"}))
      ->capture_default_str();
  send_cmd->add_option("--batch", send.batch, "records per ingest call")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  send_cmd->footer(
      "Examples:\n"
      "  zerobusctl send --table main.default.events --file events.ndjson\n"
      "  zerobusctl send -t main.default.air_quality --format proto-delimited < records.bin\n"
      "  zerobusctl send -t main.default.air_quality --proto air_quality.proto \\\n"
      "      --message AirQuality --file rows.jsonl\n"
      "Failed records are reported on stderr by line (record number for proto-delimited).\n"
      "Exit: 0 all records durable (or accepted); 1 some failed or unknown; 2 usage or input\n"
      "error; 3 zerobusd not reachable.");

  // status, health, tables
  bool status_raw = false;
  CLI::App* status_cmd = app.add_subcommand("status", "print the daemon's status document");
  status_cmd->add_flag("--json", status_raw, "print it as received (one line), not indented");
  CLI::App* health_cmd = app.add_subcommand(
      "health",
      "one line; exit 0 if the daemon answers within --timeout and is ready, else 1 "
      "(for Docker HEALTHCHECK and Kubernetes exec probes)");
  CLI::App* tables_cmd = app.add_subcommand(
      "tables", "the tables the daemon serves: record type, open/total streams, queue");

  // flush
  std::vector<std::string> flush_tables;
  CLI::App* flush_cmd = app.add_subcommand(
      "flush", "ask the daemon to send the tables' partially filled batches upstream now");
  flush_cmd->add_option("-t,--table", flush_tables, "a table to flush (repeatable; default: all)");
  flush_cmd->footer(
      "flush opens each table, sends FLUSH and waits for FLUSHED. It does not wait for other\n"
      "producers' records to become durable: see docs/zerobusctl.md.");

  // gen-proto
  zerobusd::ctl::GenProtoOptions gen;
  CLI::App* gen_cmd =
      app.add_subcommand("gen-proto",
                         "write a proto2 schema for a Unity Catalog table (like the SDK's "
                         "generate_proto tool)");
  gen_cmd->add_option("-t,--table", gen.table, "catalog.schema.table")->required();
  gen_cmd
      ->add_option("--workspace-url", gen.workspace_url, "https://<workspace>.cloud.databricks.com")
      ->required();
  gen_cmd->add_option("--client-id", gen.client_id, "the service principal's OAuth client id")
      ->required();
  auto* secret_group = gen_cmd->add_option_group("secret", "the OAuth client secret (one of)");
  secret_group->add_option("--client-secret-env", gen.secret_env,
                           "name of the environment variable holding the secret");
  secret_group->add_option("--client-secret-file", gen.secret_file,
                           "file holding the secret (a trailing newline is ignored)");
  secret_group->require_option(1);
  gen_cmd->add_option("--ca-bundle", gen.ca_bundle, "PEM bundle to trust instead of the system's")
      ->check(CLI::ExistingFile);
  gen_cmd->add_option("-o,--output", gen.output, "the .proto file to write; '-' or absent: stdout");
  gen_cmd->add_option("--message", gen.message, "message name (default: the table part)");
  gen_cmd->footer(
      "Example:\n"
      "  DATABRICKS_CLIENT_SECRET=... zerobusctl gen-proto --table main.default.events \\\n"
      "      --workspace-url https://my.cloud.databricks.com --client-id <id> \\\n"
      "      --client-secret-env DATABRICKS_CLIENT_SECRET --output events.proto\n"
      "The secret is never taken on the command line and never printed.\n"
      "Exit: 0 written; 1 the workspace refused or failed, or a column type has no mapping;\n"
      "2 usage error.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);  // prints help, version or the error
    if (code == 0) return 0;
    // Docker reserves exit code 2 in HEALTHCHECK: a probe only ever sees 0 or 1.
    return app.got_subcommand(health_cmd) ? toInt(ExitCode::kFailed) : toInt(ExitCode::kUsage);
  }
  const auto timeout = zerobusd::ctl::parseDuration(timeout_text);
  if (!timeout) {
    std::fprintf(stderr,
                 "zerobusctl: --timeout '%s' is not a duration between 1ms and 24h "
                 "(e.g. 500ms, 5s, 2m)\n",
                 timeout_text.c_str());
    return app.got_subcommand(health_cmd) ? toInt(ExitCode::kFailed) : toInt(ExitCode::kUsage);
  }
  global.timeout = *timeout;

  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout is a write error, not a crash
  setupLogging();
  ExitCode result = ExitCode::kUsage;
  if (app.got_subcommand(send_cmd)) {
    send.ack_accepted = ack == "accepted";
    result = zerobusd::ctl::runSend(global, send);
  } else if (app.got_subcommand(status_cmd)) {
    result = zerobusd::ctl::runStatus(global, status_raw);
  } else if (app.got_subcommand(health_cmd)) {
    result = zerobusd::ctl::runHealth(global);
  } else if (app.got_subcommand(tables_cmd)) {
    result = zerobusd::ctl::runTables(global);
  } else if (app.got_subcommand(flush_cmd)) {
    result = zerobusd::ctl::runFlush(global, flush_tables);
  } else if (app.got_subcommand(gen_cmd)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    result = zerobusd::ctl::runGenProto(global, gen);
    curl_global_cleanup();
  }
  return toInt(result);
}
