#include "daemon/server/daemon_metrics.h"

#include <chrono>

#include "common/frame/frame.h"
#include "common/frame/messages.h"
#include "daemon/metrics/info_metric.h"

namespace zerobusd::server {

namespace {

using metrics::BuildCounter;
using metrics::BuildGauge;
using metrics::BuildHistogram;

// Copies the growth of an atomic counter into a registry counter.
void copyDelta(const std::atomic<uint64_t>& source, std::atomic<uint64_t>& seen, metrics::Counter* target) {
  uint64_t now = source.load(std::memory_order_relaxed);
  uint64_t before = seen.exchange(now, std::memory_order_relaxed);
  if (now > before) target->Increment(static_cast<double>(now - before));
}

}  // namespace

DaemonMetrics::DaemonMetrics(std::shared_ptr<metrics::Registry> registry, const std::string& version)
    : registry_(std::move(registry)) {
  auto& r = *registry_;
  records_received_ = &BuildCounter().Name("zerobusd_records_received_total")
                           .Help("Records producers sent, before validation").Register(r);
  bytes_received_ = &BuildCounter().Name("zerobusd_bytes_received_total")
                         .Help("Record bytes producers sent, before validation").Register(r);
  records_accepted_ = &BuildCounter().Name("zerobusd_records_accepted_total")
                           .Help("Records the daemon took ownership of (accepted ack)").Register(r);
  bytes_accepted_ = &BuildCounter().Name("zerobusd_bytes_accepted_total")
                         .Help("Record bytes the daemon took ownership of").Register(r);
  records_durable_ = &BuildCounter().Name("zerobusd_records_durable_total")
                          .Help("Records Zerobus acknowledged as durable").Register(r);
  bytes_durable_ = &BuildCounter().Name("zerobusd_bytes_durable_total")
                        .Help("Record bytes Zerobus acknowledged as durable").Register(r);
  records_rejected_ = &BuildCounter().Name("zerobusd_records_rejected_total")
                           .Help("Records refused before acceptance, by reason").Register(r);
  records_failed_ = &BuildCounter().Name("zerobusd_records_failed_total")
                         .Help("Accepted records that failed upstream, by whether a retry may help")
                         .Register(r);
  batch_records_ = &BuildHistogram().Name("zerobusd_batch_records")
                        .Help("Records per upstream batch request").Register(r);
  ack_latency_ = &BuildHistogram().Name("zerobusd_ack_latency_seconds")
                      .Help("From a batch's hand-over to its stream to its durable ack").Register(r);
  queue_bytes_ = &BuildGauge().Name("zerobusd_queue_bytes")
                      .Help("Accepted record bytes not yet durable (bounded by max_queue_bytes)").Register(r);
  batches_inflight_ = &BuildGauge().Name("zerobusd_inflight_batches")
                           .Help("Batches handed to the stream pool and not yet final").Register(r);
  streams_ = &BuildGauge().Name("zerobusd_streams").Help("Upstream streams in the pool, by state").Register(r);
  stream_events_ = &BuildCounter().Name("zerobusd_stream_events_total")
                        .Help("Upstream stream events: open, open_failure, recovery, failure, "
                              "close_signal, lack_of_ack, replayed_batch").Register(r);
  token_fetches_ = &BuildCounter().Name("zerobusd_token_fetches_total")
                        .Help("OAuth token requests by result").Register(r);
  frames_ = &BuildCounter().Name("zerobusd_frames_total").Help("Frames received from producers, by type").Register(r);
  protocol_errors_ = &BuildCounter().Name("zerobusd_protocol_errors_total")
                          .Help("Connections ended for a protocol error, by reason").Register(r);
  opens_refused_ = &BuildCounter().Name("zerobusd_opens_refused_total")
                        .Help("Table OPENs refused, by error (PERMISSION_DENIED for peers outside a "
                              "table's allow list, UNKNOWN_TABLE, RECORD_TYPE_MISMATCH, LIMIT_EXCEEDED, ...)")
                        .Register(r);
  connections_total_ = &BuildCounter().Name("zerobusd_connections_total")
                            .Help("Producer connections, by result (accepted or why refused)").Register(r);
  connections_open_ = &BuildGauge().Name("zerobusd_connections").Help("Open producer connections").Register(r).Add({});
  outcomes_dropped_ = &BuildCounter().Name("zerobusd_outcomes_undeliverable_total")
                           .Help("Record outcomes whose producer had disconnected").Register(r).Add({});
  reloads_ = &BuildCounter().Name("zerobusd_config_reloads_total")
                 .Help("Configuration reloads (SIGHUP), by result: applied or refused").Register(r);
  reloads_->Add({{"result", "applied"}});
  reloads_->Add({{"result", "refused"}});
  last_reload_ok_ = &BuildGauge().Name("zerobusd_config_last_reload_successful")
                         .Help("1 if the last reload was applied (or none happened), 0 if it was refused")
                         .Register(r).Add({});
  last_reload_ok_->Set(1);
  metrics::registerInfoGauge(r, "zerobusd_build_info", "zerobusd build", {{"version", version}});
  token_fetches_->Add({{"result", "ok"}});
  token_fetches_->Add({{"result", "failed_retriable"}});
  token_fetches_->Add({{"result", "failed_non_retriable"}});
  token_fetches_->Add({{"result", "cache_hit"}});
}

DaemonMetrics::Table& DaemonMetrics::table(const std::string& name) {
  auto& slot = tables_[name];
  if (slot) return *slot;
  slot = std::make_unique<Table>();
  Table& t = *slot;
  metrics::Labels labels{{"table", name}};
  t.records_durable = &records_durable_->Add(labels);
  t.bytes_durable = &bytes_durable_->Add(labels);
  t.records_failed_retriable = &records_failed_->Add({{"table", name}, {"retriable", "true"}});
  t.records_failed_final = &records_failed_->Add({{"table", name}, {"retriable", "false"}});
  t.batch_records = &batch_records_->Add(labels, metrics::exponentialBuckets(1, 4, 9));
  t.ack_latency = &ack_latency_->Add(
      labels, metrics::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5, 1, 2.5, 5, 10, 30});
  t.queue_bytes = &queue_bytes_->Add(labels);
  t.batches_inflight = &batches_inflight_->Add(labels);
  t.streams = &streams_->Add({{"table", name}, {"state", "all"}});
  t.streams_open = &streams_->Add({{"table", name}, {"state", "open"}});
  auto event = [&](const char* kind) { return &stream_events_->Add({{"table", name}, {"event", kind}}); };
  t.stream_opens = event("open");
  t.stream_open_failures = event("open_failure");
  t.recoveries = event("recovery");
  t.stream_failures = event("failure");
  t.close_signals = event("close_signal");
  t.lack_of_ack = event("lack_of_ack");
  t.batches_replayed = event("replayed_batch");
  t.batches_isolated = event("isolated_batch");
  t.records_received = &records_received_->Add(labels);
  t.bytes_received = &bytes_received_->Add(labels);
  t.records_accepted = &records_accepted_->Add(labels);
  t.bytes_accepted = &bytes_accepted_->Add(labels);
  return t;
}

