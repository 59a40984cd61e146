#pragma once
// Histogram: counts observations into buckets with explicit upper bounds, plus their sum
// (prometheus-cpp's Histogram). Obtained from a Family<Histogram> (registry.h) with
// `family.Add(labels, Histogram::BucketBoundaries{...})`.
//
// Thread affinity: any thread. Observe() is a binary search over the immutable bounds and
// two relaxed atomic adds (one bucket count, the sum): no lock, no allocation. Buckets are
// stored non-cumulative and summed at Collect(), so the +Inf bucket always equals _count in
// one scrape even while other threads observe; _sum may lag or lead them by in-flight
// observations, as with every lock-free client library.
// Errors: the constructor throws std::invalid_argument for bounds that are not strictly
// increasing or are NaN/-Inf (a trailing +Inf is accepted and dropped: it is always implied).
// Observe(NaN) counts into the +Inf bucket and makes the sum NaN, as the Go client does.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "daemon/metrics/metric_family.h"

namespace zerobusd::metrics {

class Histogram {
 public:
  using BucketBoundaries = std::vector<double>;
  static constexpr MetricType metric_type = MetricType::Histogram;

  explicit Histogram(const BucketBoundaries& buckets);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value) noexcept;

  // Cumulative buckets (the +Inf one last), count and sum.
  ClientMetric Collect() const;

  // The finite upper bounds, as validated (without the implied +Inf).
  const BucketBoundaries& boundaries() const { return bounds_; }

 private:
  BucketBoundaries bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1; last is +Inf
  std::atomic<double> sum_{0.0};
};

// `count` bounds: start, start*factor, start*factor^2, ... (start > 0, factor > 1).
// Throws std::invalid_argument otherwise.
Histogram::BucketBoundaries exponentialBuckets(double start, double factor, std::size_t count);
// `count` bounds: start, start+width, ... (width > 0). Throws std::invalid_argument otherwise.
Histogram::BucketBoundaries linearBuckets(double start, double width, std::size_t count);

}  // namespace zerobusd::metrics
