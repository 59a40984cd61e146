#pragma once
// Counter: a value that only goes up (prometheus-cpp's Counter). Obtained from a
// Family<Counter> (registry.h); components keep the reference and update it on the hot path.
//
// Thread affinity: any thread. Increment() is one relaxed atomic read-modify-write on a
// lock-free std::atomic<double> (C++20 fetch_add, a CAS loop on x86-64): no lock, no
// allocation. Relaxed is enough because nothing else is published through a metric; the
// exporter only needs each value eventually, and every increment is counted exactly once.
// Errors: a negative or NaN increment is ignored (a counter never goes down), as in
// prometheus-cpp.

#include <atomic>

#include "daemon/metrics/metric_family.h"

namespace zerobusd::metrics {

// Aligned to a cache line so that counters bumped by different threads never share one.
class alignas(64) Counter {
 public:
  static constexpr MetricType metric_type = MetricType::Counter;

  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Increment(double value = 1.0) noexcept {
    if (!(value >= 0.0)) return;  // negative or NaN
    value_.fetch_add(value, std::memory_order_relaxed);
  }

  double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

  ClientMetric Collect() const {
    ClientMetric metric;
    metric.counter.value = Value();
    return metric;
  }

 private:
  static_assert(std::atomic<double>::is_always_lock_free);
  // Integers up to 2^53 are exact in a double, so whole-number increments sum exactly.
  std::atomic<double> value_{0.0};
};

}  // namespace zerobusd::metrics