void DaemonMetrics::batchDone(const std::string& name, const upstream::BatchOutcome& outcome) {
  Table& t = table(name);
  t.batch_records->Observe(static_cast<double>(outcome.records));
  if (outcome.status.ok()) {
    t.records_durable->Increment(static_cast<double>(outcome.records));
    t.bytes_durable->Increment(static_cast<double>(outcome.bytes));
    t.ack_latency->Observe(std::chrono::duration<double>(outcome.latency).count());
  } else if (outcome.retriable) {
    t.records_failed_retriable->Increment(static_cast<double>(outcome.records));
  } else {
    t.records_failed_final->Increment(static_cast<double>(outcome.records));
  }
}

void DaemonMetrics::publish(const std::string& name, const pipeline::TableStats& stats, int streams,
                            int open_streams) {
  Table& t = table(name);
  t.queue_bytes->Set(static_cast<double>(stats.queued_bytes));
  t.batches_inflight->Set(static_cast<double>(stats.batches_inflight));
  t.streams->Set(streams);
  t.streams_open->Set(open_streams);
  copyDelta(t.upstream.stream_opens, t.published.stream_opens, t.stream_opens);
  copyDelta(t.upstream.open_failures, t.published.open_failures, t.stream_open_failures);
  copyDelta(t.upstream.recoveries, t.published.recoveries, t.recoveries);
  copyDelta(t.upstream.failures, t.published.failures, t.stream_failures);
  copyDelta(t.upstream.close_signals, t.published.close_signals, t.close_signals);
  copyDelta(t.upstream.lack_of_ack_timeouts, t.published.lack_of_ack_timeouts, t.lack_of_ack);
  copyDelta(t.upstream.batches_replayed, t.published.batches_replayed, t.batches_replayed);
  copyDelta(t.upstream.batches_isolated, t.published.batches_isolated, t.batches_isolated);
}

