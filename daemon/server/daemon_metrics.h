#pragma once
// Every metric zerobusd exports, declared in one place (docs/operations.md has the reference).
// Counters the loop updates directly are registry metrics; the upstream streams' and token
// sources' own atomic counters are copied in by publish(), which the server calls on a timer
// and before each scrape would see them stale by at most that period.
//
// Thread affinity: updates on the loop thread; the exporter's threads read the registry.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "daemon/auth/oauth_token_source.h"
#include "daemon/ipc/session.h"
#include "daemon/metrics/counter.h"
#include "daemon/metrics/family.h"
#include "daemon/metrics/gauge.h"
#include "daemon/metrics/histogram.h"
#include "daemon/metrics/registry.h"
#include "daemon/pipeline/table_pipeline.h"
#include "daemon/upstream/upstream_metrics.h"

namespace zerobusd::server {

class DaemonMetrics final : public ipc::SessionMetrics {
 public:
  DaemonMetrics(std::shared_ptr<metrics::Registry> registry, const std::string& version);

  metrics::Registry& registry() { return *registry_; }

  // Per table, created at start (and on reload).
  struct Table {
    upstream::UpstreamMetrics upstream;  // the pool's streams update it
    metrics::Counter* records_received = nullptr;
    metrics::Counter* bytes_received = nullptr;
    metrics::Counter* records_accepted = nullptr;
    metrics::Counter* bytes_accepted = nullptr;
    metrics::Counter* records_durable = nullptr;
    metrics::Counter* bytes_durable = nullptr;
    metrics::Counter* records_failed_retriable = nullptr;
    metrics::Counter* records_failed_final = nullptr;
    metrics::Histogram* batch_records = nullptr;
    metrics::Histogram* ack_latency = nullptr;
    metrics::Gauge* queue_bytes = nullptr;
    metrics::Gauge* batches_inflight = nullptr;
    metrics::Gauge* streams_open = nullptr;
    metrics::Gauge* streams = nullptr;
    // copied from `upstream` by publish()
    metrics::Counter* stream_opens = nullptr;
    metrics::Counter* stream_open_failures = nullptr;
    metrics::Counter* recoveries = nullptr;
    metrics::Counter* stream_failures = nullptr;
    metrics::Counter* close_signals = nullptr;
    metrics::Counter* lack_of_ack = nullptr;
    metrics::Counter* batches_replayed = nullptr;
    metrics::Counter* batches_isolated = nullptr;
    upstream::UpstreamMetrics published;  // what publish() copied last time
  };
  Table& table(const std::string& name);

  // A batch finished (pipeline observer).
  void batchDone(const std::string& table, const upstream::BatchOutcome& outcome);
  // Copies counters kept elsewhere and sets gauges from the loop's state.
  void publish(const std::string& table, const pipeline::TableStats& stats, int streams, int open_streams);
  void publishTokens(const TokenMetrics& tokens);
  void connections(int64_t open);
  void connectionAccepted();
  void connectionRefused(const char* reason);
  void reload(bool ok);

  // ipc::SessionMetrics
  void frame(uint8_t type) override;
  void recordsReceived(const std::string& table, uint64_t records, uint64_t bytes) override;
  void recordsAccepted(const std::string& table, uint64_t records, uint64_t bytes) override;
  void recordsRejected(const std::string& table, const char* reason, uint64_t records) override;
  void protocolError(const char* reason) override;
  void openRefused(const char* reason) override;
  void outcomeDropped(uint64_t records) override;

 private:
  std::shared_ptr<metrics::Registry> registry_;
  metrics::Family<metrics::Counter>* records_received_;
  metrics::Family<metrics::Counter>* bytes_received_;
  metrics::Family<metrics::Counter>* records_accepted_;
  metrics::Family<metrics::Counter>* bytes_accepted_;
  metrics::Family<metrics::Counter>* records_durable_;
  metrics::Family<metrics::Counter>* bytes_durable_;
  metrics::Family<metrics::Counter>* records_rejected_;
  metrics::Family<metrics::Counter>* records_failed_;
  metrics::Family<metrics::Histogram>* batch_records_;
  metrics::Family<metrics::Histogram>* ack_latency_;
  metrics::Family<metrics::Gauge>* queue_bytes_;
  metrics::Family<metrics::Gauge>* batches_inflight_;
  metrics::Family<metrics::Gauge>* streams_;
  metrics::Family<metrics::Counter>* stream_events_;
  metrics::Family<metrics::Counter>* token_fetches_;
  metrics::Family<metrics::Counter>* frames_;
  metrics::Family<metrics::Counter>* protocol_errors_;
  metrics::Family<metrics::Counter>* opens_refused_;
  metrics::Family<metrics::Counter>* connections_total_;
  metrics::Gauge* connections_open_;
  metrics::Counter* outcomes_dropped_;
  metrics::Family<metrics::Counter>* reloads_;
  metrics::Gauge* last_reload_ok_;
  std::map<std::string, std::unique_ptr<Table>> tables_;
  std::map<int, metrics::Counter*> frame_counters_;
  TokenMetrics tokens_published_;
};

}  // namespace zerobusd::server
