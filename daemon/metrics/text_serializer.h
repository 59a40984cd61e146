#pragma once
// Renders metric families in the Prometheus text exposition format 0.0.4
// (prometheus-cpp's TextSerializer):
//
//   # HELP <name> <help, with \ and newline escaped>
//   # TYPE <name> counter|gauge|histogram|untyped
//   <name>{<label>="<value, with \ " and newline escaped>",...} <value>
//
// Histograms render <name>_bucket{...,le="<bound>"} cumulatively up to le="+Inf", then
// <name>_sum and <name>_count. Families render in the order given (Registry::Collect sorts
// them by name), children in the order given (label-set order), labels sorted by name with
// `le` last; families without children and the HELP line of an empty help are left out.
// Values: NaN, +Inf, -Inf; integral values below 2^53 as plain integers ("1000000", never
// "1e+06"); every other value in the shortest form that reads back to the same double.
//
// Thread affinity: stateless; any thread.
// Errors: none; names are trusted (validated when families are created).

#include <string>
#include <string_view>
#include <vector>

#include "daemon/metrics/metric_family.h"

namespace zerobusd::metrics {

// The Content-Type of a /metrics answer in this format.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

class TextSerializer {
 public:
  std::string Serialize(const std::vector<MetricFamily>& families) const;
  std::string Serialize(const Collectable& collectable) const {
    return Serialize(collectable.Collect());
  }
};

namespace detail {

// A sample value or bucket bound as the format writes it (see above).
std::string formatValue(double value);

}  // namespace detail
}  // namespace zerobusd::metrics
