// zerobusd: argv, logging, process-wide library init, signals, the service manager and exit codes.
//   0  stopped and everything accepted was durable (or failed back to its producer)
//   1  could not start, or records were left behind at shutdown
//   2  bad command line or configuration
// Signals: SIGTERM/SIGINT drain and stop (a second one stops at once); SIGHUP reloads the
// configuration file (systemctl reload), keeping the running one when the new one is refused.
// Under systemd (Type=notify) it reports READY/RELOADING/STOPPING/STATUS, pings the watchdog and
// adopts a socket passed by socket activation (daemon/systemd); without systemd none of that
// does anything.

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <functional>
#include <string>
#include <tuple>

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "daemon/config/config.h"
#include "daemon/config/environment.h"
#include "daemon/ipc/listener.h"
#include "daemon/loop/uv_event_loop.h"
#include "daemon/server/server.h"
#include "daemon/systemd/sd_daemon.h"
#include "daemon/systemd/service_notifier.h"
#include "daemon/upstream/call_reaper.h"

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

// A config error lists one problem a line; a log line (and a JSON log record) is one line.
std::string oneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ';');
  return text;
}

// Sockets from socket activation go to the Listener registry; any the Listener did not adopt
// (bound to another path than socket.path) are closed with a warning, never kept open unused.
void closeUnadoptedSockets() {
  for (int fd : zerobusd::ipc::takeUnadoptedInheritedSockets()) {
    spdlog::warn("ignoring socket fd {} passed by the service manager: not a listening Unix socket at socket.path",
                 fd);
    ::close(fd);
  }
}

struct Signals {
  uv_signal_t term{};
  uv_signal_t interrupt{};
  uv_signal_t hangup{};
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
    // For `systemctl status`; not from --check-config (ExecReload runs it: not the main process).
    if (!check_only) {
      zerobusd::systemd::notify("STATUS=bad configuration: " + oneLine(std::string(loaded.status().message())));
    }
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
  // Read before any thread starts: these look at (and clear) the environment.
  zerobusd::ipc::registerInheritedSockets(zerobusd::systemd::takeListenFds());
  auto notifier_options = zerobusd::systemd::ServiceNotifierOptions::fromEnvironment();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int exit_code = 0;
  {
    zerobusd::UvEventLoop loop;
    zerobusd::server::Server server(loop, config);
    zerobusd::systemd::ServiceNotifier notifier(loop, notifier_options, [&server] { return server.statusJson(); });
    if (auto status = server.start(); !status.ok()) {
      spdlog::critical("zerobusd cannot start: {}", status.ToString());
      notifier.failed(std::string(status.message()));
      closeUnadoptedSockets();
      curl_global_cleanup();
      return 1;
    }
    closeUnadoptedSockets();

    Signals signals;
    int received = 0;
    // The signal handles keep the loop alive: close them with it.
    auto stop_loop = [&] {
      for (uv_signal_t* handle : {&signals.term, &signals.interrupt, &signals.hangup}) {
        uv_close(reinterpret_cast<uv_handle_t*>(handle), nullptr);
      }
      loop.stop();
    };
    // SIGTERM/SIGINT: graceful drain; a second one stops at once.
    auto on_stop = [&](int signum) {
      if (++received > 1) {
        spdlog::warn("zerobusd: second signal {}, stopping now", signum);
        exit_code = 1;
        stop_loop();
        return;
      }
      spdlog::info("zerobusd: signal {}, shutting down", signum);
      notifier.stopping();
      server.shutdown([&](bool drained) {
        exit_code = drained ? 0 : 1;
        stop_loop();
      });
    };
    // SIGHUP: read the file again; the Server applies it in place or refuses it whole.
    auto on_reload = [&](int) {
      if (received > 0) {
        spdlog::warn("zerobusd: reload ignored: shutting down");
        return;
      }
      spdlog::info("zerobusd: SIGHUP, reloading {}", config_path);
      notifier.reloading();
      if (auto status = server.reload(zerobusd::config::loadConfig(config_path, env)); !status.ok()) {
        std::string why = oneLine(std::string(status.message()));
        spdlog::error("reload refused: {}; keeping the current configuration", why);
        notifier.reloaded("reload refused: " + why);
        return;
      }
      notifier.reloaded("configuration reloaded");
    };
    std::function<void(int)> stop_handler = on_stop;
    std::function<void(int)> reload_handler = on_reload;
    for (auto [handle, signum, handler] : {std::tuple{&signals.term, SIGTERM, &stop_handler},
                                           std::tuple{&signals.interrupt, SIGINT, &stop_handler},
                                           std::tuple{&signals.hangup, SIGHUP, &reload_handler}}) {
      uv_signal_init(loop.raw(), handle);
      handle->data = handler;
      uv_signal_start(
          handle, [](uv_signal_t* h, int s) { (*static_cast<std::function<void(int)>*>(h->data))(s); }, signum);
    }
    // Only now: systemd sends SIGHUP (reload) to a service it saw become ready.
    notifier.started();
    loop.run();
  }
  // Channels let go of by calls that ended during the shutdown are released before exit.
  zerobusd::upstream::waitReaped();
  curl_global_cleanup();
  spdlog::info("zerobusd: exit {}", exit_code);
  return exit_code;
}
