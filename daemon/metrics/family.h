#pragma once
// Family<T>: one metric name with one child T (Counter, Gauge, Histogram) per label set
// (prometheus-cpp's Family). Families are created through a Registry's builders
// (registry.h); components are handed the children they update.
//
// Ownership: the family owns its children; a reference returned by Add() stays valid until
// Remove() of that child or the family's destruction (children are never moved).
// Thread affinity: any thread. Add(), Remove(), Has() and Collect() take the family's mutex;
// updating a child never does. Call Add() at setup (or on a cold path such as a new table)
// and keep the reference: the hot path must not look children up.
// Errors: the constructor and Add() throw std::invalid_argument for invalid names, values or
// a label that is also a constant label (validation.h). Add() for an existing label set
// returns the existing child and ignores `args` (as prometheus-cpp does).

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "daemon/metrics/metric_family.h"
#include "daemon/metrics/validation.h"

namespace zerobusd::metrics {

template <typename T>
class Family : public Collectable {
 public:
  Family(std::string name, std::string help, Labels constant_labels)
      : name_(std::move(name)),
        help_(std::move(help)),
        constant_labels_(std::move(constant_labels)) {
    detail::checkMetricName(name_);
    detail::checkHelp(name_, help_);
    detail::checkConstantLabels(name_, constant_labels_, T::metric_type);
  }
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // The child for `labels`, created from `args` (e.g. bucket bounds) on first use.
  template <typename... Args>
  T& Add(const Labels& labels, Args&&... args) {
    std::lock_guard lock(mutex_);
    if (auto it = metrics_.find(labels); it != metrics_.end()) return *it->second;
    detail::checkLabels(name_, labels, constant_labels_, T::metric_type);
    auto metric = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *metric;
    metrics_.emplace(labels, std::move(metric));
    return ref;
  }

  // Drops a child; references to it dangle afterwards. Unknown pointers are ignored.
  void Remove(T* metric) {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(metrics_.begin(), metrics_.end(),
                           [metric](const auto& entry) { return entry.second.get() == metric; });
    if (it != metrics_.end()) metrics_.erase(it);
  }

  bool Has(const Labels& labels) const {
    std::lock_guard lock(mutex_);
    return metrics_.count(labels) != 0;
  }

  const std::string& GetName() const { return name_; }
  const std::string& GetHelp() const { return help_; }
  const Labels& GetConstantLabels() const { return constant_labels_; }

  // One MetricFamily, children in label-set order.
  std::vector<MetricFamily> Collect() const override {
    MetricFamily family{name_, help_, T::metric_type, {}};
    std::lock_guard lock(mutex_);
    family.metric.reserve(metrics_.size());
    for (const auto& [labels, metric] : metrics_) {
      ClientMetric collected = metric->Collect();
      collected.label = detail::mergeLabels(constant_labels_, labels);
      family.metric.push_back(std::move(collected));
    }
    std::vector<MetricFamily> out;
    out.push_back(std::move(family));
    return out;
  }

 private:
  const std::string name_;
  const std::string help_;
  const Labels constant_labels_;
  mutable std::mutex mutex_;  // guards metrics_ (the map, not the children's values)
  std::map<Labels, std::unique_ptr<T>> metrics_;
};

}  // namespace zerobusd::metrics
