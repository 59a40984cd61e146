#include "tests/metrics/demo_registry.h"

#include <limits>

#include "daemon/metrics/info_metric.h"

namespace zerobusd::metrics::testing {

std::shared_ptr<Registry> buildDemoRegistry() {
  auto registry = std::make_shared<Registry>();

  auto& received = BuildCounter()
                       .Name("zerobusd_demo_records_received_total")
                       .Help("Records accepted from producers, by table.")
                       .Register(*registry);
  received.Add({{"table", "main.default.events"}}).Increment(12345);
  received.Add({{"table", "main.défaut.événements"}}).Increment(7);

  BuildCounter()
      .Name("zerobusd_demo_connections_accepted_total")
      .Help("Producer connections accepted.")
      .Register(*registry)
      .Add({})
      .Increment(3);

  BuildCounter()
      .Name("zerobusd_demo_records_rejected_total")
      .Help("Records rejected.\nSecond line with a \\ backslash and \"quotes\".")
      .Register(*registry)
      .Add({{"reason", "bad \"quote\" \\ back\nnewline"}})
      .Increment(2);

  auto& depth = BuildGauge()
                    .Name("zerobusd_demo_queue_depth_records")
                    .Help("Records queued per table.")
                    .Labels({{"instance_role", "demo"}})
                    .Register(*registry);
  depth.Add({{"table", "main.default.events"}}).Set(42);
  depth.Add({{"table", "main.default.logs"}}).Set(0);

  auto& ratio = BuildGauge()
                    .Name("zerobusd_demo_ratio")
                    .Help("Special and awkward values.")
                    .Register(*registry);
  ratio.Add({{"kind", "negative"}}).Set(-3.25);
  ratio.Add({{"kind", "small"}}).Set(1.5e-7);
  ratio.Add({{"kind", "big"}}).Set(1e21);
  ratio.Add({{"kind", "million"}}).Set(1e6);
  ratio.Add({{"kind", "inf"}}).Set(std::numeric_limits<double>::infinity());
  ratio.Add({{"kind", "nan"}}).Set(std::numeric_limits<double>::quiet_NaN());

  auto& batch = BuildHistogram()
                    .Name("zerobusd_demo_batch_size_records")
                    .Help("Records per batch request.")
                    .Register(*registry);
  Histogram& events =
      batch.Add({{"table", "main.default.events"}}, Histogram::BucketBoundaries{1, 10, 100, 1000});
  for (double v : {0.5, 1.0, 5.0, 10.0, 50.0, 500.0, 5000.0}) events.Observe(v);

  Histogram& latency = BuildHistogram()
                           .Name("zerobusd_demo_ack_latency_seconds")
                           .Help("Time from send to durable acknowledgement.")
                           .Register(*registry)
                           .Add({}, Histogram::BucketBoundaries{0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.002, 0.003, 0.5}) latency.Observe(v);

  registerInfoGauge(*registry, "zerobusd_demo_build_info", "Build information.",
                    {{"version", "0.1.0"}, {"grpc", "1.51.1"}});
  return registry;
}

}  // namespace zerobusd::metrics::testing
