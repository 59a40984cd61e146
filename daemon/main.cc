// zerobusd: argv, logging, process-wide library init, signals and exit codes.
//   0  stopped and everything accepted was durable (or failed back to its producer)
//   1  could not start, or records were left behind at shutdown
//   2  bad command line or configuration

#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "daemon/config/config.h"
#include "daemon/config/environment.h"
#include "daemon/loop/uv_event_loop.h"
#include "daemon/server/server.h"

namespace {

void setupLogging(const zerobusd::config::LogConfig& log) {
  auto logger = spdlog::stderr_logger_mt("zerobusd");
  if (log.format == zerobusd::config::LogFormat::Json) {
    // One JSON object a line for log shippers; messages never carry secrets or tokens.
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%f%z","level":"%l","pid":%P,"msg":"%v"})");
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(log.level));
  spdlog::set_default_logger(logger);
  // Logging must never throw into the daemon.
  spdlog::set_error_handler([](const std::string& message) {
    std::fprintf(stderr, "zerobusd: logging failed: %s\n", message.c_str());
  });
}

struct Signals {
  uv_signal_t term{};
  uv_signal_t interrupt{};
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zerobusd: local ingestion daemon for Databricks Zerobus"};
  std::string config_path = "/etc/zerobusd/zerobusd.yaml";
  bool check_only = false;
  std::string log_level;
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_flag("--check-config", check_only, "load and check the configuration, then exit");
  app.add_option("--log-level", log_level, "override log.level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.set_version_flag("--version", std::string("zerobusd ") + zerobusd::server::kVersion);
  CLI11_PARSE(app, argc, argv);

  zerobusd::config::ProcessEnvironment env;
  auto loaded = zerobusd::config::loadConfig(config_path, env);
  if (!loaded.ok()) {
    std::fprintf(stderr, "zerobusd: %s\n", std::string(loaded.status().message()).c_str());
    return 2;
  }
  std::shared_ptr<const zerobusd::config::Config> config = *loaded;
  if (check_only) {
    for (const auto& warning : config->warnings) std::fprintf(stderr, "zerobusd: warning: %s\n", warning.c_str());
    std::printf("zerobusd: %s is valid (%zu table(s))\n", config_path.c_str(), config->tables.size());
    return 0;
  }
  zerobusd::config::LogConfig log = config->log;
  if (!log_level.empty()) log.level = log_level;
  setupLogging(log);

  std::signal(SIGPIPE, SIG_IGN);  // a producer that went away is a write error, not a crash
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int exit_code = 0;
  {
    zerobusd::UvEventLoop loop;
    zerobusd::server::Server server(loop, config);
    if (auto status = server.start(); !status.ok()) {
      spdlog::critical("zerobusd cannot start: {}", status.ToString());
      curl_global_cleanup();
      return 1;
    }
    // SIGTERM/SIGINT: graceful drain; a second one stops at once.
    Signals signals;
    int received = 0;
    // The signal handles keep the loop alive: close them with it.
    auto stop_loop = [&] {
      uv_close(reinterpret_cast<uv_handle_t*>(&signals.term), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&signals.interrupt), nullptr);
      loop.stop();
    };
    auto on_signal = [&](int signum) {
      if (++received > 1) {
        spdlog::warn("zerobusd: second signal {}, stopping now", signum);
        exit_code = 1;
        stop_loop();
        return;
      }
      spdlog::info("zerobusd: signal {}, shutting down", signum);
      server.shutdown([&](bool drained) {
        exit_code = drained ? 0 : 1;
        stop_loop();
      });
    };
    std::function<void(int)> handler = on_signal;
    for (auto [handle, signum] : {std::pair{&signals.term, SIGTERM}, std::pair{&signals.interrupt, SIGINT}}) {
      uv_signal_init(loop.raw(), handle);
      handle->data = &handler;
      uv_signal_start(
          handle, [](uv_signal_t* h, int s) { (*static_cast<std::function<void(int)>*>(h->data))(s); }, signum);
    }
    loop.run();
  }
  curl_global_cleanup();
  spdlog::info("zerobusd: exit {}", exit_code);
  return exit_code;
}
