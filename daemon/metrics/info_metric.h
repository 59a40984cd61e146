#pragma once
// Info metrics: a gauge fixed at 1 whose labels carry the information, the Prometheus
// convention for build and version data (e.g. zerobusd_build_info{version="0.1.0",grpc="1.51"}).
// Nothing daemon-specific lives here: the daemon picks the name and the labels.
//
// Thread affinity: as Registry (any thread; call at startup).
// Errors: throws std::invalid_argument when `name` does not end in "_info" (the convention
// queries rely on to join on it), and for anything Register()/Add() refuse.

#include <string>

#include "daemon/metrics/gauge.h"
#include "daemon/metrics/metric_family.h"
#include "daemon/metrics/registry.h"

namespace zerobusd::metrics {

// Registers gauge family `name` with one child labelled `labels`, set to 1, and returns it.
// Registering the same name, help and labels again returns the same child.
Gauge& registerInfoGauge(Registry& registry, const std::string& name, const std::string& help,
                         const Labels& labels);

}  // namespace zerobusd::metrics