void DaemonMetrics::publishTokens(const TokenMetrics& tokens) {
  copyDelta(tokens.fetches_ok, tokens_published_.fetches_ok, &token_fetches_->Add({{"result", "ok"}}));
  copyDelta(tokens.fetches_failed_retriable, tokens_published_.fetches_failed_retriable,
            &token_fetches_->Add({{"result", "failed_retriable"}}));
  copyDelta(tokens.fetches_failed_non_retriable, tokens_published_.fetches_failed_non_retriable,
            &token_fetches_->Add({{"result", "failed_non_retriable"}}));
  copyDelta(tokens.cache_hits, tokens_published_.cache_hits, &token_fetches_->Add({{"result", "cache_hit"}}));
}

void DaemonMetrics::connections(int64_t open) { connections_open_->Set(static_cast<double>(open)); }
void DaemonMetrics::connectionAccepted() { connections_total_->Add({{"result", "accepted"}}).Increment(); }
void DaemonMetrics::connectionRefused(const char* reason) {
  connections_total_->Add({{"result", reason}}).Increment();
}

void DaemonMetrics::openRefused(const char* reason) { opens_refused_->Add({{"error", reason}}).Increment(); }

void DaemonMetrics::reload(bool ok) {
  reloads_->Add({{"result", ok ? "applied" : "refused"}}).Increment();
  last_reload_ok_->Set(ok ? 1 : 0);
}

void DaemonMetrics::frame(uint8_t type) {
  auto it = frame_counters_.find(type);
  if (it == frame_counters_.end()) {
    const char* name = frame::isClientFrameType(type) ? frame::frameTypeName(static_cast<frame::FrameType>(type))
                                                       : "UNKNOWN";
    it = frame_counters_.emplace(type, &frames_->Add({{"type", name}})).first;
  }
  it->second->Increment();
}

void DaemonMetrics::recordsReceived(const std::string& name, uint64_t records, uint64_t bytes) {
  Table& t = table(name);
  t.records_received->Increment(static_cast<double>(records));
  t.bytes_received->Increment(static_cast<double>(bytes));
}

void DaemonMetrics::recordsAccepted(const std::string& name, uint64_t records, uint64_t bytes) {
  Table& t = table(name);
  t.records_accepted->Increment(static_cast<double>(records));
  t.bytes_accepted->Increment(static_cast<double>(bytes));
}

void DaemonMetrics::recordsRejected(const std::string& name, const char* reason, uint64_t records) {
  records_rejected_->Add({{"table", name}, {"reason", reason}}).Increment(static_cast<double>(records));
}

void DaemonMetrics::protocolError(const char* reason) { protocol_errors_->Add({{"reason", reason}}).Increment(); }

void DaemonMetrics::outcomeDropped(uint64_t records) { outcomes_dropped_->Increment(static_cast<double>(records)); }

}  // namespace zerobusd::server
