#pragma once
// Name and label rules of the Prometheus data model, checked when families and children are
// created (never on the hot path).
//
// Thread affinity: pure functions; any thread.
// Errors: the is*() predicates return false; the detail::check*() helpers throw
// std::invalid_argument with the offending name, which is prometheus-cpp's contract for
// Register() and Add() (a bad name is a programming or configuration error found at startup).

#include <string>
#include <string_view>
#include <vector>

#include "daemon/metrics/metric_family.h"

namespace zerobusd::metrics {

// [a-zA-Z_:][a-zA-Z0-9_:]*, not starting with "__" (reserved for Prometheus itself).
bool isValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__".
bool isValidLabelName(std::string_view name);
// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF): the
// exposition format requires it for label values and help text.
bool isValidUtf8(std::string_view text);

namespace detail {

void checkMetricName(const std::string& name);
void checkHelp(const std::string& name, const std::string& help);
// Constant labels of a family of `type`: valid names and values, no name reserved by the type
// ("le" for histograms).
void checkConstantLabels(const std::string& family, const Labels& labels, MetricType type);
// Labels of one child: as above, and no name that is also a constant label.
void checkLabels(const std::string& family, const Labels& labels, const Labels& constant_labels,
                 MetricType type);
// The rendered label set of one child: both sets merged, sorted by name.
std::vector<ClientMetric::Label> mergeLabels(const Labels& constant_labels, const Labels& labels);

}  // namespace detail
}  // namespace zerobusd::metrics
