// The text exposition format 0.0.4, byte for byte: one golden string per metric type,
// escaping of help text and label values, value formatting, and deterministic order.
// (promtool, prometheus_client's parser and a real Prometheus read the same output in the
// integration tests beside this one.)

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "daemon/metrics/info_metric.h"
#include "daemon/metrics/registry.h"
#include "daemon/metrics/text_serializer.h"

namespace zerobusd::metrics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string render(const Registry& registry) { return TextSerializer().Serialize(registry); }

TEST(TextSerializerTest, Counter) {
  Registry registry;
  auto& received = BuildCounter()
                       .Name("zerobusd_records_received_total")
                       .Help("Records accepted from producers.")
                       .Register(registry);
  received.Add({{"table", "a.b.d"}}).Increment(0.5);
  received.Add({{"table", "a.b.c"}}).Increment(3);
  BuildCounter().Name("zerobusd_connections_total").Help("Connections.").Register(registry).Add({});
  EXPECT_EQ(render(registry),
            "# HELP zerobusd_connections_total Connections.\n"
            "# TYPE zerobusd_connections_total counter\n"
            "zerobusd_connections_total 0\n"
            "# HELP zerobusd_records_received_total Records accepted from producers.\n"
            "# TYPE zerobusd_records_received_total counter\n"
            "zerobusd_records_received_total{table=\"a.b.c\"} 3\n"
            "zerobusd_records_received_total{table=\"a.b.d\"} 0.5\n");
}

TEST(TextSerializerTest, Gauge) {
  Registry registry;
  auto& depth =
      BuildGauge().Name("zerobusd_queue_depth").Help("Queued records.").Register(registry);
  depth.Add({{"table", "t"}, {"stage", "batcher"}}).Set(1'000'000);
  depth.Add({{"table", "u"}, {"stage", "batcher"}}).Set(-2.25);
  auto& special = BuildGauge().Name("special").Help("Special values.").Register(registry);
  special.Add({{"v", "inf"}}).Set(kInf);
  special.Add({{"v", "minus_inf"}}).Set(-kInf);
  special.Add({{"v", "nan"}}).Set(kNaN);
  EXPECT_EQ(render(registry),
            "# HELP special Special values.\n"
            "# TYPE special gauge\n"
            "special{v=\"inf\"} +Inf\n"
            "special{v=\"minus_inf\"} -Inf\n"
            "special{v=\"nan\"} NaN\n"
            "# HELP zerobusd_queue_depth Queued records.\n"
            "# TYPE zerobusd_queue_depth gauge\n"
            "zerobusd_queue_depth{stage=\"batcher\",table=\"t\"} 1000000\n"
            "zerobusd_queue_depth{stage=\"batcher\",table=\"u\"} -2.25\n");
}

TEST(TextSerializerTest, Histogram) {
  Registry registry;
  auto& family = BuildHistogram()
                     .Name("zerobusd_batch_records")
                     .Help("Records per batch.")
                     .Labels({{"role", "demo"}})
                     .Register(registry);
  Histogram& batch = family.Add({{"table", "t"}}, Histogram::BucketBoundaries{1, 10, 100});
  for (double v : {0.5, 1.0, 5.0, 10.0, 50.0, 500.0, 5000.0}) batch.Observe(v);
  family.Add({{"table", "u"}}, Histogram::BucketBoundaries{0.25});
  EXPECT_EQ(render(registry),
            "# HELP zerobusd_batch_records Records per batch.\n"
            "# TYPE zerobusd_batch_records histogram\n"
            "zerobusd_batch_records_bucket{role=\"demo\",table=\"t\",le=\"1\"} 2\n"
            "zerobusd_batch_records_bucket{role=\"demo\",table=\"t\",le=\"10\"} 4\n"
            "zerobusd_batch_records_bucket{role=\"demo\",table=\"t\",le=\"100\"} 5\n"
            "zerobusd_batch_records_bucket{role=\"demo\",table=\"t\",le=\"+Inf\"} 7\n"
            "zerobusd_batch_records_sum{role=\"demo\",table=\"t\"} 5566.5\n"
            "zerobusd_batch_records_count{role=\"demo\",table=\"t\"} 7\n"
            "zerobusd_batch_records_bucket{role=\"demo\",table=\"u\",le=\"0.25\"} 0\n"
            "zerobusd_batch_records_bucket{role=\"demo\",table=\"u\",le=\"+Inf\"} 0\n"
            "zerobusd_batch_records_sum{role=\"demo\",table=\"u\"} 0\n"
            "zerobusd_batch_records_count{role=\"demo\",table=\"u\"} 0\n");
}

