#pragma once
// Counters of the upstream streams, updated on the loop thread and read by the metrics
// exporter's thread: relaxed atomics. One instance per table (the pool's streams share it).

#include <atomic>
#include <cstdint>

namespace zerobusd::upstream {

struct UpstreamMetrics {
  std::atomic<uint64_t> stream_opens{0};        // create_stream answered
  std::atomic<uint64_t> open_failures{0};       // attempts that failed
  std::atomic<uint64_t> recoveries{0};          // recovery episodes started
  std::atomic<uint64_t> failures{0};            // streams that ended FAILED
  std::atomic<uint64_t> close_signals{0};
  std::atomic<uint64_t> lack_of_ack_timeouts{0};
  std::atomic<uint64_t> batches_durable{0};
  std::atomic<uint64_t> records_durable{0};
  std::atomic<uint64_t> bytes_durable{0};
  std::atomic<uint64_t> batches_failed{0};
  std::atomic<uint64_t> batches_replayed{0};    // re-sent on a new call after a recovery
  std::atomic<uint64_t> batches_isolated{0};    // sent alone to find records the service refused
  std::atomic<uint64_t> requests_sent{0};

  static void add(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
};

}  // namespace zerobusd::upstream
