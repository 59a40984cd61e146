#include "daemon/metrics/histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace zerobusd::metrics {

namespace {

Histogram::BucketBoundaries checkedBounds(const Histogram::BucketBoundaries& buckets) {
  Histogram::BucketBoundaries bounds = buckets;
  if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity()) {
    bounds.pop_back();  // implied anyway; keeping it would render two +Inf buckets
  }
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      throw std::invalid_argument("histogram bucket bound " + std::to_string(i) + " is not finite");
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      throw std::invalid_argument("histogram bucket bounds must be strictly increasing");
    }
  }
  return bounds;
}

}  // namespace

Histogram::Histogram(const BucketBoundaries& buckets)
    : bounds_(checkedBounds(buckets)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double value) noexcept {
  // lower_bound: the first bound >= value, i.e. the bucket whose `le` holds it. Every
  // comparison with NaN is false, so it would land in the first bucket: send it to +Inf.
  const auto index =
      std::isnan(value)
          ? bounds_.size()
          : static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                     bounds_.begin());
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

ClientMetric Histogram::Collect() const {
  ClientMetric metric;
  auto& histogram = metric.histogram;
  histogram.bucket.reserve(bounds_.size() + 1);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    histogram.bucket.push_back(
        {cumulative, i < bounds_.size() ? bounds_[i] : std::numeric_limits<double>::infinity()});
  }
  histogram.sample_count = cumulative;
  histogram.sample_sum = sum_.load(std::memory_order_relaxed);
  return metric;
}

Histogram::BucketBoundaries exponentialBuckets(double start, double factor, std::size_t count) {
  if (!(start > 0.0) || !(factor > 1.0) || !std::isfinite(start) || !std::isfinite(factor)) {
    throw std::invalid_argument("exponentialBuckets needs start > 0 and factor > 1");
  }
  Histogram::BucketBoundaries bounds;
  bounds.reserve(count);
  double bound = start;
  for (std::size_t i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  return bounds;
}

Histogram::BucketBoundaries linearBuckets(double start, double width, std::size_t count) {
  if (!(width > 0.0) || !std::isfinite(start) || !std::isfinite(width)) {
    throw std::invalid_argument("linearBuckets needs a finite start and width > 0");
  }
  Histogram::BucketBoundaries bounds;
  bounds.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    // start + i*width rather than repeated addition, so rounding errors do not accumulate.
    bounds.push_back(start + static_cast<double>(i) * width);
  }
  return bounds;
}

}  // namespace zerobusd::metrics
