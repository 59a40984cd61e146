// zerobus-fake: runs the local stand-in of the Zerobus service until SIGINT/SIGTERM.

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "tools/zerobus-fake/fake_server.h"

namespace {

// Written atomically (temp file + rename) once every listener is bound, so scripts that start
// the fake on port 0 learn its ports and know it is ready.
bool writeReadyFile(const std::string& path, const zerobusd::fake::FakeServer& fake) {
  nlohmann::json ready = {{"pid", ::getpid()},
                          {"grpc_port", fake.grpcPort()},
                          {"http_port", fake.httpPort()},
                          {"admin_port", fake.adminPort()},
                          {"tls", !fake.config().plaintext}};
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << ready.dump() << "\n";
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zerobus-fake: a local stand-in for the Databricks Zerobus Ingest service, its "
               "OAuth token endpoint and the Unity Catalog tables API"};
  std::string config_path;
  std::string grpc_listen, http_listen, admin_listen, tls_cert, tls_key, output_dir, ready_file;
  std::string log_level = "info";
  bool plaintext = false;
  bool no_rows = false;
  app.add_option("-c,--config", config_path, "YAML config (tables, clients, stream settings)")
      ->required();
  app.add_option("--grpc-listen", grpc_listen, "gRPC address host:port (port 0: any free port)");
  app.add_option("--http-listen", http_listen, "OAuth and Unity Catalog HTTP address");
  app.add_option("--admin-listen", admin_listen, "admin API address (fault injection, counters)");
  app.add_option("--tls-cert", tls_cert, "server certificate chain, PEM");
  app.add_option("--tls-key", tls_key, "server private key, PEM");
  app.add_flag("--plaintext", plaintext, "serve h2c and plain HTTP (tests only)");
  app.add_option("--output-dir", output_dir, "where landed rows go (<table>.jsonl)");
  app.add_flag("--no-rows", no_rows, "count and decode rows but do not write them (benchmarks)");
  app.add_option("--ready-file", ready_file, "write {pid, ports} here as JSON once listening");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(log_level));
  auto loaded = zerobusd::fake::loadFakeConfig(config_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "zerobus-fake: %s\n", std::string(loaded.status().message()).c_str());
    return 2;
  }
  zerobusd::fake::FakeConfig config = *std::move(loaded);
  if (!grpc_listen.empty()) config.grpc_listen = grpc_listen;
  if (!http_listen.empty()) config.http_listen = http_listen;
  if (!admin_listen.empty()) config.admin_listen = admin_listen;
  if (!tls_cert.empty()) config.tls_cert_file = tls_cert;
  if (!tls_key.empty()) config.tls_key_file = tls_key;
  if (plaintext) config.plaintext = true;
  if (!output_dir.empty()) config.output_dir = output_dir;
  if (no_rows) config.write_rows = false;

  // Block the stop signals before any thread starts, then wait for them here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  zerobusd::fake::FakeServer fake(std::move(config));
  if (auto status = fake.start(); !status.ok()) {
    std::fprintf(stderr, "zerobus-fake: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  if (!ready_file.empty() && !writeReadyFile(ready_file, fake)) {
    std::fprintf(stderr, "zerobus-fake: cannot write %s\n", ready_file.c_str());
    return 1;
  }
  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("zerobus-fake: signal {}, stopping", signal);
  fake.stop();
  return 0;
}
