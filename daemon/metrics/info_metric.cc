#include "daemon/metrics/info_metric.h"

#include <stdexcept>
#include <string_view>

namespace zerobusd::metrics {

Gauge& registerInfoGauge(Registry& registry, const std::string& name, const std::string& help,
                         const Labels& labels) {
  constexpr std::string_view kSuffix = "_info";
  if (name.size() <= kSuffix.size() ||
      std::string_view(name).substr(name.size() - kSuffix.size()) != kSuffix) {
    throw std::invalid_argument("info metric '" + name + "' must end in _info");
  }
  Gauge& gauge = BuildGauge().Name(name).Help(help).Register(registry).Add(labels);
  gauge.Set(1);
  return gauge;
}

}  // namespace zerobusd::metrics
