#pragma once
// Gauge: a value that goes up and down (prometheus-cpp's Gauge). Obtained from a
// Family<Gauge> (registry.h). The daemon publishes loop-owned values (queue depths, states)
// by Set() from the loop thread; the exporter reads them at scrape time.
//
// Thread affinity: any thread; every method is one relaxed atomic operation on a lock-free
// std::atomic<double> (see counter.h for why relaxed is enough).
// Errors: none; any double, NaN and infinities included, is stored as given.

#include <atomic>

#include "daemon/metrics/metric_family.h"

namespace zerobusd::metrics {

class alignas(64) Gauge {
 public:
  static constexpr MetricType metric_type = MetricType::Gauge;

  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Increment(double value = 1.0) noexcept {
    value_.fetch_add(value, std::memory_order_relaxed);
  }
  void Decrement(double value = 1.0) noexcept {
    value_.fetch_sub(value, std::memory_order_relaxed);
  }
  void Set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }

  double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

  ClientMetric Collect() const {
    ClientMetric metric;
    metric.gauge.value = Value();
    return metric;
  }

 private:
  static_assert(std::atomic<double>::is_always_lock_free);
  std::atomic<double> value_{0.0};
};

}  // namespace zerobusd::metrics
