#pragma once
// A registry with every metric type, label escaping, UTF-8, constant labels, special values
// and an info gauge, holding fixed values. metrics_demo renders or serves it; the integration
// tests (promtool, prometheus_client's parser, a real Prometheus scrape) check what they read
// against the values listed in check_exposition.py and prometheus_scrape.py.

#include <memory>

#include "daemon/metrics/registry.h"

namespace zerobusd::metrics::testing {

std::shared_ptr<Registry> buildDemoRegistry();

}  // namespace zerobusd::metrics::testing
