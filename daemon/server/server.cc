#include "daemon/server/server.h"

#include <cstdlib>

#include <nlohmann/json.hpp>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "common/frame/frame.h"
#include "common/frame/messages.h"
#include "daemon/config/transport_options.h"
#include "daemon/server/config_diff.h"
#include "daemon/upstream/channel.h"
#include "daemon/upstream/stream_pool.h"

namespace zerobusd::server {

namespace {

class ValidatorCheck final : public ipc::RecordCheck {
 public:
  explicit ValidatorCheck(const validate::RecordValidator& validator) : validator_(validator) {}
  bool check(std::string_view record, std::string* error) const override {
    return validator_.validate(record, error);
  }

 private:
  const validate::RecordValidator& validator_;
};

ipc::SessionLimits sessionLimits(const config::Config& c) {
  ipc::SessionLimits l;
  l.max_frame_bytes = static_cast<uint32_t>(c.limits.max_frame_bytes);
  l.max_records_per_frame = static_cast<uint32_t>(c.limits.max_records_per_frame);
  l.max_record_bytes = static_cast<uint64_t>(c.limits.max_record_bytes);
  l.window_records = static_cast<uint64_t>(c.limits.connection_window_records);
  l.window_bytes = static_cast<uint64_t>(c.limits.connection_window_bytes);
  l.max_handles = static_cast<uint32_t>(c.limits.max_handles_per_connection);
  l.handshake_timeout_ms = c.limits.handshake_timeout_ms;
  l.idle_timeout_ms = c.limits.idle_timeout_ms;
  l.frame_timeout_ms = c.limits.frame_timeout_ms;
  int64_t flush = 0;
  for (const auto& t : c.tables) flush = std::max(flush, t.stream.flush_timeout_ms);
  l.flush_timeout_ms = flush > 0 ? flush : l.flush_timeout_ms;
  return l;
}

// The channel to Zerobus for `service`; proxies from the process environment, as the SDK does.
absl::StatusOr<std::shared_ptr<grpc::Channel>> channelFor(const config::ServiceConfig& service) {
  return upstream::makeChannel(config::transportOptions(service), [](const char* name) { return std::getenv(name); });
}

}  // namespace

Server::Server(UvEventLoop& loop, std::shared_ptr<const config::Config> config)
    : loop_(loop), config_(std::move(config)) {}

Server::~Server() {
  alive_ = false;
  if (publish_timer_) loop_.cancelTimer(*publish_timer_);
  if (drain_timer_) loop_.cancelTimer(*drain_timer_);
  if (exporter_) exporter_->stop();
  life_.reset();
  // Close the connections, not just drop the sessions: an open connection keeps itself (and
  // its socket handle) alive until its close callback, so without this it would outlive the
  // daemon (a leak, and a loop that cannot close). Moved out first: closing calls back into
  // sessions_.
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (auto& [id, session] : sessions) session->close("daemon stopped");
  sessions.clear();
  tables_.clear();  // streams and token sources, before the fetcher
  retired_.clear();
  fetcher_.reset();
}

absl::Status Server::start() {
  registry_ = std::make_shared<metrics::Registry>();
  metrics_ = std::make_unique<DaemonMetrics>(registry_, kVersion);
  if (auto status = buildTables(); !status.ok()) return status;

  if (config_->metrics.enabled) {
    metrics::HttpExporterOptions options;
    options.listen_address = config_->metrics.listen;
    // The config loader has already checked a non-loopback address and warned about it (a
    // container publishes the port on purpose).
    options.allow_non_loopback = true;
    exporter_ = std::make_unique<metrics::HttpExporter>(options);
    exporter_->registerCollectable(registry_);
    exporter_->setHealthCheck([this] {
      return metrics::ProbeResult{alive_.load(), alive_.load() ? "ok\n" : "stopping\n", "text/plain"};
    });
    exporter_->setReadinessCheck([this] {
      bool ok = ready_.load();
      return metrics::ProbeResult{ok, ok ? "ready\n" : "not ready: no open stream for some table\n", "text/plain"};
    });
    if (auto status = exporter_->start(); !status.ok()) return status;
  }

  listener_ = std::make_unique<ipc::Listener>(loop_.raw());
  ipc::ListenerOptions listen;
  listen.path = config_->socket.path;
  listen.mode = config_->socket.mode;
  listen.group = config_->socket.group;
  if (auto status = listener_->start(listen, [this](std::shared_ptr<ipc::Connection> c) { onConnection(std::move(c)); });
      !status.ok()) {
    return status;
  }
  for (auto& [name, table] : tables_) table->pipeline->start();
  publishMetrics();
  spdlog::info("zerobusd {} listening on {} ({} table(s)), metrics on {}", kVersion, config_->socket.path,
               tables_.size(), exporter_ ? std::to_string(exporter_->port()) : std::string("off"));
  for (const auto& warning : config_->warnings) spdlog::warn("config: {}", warning);
  return absl::OkStatus();
}

absl::Status Server::buildTables() {
  auto channel = channelFor(config_->service);
  if (!channel.ok()) return channel.status();
  channel_ = *channel;
  for (const auto& table_config : config_->tables) {
    auto table = buildTable(table_config, config_, channel_);
    if (!table.ok()) return table.status();
    tables_.emplace(table_config.name, std::move(*table));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Server::Table>> Server::buildTable(const config::TableConfig& table_config,
                                                                  std::shared_ptr<const config::Config> owner,
                                                                  std::shared_ptr<grpc::Channel> channel) {
  const config::Config& cfg = *owner;
  auto table = std::make_unique<Table>();
  table->config_owner = std::move(owner);
  table->config = &table_config;
  table->channel = std::move(channel);
  const std::string& name = table_config.name;
  if (table_config.validate) {
    table->validator = table_config.record_type == upstream::RecordType::Proto
                           ? validate::makeProtoValidator(*table_config.descriptor)
                           : validate::makeJsonValidator();
    table->check = std::make_unique<ValidatorCheck>(*table->validator);
  }
  if (cfg.auth.mode == config::AuthMode::OAuth) {
    OAuthTokenConfig token;
    token.workspace_url = cfg.service.workspace_url;
    token.zerobus_endpoint = cfg.service.endpoint;
    token.table = name;
    token.client_id = cfg.auth.client_id;
    token.client_secret = cfg.auth.client_secret.reveal();
    OAuthTokenOptions options;
    options.ca_file = cfg.auth.ca_bundle_file;
    options.connect_timeout = std::chrono::milliseconds(cfg.auth.connect_timeout_ms);
    options.request_timeout = std::chrono::milliseconds(cfg.auth.request_timeout_ms);
    options.retry.max_attempts = static_cast<int>(cfg.auth.fetch_attempts);
    if (auto status = validateOAuthTokenConfig(token); !status.ok()) return status;
    if (!fetcher_) fetcher_ = std::make_unique<CurlFetcher>();
    table->tokens = OAuthTokenSource::create(loop_, *fetcher_, token, token_metrics_, options);
  } else {
    table->tokens = std::make_shared<StaticTokenSource>(cfg.auth.token.reveal());
  }
  table->metrics = &metrics_->table(name);

  pipeline::BatchingOptions batching;
  batching.max_records = table_config.batch.max_records;
  batching.max_bytes = table_config.batch.max_bytes;
  batching.linger_ms = table_config.batch.linger_ms;
  batching.max_queue_bytes = table_config.max_queue_bytes;
  upstream::PoolOptions pool;
  pool.min_streams = static_cast<int>(table_config.pool.min_streams);
  pool.max_streams = static_cast<int>(table_config.pool.max_streams);

  auto* t = table.get();
  auto stream_factory = [this, t](upstream::StreamCallbacks callbacks) {
    return upstream::ZerobusStream::create(loop_, t->channel, t->tokens, t->config->target(), t->config->stream,
                                           std::move(callbacks), &t->metrics->upstream);
  };
  auto pool_factory = [this, t, pool, stream_factory](upstream::PoolCallbacks callbacks) {
    return std::make_unique<upstream::StreamPool>(loop_, pool, stream_factory, std::move(callbacks),
                                                  &t->metrics->upstream);
  };
  DaemonMetrics* metrics = metrics_.get();
  table->pipeline = std::make_unique<pipeline::TablePipeline>(
      loop_, name, batching, pool_factory,
      [metrics, name](const upstream::BatchOutcome& outcome) { metrics->batchDone(name, outcome); });
  table->binding.name = name;
  table->binding.record_type = table_config.record_type == upstream::RecordType::Proto ? 1 : 2;
  table->binding.pipeline = table->pipeline.get();
  table->binding.check = table->check.get();
  const config::TableConfig* tc = &table_config;
  table->binding.allowed = [tc](const ipc::PeerCredentials& peer) { return tc->allows(peer.uid, peer.gid); };
  return table;
}

void Server::onConnection(std::shared_ptr<ipc::Connection> connection) {
  if (shutting_down_ || static_cast<int64_t>(sessions_.size()) >= config_->limits.max_connections) {
    const char* reason = shutting_down_ ? "shutting_down" : "too_many_connections";
    metrics_->connectionRefused(reason);
    spdlog::warn("refused a connection from pid {} uid {}: {}", connection->peer().pid, connection->peer().uid,
                 reason);
    std::string frame;
    frame::encodeError(frame, shutting_down_ ? frame::ErrorCode::kShuttingDown : frame::ErrorCode::kLimitExceeded,
                       true, true, 0,
                       shutting_down_ ? "zerobusd is shutting down"
                                      : fmt::format("at most {} connections", config_->limits.max_connections));
    connection->start({});
    connection->write(frame);
    connection->close(reason, true);
    return;
  }
  metrics_->connectionAccepted();
  uint64_t id = next_session_++;
  ipc::SessionDeps deps{loop_,
                        sessionLimits(*config_),
                        kVersion,
                        [this](const std::string& name) -> const ipc::TableBinding* {
                          auto it = tables_.find(name);
                          return it == tables_.end() ? nullptr : &it->second->binding;
                        },
                        [this] { return statusJson(); },
                        [this](uint64_t session) {
                          sessions_.erase(session);
                          metrics_->connections(static_cast<int64_t>(sessions_.size()));
                        },
                        metrics_.get()};
  auto session = std::make_shared<ipc::Session>(std::move(deps), std::move(connection), id);
  sessions_.emplace(id, session);
  metrics_->connections(static_cast<int64_t>(sessions_.size()));
  session->start();
}

void Server::publishMetrics() {
  // Also called out of turn (after a reload): one timer chain only.
  if (publish_timer_) loop_.cancelTimer(*publish_timer_);
  publish_timer_.reset();
  bool ready = !shutting_down_;
  for (auto& [name, table] : tables_) {
    const auto& pool = table->pipeline->pool();
    metrics_->publish(name, table->pipeline->stats(), pool.streamCount(), pool.openStreams());
    ready = ready && pool.openStreams() > 0;
  }
  metrics_->publishTokens(token_metrics_);
  ready_ = ready;
  publish_timer_ = loop_.addTimer(std::chrono::seconds(1), [this] {
    publish_timer_.reset();
    publishMetrics();
  });
}

std::string Server::statusJson() const {
  nlohmann::json tables = nlohmann::json::object();
  for (const auto& [name, table] : tables_) {
    auto stats = table->pipeline->stats();
    const auto& pool = table->pipeline->pool();
    tables[name] = {{"record_type", table->binding.record_type == 1 ? "proto" : "json"},
                    {"streams", pool.streamCount()},
                    {"open_streams", pool.openStreams()},
                    {"queue_bytes", stats.queued_bytes},
                    {"batches_inflight", stats.batches_inflight},
                    {"records_durable", stats.records_durable},
                    {"records_failed", stats.records_failed}};
  }
  return nlohmann::json{{"version", kVersion},
                        {"ready", ready_.load()},
                        {"shutting_down", shutting_down_},
                        {"connections", sessions_.size()},
                        {"tables", tables}}
      .dump();
}

void Server::shutdown(std::function<void(bool drained)> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  ready_ = false;
  shutdown_done_ = std::move(done);
  spdlog::info("zerobusd: stopping; draining for at most {} ms", config_->shutdown.drain_timeout_ms);
  if (listener_) listener_->stop();
  // Copy: a session may end (and leave the map) while being told.
  auto sessions = sessions_;
  for (auto& [id, session] : sessions) session->announceShutdown("zerobusd is shutting down");
  tables_draining_ = tables_.size() + retired_.size();
  if (tables_draining_ == 0) {
    finishShutdown(true);
    return;
  }
  drain_timer_ = loop_.addTimer(std::chrono::milliseconds(config_->shutdown.drain_timeout_ms), [this] {
    drain_timer_.reset();
    finishShutdown(false);
  });
  auto drained = [this] {
    if (tables_draining_ > 0 && --tables_draining_ == 0) finishShutdown(true);
  };
  for (auto& [name, table] : tables_) table->pipeline->drain(drained);
  // Tables a reload took away are draining already; the shutdown waits for them too (they
  // close themselves, see retire()).
  for (auto& table : retired_) table->pipeline->drain(drained);
}

absl::Status Server::reload(absl::StatusOr<std::shared_ptr<const config::Config>> loaded) {
  auto refuse = [this](absl::Status why) {
    metrics_->reload(false);
    return why;
  };
  if (!loaded.ok()) return refuse(loaded.status());
  std::shared_ptr<const config::Config> next = *std::move(loaded);
  if (shutting_down_) return refuse(absl::FailedPreconditionError("zerobusd is shutting down"));
  ConfigDiff diff = diffConfigs(*config_, *next);
  if (!diff.needs_restart.empty()) {
    return refuse(absl::FailedPreconditionError(
        fmt::format("these settings only change at a restart: {}", fmt::join(diff.needs_restart, "; "))));
  }
  // Everything that can fail comes first, so a refused reload leaves nothing half applied.
  std::shared_ptr<grpc::Channel> channel = channel_;
  if (diff.upstream_changed) {
    auto made = channelFor(next->service);
    if (!made.ok()) return refuse(made.status());
    channel = *made;
  }
  std::map<std::string, std::unique_ptr<Table>> built;
  for (const auto& names : {diff.added, diff.changed}) {
    for (const auto& name : names) {
      auto table = buildTable(*next->findTable(name), next, channel);
      if (!table.ok()) return refuse(table.status());
      built.emplace(name, std::move(*table));
    }
  }
  if (diff.socket_access_changed && listener_) {
    if (auto status = listener_->setAccess(next->socket.mode, next->socket.group); !status.ok()) return refuse(status);
  }

  // Apply. Unchanged tables keep their streams; their config lives on in the old Config, which
  // they own a reference to.
  config_ = std::move(next);
  channel_ = channel;
  if (diff.log_level_changed) spdlog::set_level(spdlog::level::from_str(config_->log.level));
  for (auto& [name, table] : built) {
    table->pipeline->start();
    auto it = tables_.find(name);
    if (it == tables_.end()) {
      tables_.emplace(name, std::move(table));
      continue;
    }
    std::unique_ptr<Table> old = std::move(it->second);
    it->second = std::move(table);
    retire(std::move(old), it->second.get(), "");
  }
  for (const auto& name : diff.removed) {
    auto it = tables_.find(name);
    std::unique_ptr<Table> old = std::move(it->second);
    tables_.erase(it);
    retire(std::move(old), nullptr, fmt::format("table '{}' was removed from zerobusd's configuration", name));
  }
  metrics_->reload(true);
  spdlog::info("zerobusd: configuration reloaded from {}: {}", config_->source_path.empty() ? "text" : config_->source_path,
               diff.summary());
  for (const auto& warning : config_->warnings) spdlog::warn("config: {}", warning);
  publishMetrics();
  return absl::OkStatus();
}

void Server::retire(std::unique_ptr<Table> table, const Table* successor, const std::string& why) {
  const ipc::TableBinding* to = successor != nullptr ? &successor->binding : nullptr;
  for (auto& [id, session] : sessions_) session->rebind(&table->binding, to, why);
  Table* raw = table.get();
  retired_.push_back(std::move(table));
  std::weak_ptr<bool> life = life_;
  // What it accepted still becomes durable (or fails back to its producers) before it goes.
  raw->pipeline->drain([this, raw, life] {
    if (life.expired()) return;
    raw->pipeline->close([this, raw, life] {
      if (life.expired()) return;
      // Not from inside the pipeline's own callback: destroy it from the loop.
      loop_.post([this, raw, life] {
        if (life.expired()) return;
        std::erase_if(retired_, [raw](const std::unique_ptr<Table>& t) { return t.get() == raw; });
      });
    });
  });
}

void Server::finishShutdown(bool drained) {
  if (!shutdown_done_) return;
  if (drain_timer_) {
    loop_.cancelTimer(*drain_timer_);
    drain_timer_.reset();
  }
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  uint64_t left = 0;
  for (auto& [name, table] : tables_) left += table->pipeline->stats().queued_bytes;
  if (!drained) spdlog::error("zerobusd: drain deadline passed with {} bytes of records not durable", left);
  auto finish = [this, done, drained] {
    auto sessions = sessions_;
    for (auto& [id, session] : sessions) session->close("daemon stopped");
    if (exporter_) exporter_->stop();
    done(drained);
  };
  if (!drained) {
    finish();
    return;
  }
  // Everything is durable: close the streams cleanly (half-close, late acks).
  if (tables_.empty()) {
    finish();
    return;
  }
  auto remaining = std::make_shared<size_t>(tables_.size());
  for (auto& [name, table] : tables_) {
    table->pipeline->close([remaining, finish] {
      if (--*remaining == 0) finish();
    });
  }
}

}  // namespace zerobusd::server
