#pragma once
// Registry: the set of metric families one exporter serves, and the builders that create
// them (prometheus-cpp's Registry, BuildCounter(), BuildGauge(), BuildHistogram()):
//
//   auto& received = BuildCounter()
//                        .Name("zerobusd_records_received_total")
//                        .Help("Records accepted from producers.")
//                        .Register(registry);
//   Counter& table_received = received.Add({{"table", "main.default.events"}});
//   table_received.Increment();  // hot path: lock-free
//
// Ownership: the registry owns its families; Family references stay valid until Remove() or
// the registry's destruction. The exporter holds the registry through a weak_ptr, so the
// owner keeps it in a shared_ptr.
// Thread affinity: any thread. Register/Remove/Collect take the registry's mutex.
// Errors: Register() throws std::invalid_argument for an invalid name, help or constant
// label, for a name already registered with another type, help or constant labels (or any
// name under InsertBehavior::Throw), and for a name whose samples would collide with another
// family's (a histogram `x` renders `x_bucket`, `x_sum` and `x_count`).

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/metrics/counter.h"
#include "daemon/metrics/family.h"
#include "daemon/metrics/gauge.h"
#include "daemon/metrics/histogram.h"
#include "daemon/metrics/metric_family.h"

namespace zerobusd::metrics {

namespace detail {
template <typename T>
class Builder;
}  // namespace detail

class Registry : public Collectable {
 public:
  // Merge: registering an identical family again returns the existing one. Throw: any
  // second registration of a name throws.
  enum class InsertBehavior { Merge, Throw };

  explicit Registry(InsertBehavior insert_behavior = InsertBehavior::Merge);
  ~Registry() override;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Every non-empty family, sorted by name (families without children render nothing).
  std::vector<MetricFamily> Collect() const override;

  // Drops a family; references to it and its children dangle afterwards.
  template <typename T>
  bool Remove(const Family<T>& family) {
    return removeFamily(&family);
  }

 private:
  template <typename T>
  friend class detail::Builder;

  struct Entry {
    std::string name;
    std::string help;
    Labels constant_labels;
    MetricType type;
    std::unique_ptr<Collectable> family;
  };

  template <typename T>
  Family<T>& Add(const std::string& name, const std::string& help, const Labels& constant_labels) {
    std::lock_guard lock(mutex_);
    if (Collectable* existing = findMergeable(name, help, constant_labels, T::metric_type)) {
      return static_cast<Family<T>&>(*existing);
    }
    auto family = std::make_unique<Family<T>>(name, help, constant_labels);
    Family<T>& ref = *family;
    families_.push_back({name, help, constant_labels, T::metric_type, std::move(family)});
    return ref;
  }

  // With mutex_ held: the existing family to merge with, nullptr if the name is new; throws
  // on a conflict.
  Collectable* findMergeable(const std::string& name, const std::string& help,
                             const Labels& constant_labels, MetricType type) const;
  bool removeFamily(const Collectable* family);

  const InsertBehavior insert_behavior_;
  mutable std::mutex mutex_;  // guards families_ (the vector, not the families' contents)
  std::vector<Entry> families_;
};

namespace detail {

template <typename T>
class Builder {
 public:
  // Labels every child of the family carries (rendered merged with the child's own).
  Builder& Labels(const metrics::Labels& labels) {
    constant_labels_ = labels;
    return *this;
  }
  Builder& Name(const std::string& name) {
    name_ = name;
    return *this;
  }
  Builder& Help(const std::string& help) {
    help_ = help;
    return *this;
  }
  Family<T>& Register(Registry& registry) {
    return registry.Add<T>(name_, help_, constant_labels_);
  }

 private:
  metrics::Labels constant_labels_;
  std::string name_;
  std::string help_;
};

}  // namespace detail

inline detail::Builder<Counter> BuildCounter() { return {}; }
inline detail::Builder<Gauge> BuildGauge() { return {}; }
inline detail::Builder<Histogram> BuildHistogram() { return {}; }

}  // namespace zerobusd::metrics
