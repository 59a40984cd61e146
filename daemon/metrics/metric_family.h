#pragma once
// The metrics data model shared by every metric type, the registry and the serializer, in
// prometheus-cpp's shape (ClientMetric, MetricFamily, Collectable, Labels) so that moving to
// prometheus-cpp later is a namespace change for the code that uses it.
//
// Names that mirror prometheus-cpp keep its PascalCase methods (Collect, Add, Increment...):
// that is the point of this module. Our own additions use the project's camelCase.
//
// Thread affinity: these are plain values. Collectable::Collect() implementations must be
// callable from the exporter's threads while other threads update metrics.
// Errors: none here; producers of MetricFamily values validate names (validation.h).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace zerobusd::metrics {

// Label name → value. Ordered, so every label set has one canonical form and rendering order
// is deterministic.
using Labels = std::map<std::string, std::string>;

enum class MetricType { Counter, Gauge, Histogram, Untyped };

// One labelled sample set as collected at scrape time.
struct ClientMetric {
  struct Label {
    std::string name;
    std::string value;
    bool operator==(const Label&) const = default;
  };
  struct CounterValue {
    double value = 0.0;
  };
  struct GaugeValue {
    double value = 0.0;
  };
  struct UntypedValue {
    double value = 0.0;
  };
  struct Bucket {
    std::uint64_t cumulative_count = 0;
    double upper_bound = 0.0;  // the last bucket's is +Inf
  };
  struct HistogramValue {
    std::uint64_t sample_count = 0;  // equals the +Inf bucket's cumulative count
    double sample_sum = 0.0;
    std::vector<Bucket> bucket;
  };

  std::vector<Label> label;  // sorted by name
  CounterValue counter;
  GaugeValue gauge;
  UntypedValue untyped;
  HistogramValue histogram;
};

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::Untyped;
  std::vector<ClientMetric> metric;
};

// Anything the exporter can scrape: a Registry, or a custom source that reads its values at
// scrape time. Collect() runs on an exporter thread; it must only read thread-safe state.
class Collectable {
 public:
  virtual ~Collectable() = default;
  virtual std::vector<MetricFamily> Collect() const = 0;
};

}  // namespace zerobusd::metrics
