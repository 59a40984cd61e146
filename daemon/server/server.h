#pragma once
// zerobusd's composition root: builds, starts, drains and stops the modules in a fixed order.
// Config -> token sources and channel -> per-table pipelines (batcher + stream pool) -> the
// Unix-socket listener and producer sessions -> metrics, health and readiness.
//
// Thread affinity: construct anywhere; start(), shutdown() and everything else on the loop
// thread (main.cc runs the loop on the main thread). The metrics exporter reads only atomics.
// Error contract: start() returns why the daemon cannot run (socket in use, bad channel...);
// shutdown() reports whether everything accepted became final before the deadline.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/auth/curl_fetcher.h"
#include "daemon/auth/oauth_token_source.h"
#include "daemon/config/config.h"
#include "daemon/ipc/listener.h"
#include "daemon/ipc/session.h"
#include "daemon/loop/uv_event_loop.h"
#include "daemon/metrics/http_exporter.h"
#include "daemon/pipeline/table_pipeline.h"
#include "daemon/server/daemon_metrics.h"
#include "daemon/validate/record_validator.h"

namespace zerobusd::server {

inline constexpr char kVersion[] = "0.1.0";

class Server {
 public:
  Server(UvEventLoop& loop, std::shared_ptr<const config::Config> config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] absl::Status start();
  // Stops accepting, tells producers, flushes every table and waits (bounded by
  // shutdown.drain_timeout_ms) for everything accepted to become final, then closes the
  // streams. `done(true)` when nothing was left behind.
  void shutdown(std::function<void(bool drained)> done);

  // Applies a new configuration (SIGHUP / ExecReload) without dropping producers or records:
  // tables added, removed (after draining) or changed, limits changed. Refused, with the old
  // configuration kept, when the new one cannot be applied in place (e.g. another socket path);
  // the status says why.
  // `next` is loadConfig's result: an invalid file is refused (and counted) here too.
  [[nodiscard]] absl::Status reload(absl::StatusOr<std::shared_ptr<const config::Config>> next);

  int metricsPort() const { return exporter_ ? exporter_->port() : 0; }
  std::string statusJson() const;
  bool ready() const { return ready_.load(); }

 private:
  struct Table {
    std::shared_ptr<const config::Config> config_owner;  // keeps `config` alive across reloads
    const config::TableConfig* config = nullptr;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<validate::RecordValidator> validator;
    std::unique_ptr<ipc::RecordCheck> check;
    std::shared_ptr<TokenSource> tokens;
    std::unique_ptr<pipeline::TablePipeline> pipeline;
    ipc::TableBinding binding;
    DaemonMetrics::Table* metrics = nullptr;
  };

  [[nodiscard]] absl::Status buildTables();
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Table>> buildTable(const config::TableConfig& table_config,
                                                                   std::shared_ptr<const config::Config> owner,
                                                                   std::shared_ptr<grpc::Channel> channel);
  // Takes a table out of service: sessions' handles move to `successor` (or lose the table),
  // its pipeline drains and closes, then it is destroyed.
  void retire(std::unique_ptr<Table> table, const Table* successor, const std::string& why);
  void onConnection(std::shared_ptr<ipc::Connection> connection);
  void publishMetrics();
  void finishShutdown(bool drained);

  UvEventLoop& loop_;
  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<metrics::Registry> registry_;
  std::unique_ptr<DaemonMetrics> metrics_;
  std::unique_ptr<metrics::HttpExporter> exporter_;
  std::unique_ptr<CurlFetcher> fetcher_;
  TokenMetrics token_metrics_;
  std::shared_ptr<grpc::Channel> channel_;
  std::map<std::string, std::unique_ptr<Table>, std::less<>> tables_;
  std::vector<std::unique_ptr<Table>> retired_;  // draining after a reload took them away
  std::unique_ptr<ipc::Listener> listener_;
  std::map<uint64_t, std::shared_ptr<ipc::Session>> sessions_;
  uint64_t next_session_ = 1;
  std::optional<EventLoop::TimerId> publish_timer_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> alive_{true};
  bool shutting_down_ = false;
  std::function<void(bool)> shutdown_done_;
  std::optional<EventLoop::TimerId> drain_timer_;
  size_t tables_draining_ = 0;
  std::shared_ptr<bool> life_ = std::make_shared<bool>(true);  // for callbacks that may outlive us
};

}  // namespace zerobusd::server