TEST(TextSerializerTest, UnlabelledHistogramPutsLeAlone) {
  Registry registry;
  BuildHistogram()
      .Name("h_seconds")
      .Help("h")
      .Register(registry)
      .Add({}, Histogram::BucketBoundaries{0.005})
      .Observe(0.001);
  EXPECT_EQ(render(registry),
            "# HELP h_seconds h\n"
            "# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"0.005\"} 1\n"
            "h_seconds_bucket{le=\"+Inf\"} 1\n"
            "h_seconds_sum 0.001\n"
            "h_seconds_count 1\n");
}

TEST(TextSerializerTest, InfoGauge) {
  Registry registry;
  registerInfoGauge(registry, "zerobusd_build_info", "Build information.",
                    {{"version", "0.1.0"}, {"grpc", "1.51.1"}});
  EXPECT_EQ(render(registry),
            "# HELP zerobusd_build_info Build information.\n"
            "# TYPE zerobusd_build_info gauge\n"
            "zerobusd_build_info{grpc=\"1.51.1\",version=\"0.1.0\"} 1\n");
}

TEST(TextSerializerTest, EscapesHelpAndLabelValues) {
  Registry registry;
  BuildCounter()
      .Name("rejected_total")
      .Help("Line one \"quoted\"\nline two with a \\ backslash.")
      .Register(registry)
      .Add({{"reason", "bad \"quote\" \\ back\nnewline"}, {"table", "main.défaut.événements"}})
      .Increment(2);
  EXPECT_EQ(render(registry),
            "# HELP rejected_total Line one \"quoted\"\\nline two with a \\\\ backslash.\n"
            "# TYPE rejected_total counter\n"
            "rejected_total{reason=\"bad \\\"quote\\\" \\\\ back\\nnewline\","
            "table=\"main.défaut.événements\"} 2\n");
}

TEST(TextSerializerTest, EmptyHelpHasNoHelpLineAndEmptyFamiliesNothing) {
  Registry registry;
  BuildGauge().Name("g").Register(registry).Add({}).Set(1);
  BuildGauge().Name("unused").Help("never added to").Register(registry);
  EXPECT_EQ(render(registry), "# TYPE g gauge\ng 1\n");
}

TEST(TextSerializerTest, OrderIsByNameThenLabelSetWhateverTheRegistrationOrder) {
  auto fill = [](Registry& registry, bool reversed) {
    const char* names[] = {"m_total", "a_total", "z_total"};
    const char* tables[] = {"t2", "t1", "t3"};
    for (int i = 0; i < 3; ++i) {
      const char* name = names[reversed ? 2 - i : i];
      auto& family = BuildCounter().Name(name).Help("h").Register(registry);
      for (int k = 0; k < 3; ++k) family.Add({{"table", tables[reversed ? 2 - k : k]}}).Increment();
    }
  };
  Registry forward;
  Registry backward;
  fill(forward, false);
  fill(backward, true);
  const std::string text = render(forward);
  EXPECT_EQ(text, render(backward));
  EXPECT_LT(text.find("a_total{table=\"t1\"}"), text.find("a_total{table=\"t2\"}"));
  EXPECT_LT(text.find("a_total{table=\"t3\"}"), text.find("# TYPE m_total"));
  EXPECT_LT(text.find("m_total{table=\"t3\"}"), text.find("# TYPE z_total"));
}

TEST(TextSerializerTest, FormatsValuesThePrometheusWay) {
  EXPECT_EQ(detail::formatValue(0), "0");
  EXPECT_EQ(detail::formatValue(-0.0), "0");
  EXPECT_EQ(detail::formatValue(1), "1");
  EXPECT_EQ(detail::formatValue(-1), "-1");
  EXPECT_EQ(detail::formatValue(1e6), "1000000");
  EXPECT_EQ(detail::formatValue(123456789012345.0), "123456789012345");
  EXPECT_EQ(detail::formatValue(9007199254740991.0), "9007199254740991");
  EXPECT_EQ(detail::formatValue(0.1), "0.1");
  EXPECT_EQ(detail::formatValue(-2.5), "-2.5");
  EXPECT_EQ(detail::formatValue(0.005), "0.005");
  EXPECT_EQ(detail::formatValue(1.5e-7), "1.5e-07");
  EXPECT_EQ(detail::formatValue(1e21), "1e+21");
  EXPECT_EQ(detail::formatValue(kInf), "+Inf");
  EXPECT_EQ(detail::formatValue(-kInf), "-Inf");
  EXPECT_EQ(detail::formatValue(kNaN), "NaN");
  EXPECT_EQ(detail::formatValue(std::numeric_limits<double>::denorm_min()), "5e-324");
}

TEST(TextSerializerTest, FormattedValuesReadBackExactly) {
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> exponent(-300, 300);
  std::uniform_real_distribution<double> mantissa(-10, 10);
  for (int i = 0; i < 20'000; ++i) {
    const double value = mantissa(random) * std::pow(10.0, exponent(random));
    const std::string text = detail::formatValue(value);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
  }
}

}  // namespace
}  // namespace zerobusd::metrics
