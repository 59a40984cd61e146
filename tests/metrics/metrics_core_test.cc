// The metric types, families and registry: values, bucket math, label-set identity, name and
// label validation, registration conflicts, and exact sums under concurrent updates.

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/metrics/info_metric.h"
#include "daemon/metrics/registry.h"
#include "daemon/metrics/validation.h"

namespace zerobusd::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::uint64_t> cumulativeCounts(const Histogram& histogram) {
  std::vector<std::uint64_t> counts;
  for (const auto& bucket : histogram.Collect().histogram.bucket) {
    counts.push_back(bucket.cumulative_count);
  }
  return counts;
}

std::vector<double> upperBounds(const Histogram& histogram) {
  std::vector<double> bounds;
  for (const auto& bucket : histogram.Collect().histogram.bucket) {
    bounds.push_back(bucket.upper_bound);
  }
  return bounds;
}

// Runs `body(thread_index)` on `threads` threads at once and joins them.
template <typename Body>
void onThreads(int threads, Body body) {
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) workers.emplace_back([&body, t] { body(t); });
  for (auto& worker : workers) worker.join();
}

TEST(CounterTest, StartsAtZeroAndAddsIncrements) {
  Counter counter;
  EXPECT_EQ(counter.Value(), 0.0);
  counter.Increment();
  counter.Increment(2.5);
  EXPECT_EQ(counter.Value(), 3.5);
  EXPECT_EQ(counter.Collect().counter.value, 3.5);
}

TEST(CounterTest, IgnoresNegativeAndNaNIncrements) {
  Counter counter;
  counter.Increment(5);
  counter.Increment(-1);
  counter.Increment(kNaN);
  EXPECT_EQ(counter.Value(), 5.0);
}

TEST(GaugeTest, SetsIncrementsAndDecrements) {
  Gauge gauge;
  gauge.Set(10);
  gauge.Increment();
  gauge.Increment(4.5);
  gauge.Decrement();
  gauge.Decrement(20);
  EXPECT_EQ(gauge.Value(), -5.5);
  gauge.Set(kNaN);
  EXPECT_TRUE(std::isnan(gauge.Collect().gauge.value));
}

TEST(HistogramTest, CountsEachObservationInTheFirstBucketWhoseBoundHoldsIt) {
  Histogram histogram({1, 2, 5});
  histogram.Observe(-10);        // le=1
  histogram.Observe(0.5);        // le=1
  histogram.Observe(1);          // le=1: bounds are inclusive
  histogram.Observe(1.0000001);  // le=2
  histogram.Observe(5);          // le=5
  histogram.Observe(6);          // +Inf
  EXPECT_THAT(cumulativeCounts(histogram), ElementsAre(3, 4, 5, 6));
  EXPECT_THAT(upperBounds(histogram), ElementsAre(1, 2, 5, kInf));
  const auto collected = histogram.Collect().histogram;
  EXPECT_EQ(collected.sample_count, 6U);
  EXPECT_DOUBLE_EQ(collected.sample_sum, -10 + 0.5 + 1 + 1.0000001 + 5 + 6);
}

TEST(HistogramTest, CountsNaNInTheInfBucketAndInfinityToo) {
  Histogram histogram({1});
  histogram.Observe(kNaN);
  histogram.Observe(kInf);
  histogram.Observe(-kInf);
  EXPECT_THAT(cumulativeCounts(histogram), ElementsAre(1, 3));
  EXPECT_TRUE(std::isnan(histogram.Collect().histogram.sample_sum));
}

TEST(HistogramTest, WithoutBoundsHasOnlyTheInfBucket) {
  Histogram histogram({});
  histogram.Observe(42);
  EXPECT_THAT(upperBounds(histogram), ElementsAre(kInf));
  EXPECT_THAT(cumulativeCounts(histogram), ElementsAre(1));
}

TEST(HistogramTest, DropsATrailingInfBoundAndRefusesBadBounds) {
  EXPECT_THAT(Histogram({1, 2, kInf}).boundaries(), ElementsAre(1, 2));
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, kNaN}), std::invalid_argument);
  EXPECT_THROW(Histogram({-kInf, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, kInf, 2}), std::invalid_argument);
}

TEST(HistogramTest, BucketHelpersBuildTheirSeries) {
  EXPECT_THAT(exponentialBuckets(0.5, 4, 4), ElementsAre(0.5, 2, 8, 32));
  EXPECT_THAT(linearBuckets(0, 0.5, 4), ElementsAre(0, 0.5, 1, 1.5));
  EXPECT_TRUE(exponentialBuckets(1, 2, 0).empty());
  EXPECT_THROW(exponentialBuckets(0, 2, 3), std::invalid_argument);
  EXPECT_THROW(exponentialBuckets(1, 1, 3), std::invalid_argument);
  EXPECT_THROW(linearBuckets(0, 0, 3), std::invalid_argument);
  EXPECT_THROW(linearBuckets(kNaN, 1, 3), std::invalid_argument);
}

TEST(FamilyTest, SameLabelsGiveTheSameChild) {
  Registry registry;
  auto& family = BuildCounter().Name("x_total").Help("h").Register(registry);
  Counter& a = family.Add({{"table", "a.b.c"}, {"kind", "proto"}});
  Counter& b = family.Add({{"kind", "proto"}, {"table", "a.b.c"}});
  Counter& other = family.Add({{"table", "a.b.d"}, {"kind", "proto"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  a.Increment();
  EXPECT_EQ(b.Value(), 1.0);
  EXPECT_EQ(other.Value(), 0.0);
}

TEST(FamilyTest, ChildrenKeepTheirAddressWhileOthersAreAdded) {
  Registry registry;
  auto& family = BuildGauge().Name("depth").Help("h").Register(registry);
  Gauge& first = family.Add({{"table", "t0"}});
  for (int i = 1; i < 1000; ++i) family.Add({{"table", "t" + std::to_string(i)}});
  EXPECT_EQ(&first, &family.Add({{"table", "t0"}}));
}

TEST(FamilyTest, HasAndRemove) {
  Registry registry;
  auto& family = BuildCounter().Name("x_total").Help("h").Register(registry);
  Counter& child = family.Add({{"table", "a"}});
  EXPECT_TRUE(family.Has({{"table", "a"}}));
  EXPECT_FALSE(family.Has({{"table", "b"}}));
  family.Remove(&child);
  EXPECT_FALSE(family.Has({{"table", "a"}}));
  family.Remove(nullptr);  // unknown: ignored
  EXPECT_TRUE(registry.Collect().empty());
}

TEST(FamilyTest, CollectMergesConstantLabelsSortedByName) {
  Registry registry;
  auto& family = BuildGauge()
                     .Name("depth")
                     .Help("h")
                     .Labels({{"role", "sidecar"}, {"az", "1"}})
                     .Register(registry);
  family.Add({{"table", "t"}}).Set(3);
  const auto families = registry.Collect();
  ASSERT_EQ(families.size(), 1U);
  ASSERT_EQ(families[0].metric.size(), 1U);
  EXPECT_THAT(families[0].metric[0].label,
              ElementsAre(ClientMetric::Label{"az", "1"}, ClientMetric::Label{"role", "sidecar"},
                          ClientMetric::Label{"table", "t"}));
  EXPECT_EQ(families[0].metric[0].gauge.value, 3.0);
  EXPECT_EQ(family.GetConstantLabels().size(), 2U);
}

TEST(FamilyTest, RefusesInvalidLabels) {
  Registry registry;
  auto& counters =
      BuildCounter().Name("x_total").Help("h").Labels({{"role", "r"}}).Register(registry);
  for (const char* name : {"", "1abc", "a-b", "a.b", "a:b", "__reserved", "é", "a b"}) {
    EXPECT_THROW(counters.Add({{name, "v"}}), std::invalid_argument) << name;
  }
  EXPECT_THROW(counters.Add({{"role", "again"}}), std::invalid_argument);      // constant label
  EXPECT_THROW(counters.Add({{"table", "\xC3\x28"}}), std::invalid_argument);  // bad UTF-8
  EXPECT_NO_THROW(counters.Add({{"_ok", "v"}, {"le", "fine on a counter"}}));
  EXPECT_NO_THROW(counters.Add({{"table", "main.défaut.événements"}}));
  EXPECT_NO_THROW(counters.Add({{"table", ""}}));

  auto& histograms = BuildHistogram().Name("h_seconds").Help("h").Register(registry);
  EXPECT_THROW(histograms.Add({{"le", "1"}}, Histogram::BucketBoundaries{1}),
               std::invalid_argument);
  EXPECT_THROW(
      BuildHistogram().Name("h2_seconds").Help("h").Labels({{"le", "1"}}).Register(registry),
      std::invalid_argument);
  EXPECT_THROW(BuildGauge().Name("g").Help("h").Labels({{"__x", "1"}}).Register(registry),
               std::invalid_argument);
}

TEST(FamilyTest, AFailedAddLeavesNoChild) {
  Registry registry;
  auto& histograms = BuildHistogram().Name("h_seconds").Help("h").Register(registry);
  EXPECT_THROW(histograms.Add({{"table", "t"}}, Histogram::BucketBoundaries{2, 1}),
               std::invalid_argument);
  EXPECT_FALSE(histograms.Has({{"table", "t"}}));
}

TEST(RegistryTest, RefusesInvalidMetricNames) {
  Registry registry;
  for (const char* name : {"", "1abc", "a-b", "a.b", "__reserved", "a b", "é", "a\n"}) {
    EXPECT_THROW(BuildCounter().Name(name).Help("h").Register(registry), std::invalid_argument)
        << name;
  }
  EXPECT_THROW(BuildGauge().Name("ok").Help("\xFF").Register(registry), std::invalid_argument);
  for (const char* name : {"a", "_a", ":a", "a:b_c9", "A_Z"}) {
    EXPECT_NO_THROW(BuildGauge().Name(name).Help("h").Register(registry)) << name;
  }
}

TEST(RegistryTest, IdenticalRegistrationReturnsTheSameFamily) {
  Registry registry;
  auto& a = BuildCounter().Name("x_total").Help("h").Register(registry);
  auto& b = BuildCounter().Name("x_total").Help("h").Register(registry);
  EXPECT_EQ(&a, &b);
}

TEST(RegistryTest, ConflictingRegistrationThrows) {
  Registry registry;
  BuildCounter().Name("x_total").Help("h").Register(registry);
  EXPECT_THROW(BuildGauge().Name("x_total").Help("h").Register(registry), std::invalid_argument);
  EXPECT_THROW(BuildCounter().Name("x_total").Help("other").Register(registry),
               std::invalid_argument);
  EXPECT_THROW(BuildCounter().Name("x_total").Help("h").Labels({{"a", "b"}}).Register(registry),
               std::invalid_argument);
}

TEST(RegistryTest, ThrowBehaviourRefusesAnySecondRegistration) {
  Registry registry(Registry::InsertBehavior::Throw);
  BuildCounter().Name("x_total").Help("h").Register(registry);
  EXPECT_THROW(BuildCounter().Name("x_total").Help("h").Register(registry), std::invalid_argument);
}

TEST(RegistryTest, RefusesNamesWhoseSamplesCollide) {
  Registry registry;
  BuildHistogram().Name("latency_seconds").Help("h").Register(registry);
  try {
    BuildCounter().Name("latency_seconds_count").Help("h").Register(registry);
    FAIL() << "collision accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("collides"));
  }
  BuildGauge().Name("size_bucket").Help("h").Register(registry);
  EXPECT_THROW(BuildHistogram().Name("size").Help("h").Register(registry), std::invalid_argument);
}

TEST(RegistryTest, CollectSortsByNameAndSkipsEmptyFamilies) {
  Registry registry;
  BuildGauge().Name("zeta").Help("h").Register(registry).Add({});
  BuildGauge().Name("empty").Help("h").Register(registry);
  BuildCounter().Name("alpha_total").Help("h").Register(registry).Add({});
  const auto families = registry.Collect();
  ASSERT_EQ(families.size(), 2U);
  EXPECT_EQ(families[0].name, "alpha_total");
  EXPECT_EQ(families[0].type, MetricType::Counter);
  EXPECT_EQ(families[1].name, "zeta");
}

TEST(RegistryTest, RemoveDropsTheFamily) {
  Registry registry;
  auto& family = BuildGauge().Name("g").Help("h").Register(registry);
  family.Add({});
  EXPECT_TRUE(registry.Remove(family));
  EXPECT_TRUE(registry.Collect().empty());
  // The name is free again.
  auto& again = BuildCounter().Name("g").Help("h").Register(registry);
  EXPECT_EQ(again.GetName(), "g");
}

TEST(ValidationTest, Utf8) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain"));
  EXPECT_TRUE(isValidUtf8("\xC3\xA9"));          // é
  EXPECT_TRUE(isValidUtf8("\xE2\x82\xAC"));      // €
  EXPECT_TRUE(isValidUtf8("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_FALSE(isValidUtf8("\x80"));
  EXPECT_FALSE(isValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xF8\x88\x80\x80\x80"));
}

TEST(InfoGaugeTest, RegistersAGaugeAtOneWithTheLabels) {
  Registry registry;
  Gauge& info = registerInfoGauge(registry, "zerobusd_build_info", "Build information.",
                                  {{"version", "0.1.0"}, {"grpc", "1.51.1"}});
  EXPECT_EQ(info.Value(), 1.0);
  EXPECT_EQ(&info, &registerInfoGauge(registry, "zerobusd_build_info", "Build information.",
                                      {{"version", "0.1.0"}, {"grpc", "1.51.1"}}));
  const auto families = registry.Collect();
  ASSERT_EQ(families.size(), 1U);
  EXPECT_EQ(families[0].type, MetricType::Gauge);
  EXPECT_THAT(families[0].metric[0].label, ElementsAre(ClientMetric::Label{"grpc", "1.51.1"},
                                                       ClientMetric::Label{"version", "0.1.0"}));
  EXPECT_THROW(registerInfoGauge(registry, "zerobusd_build", "h", {}), std::invalid_argument);
  EXPECT_THROW(registerInfoGauge(registry, "_info", "h", {}), std::invalid_argument);
}

// Many threads on one child: every update is counted once (integers are exact in a double).
TEST(ConcurrencyTest, CounterIncrementsFromManyThreadsSumExactly) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100'000;
  Registry registry;
  Counter& counter = BuildCounter().Name("x_total").Help("h").Register(registry).Add({});
  onThreads(kThreads, [&](int) {
    for (int i = 0; i < kPerThread; ++i) counter.Increment();
  });
  EXPECT_EQ(counter.Value(), static_cast<double>(kThreads) * kPerThread);
}

TEST(ConcurrencyTest, GaugeUpdatesFromManyThreadsSumExactly) {
  constexpr int kThreads = 8;
  constexpr int kEvenThreads = kThreads / 2;  // these also decrement
  constexpr int kPerThread = 50'000;
  Gauge gauge;
  onThreads(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      gauge.Increment(3);
      if (t % 2 == 0) gauge.Decrement(2);
    }
  });
  EXPECT_EQ(gauge.Value(), 3.0 * kThreads * kPerThread - 2.0 * kEvenThreads * kPerThread);
}

TEST(ConcurrencyTest, HistogramObservationsFromManyThreadsAreAllCounted) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20'000;
  Histogram histogram({10, 100});
  onThreads(kThreads, [&](int t) {
    for (int i = 0; i < kPerThread; ++i) histogram.Observe(t % 2 == 0 ? 5 : 50);
  });
  const auto collected = histogram.Collect().histogram;
  constexpr std::uint64_t kHalf = std::uint64_t{kThreads / 2} * kPerThread;  // per bucket
  EXPECT_THAT(cumulativeCounts(histogram), ElementsAre(kHalf, 2 * kHalf, 2 * kHalf));
  EXPECT_EQ(collected.sample_count, 2 * kHalf);
  EXPECT_EQ(collected.sample_sum, 5.0 * kHalf + 50.0 * kHalf);
}

// Add() and Collect() run beside the hot path; under TSan this proves they only share
// atomics and the family mutex.
TEST(ConcurrencyTest, AddAndCollectRaceWithUpdates) {
  constexpr int kThreads = 4;
  Registry registry;
  auto& family = BuildCounter().Name("x_total").Help("h").Register(registry);
  auto& latency = BuildHistogram().Name("l_seconds").Help("h").Register(registry);
  std::vector<Counter*> seen(kThreads);
  onThreads(kThreads + 1, [&](int t) {
    if (t == kThreads) {  // the "exporter"
      for (int i = 0; i < 200; ++i) {
        for (const auto& f : registry.Collect()) {
          for (const auto& m : f.metric) {
            if (f.type == MetricType::Histogram) {
              EXPECT_EQ(m.histogram.bucket.back().cumulative_count, m.histogram.sample_count);
            }
          }
        }
      }
      return;
    }
    Counter& shared = family.Add({{"table", "shared"}});
    seen[static_cast<std::size_t>(t)] = &shared;
    Histogram& h = latency.Add({{"table", "shared"}}, Histogram::BucketBoundaries{0.1, 1});
    for (int i = 0; i < 20'000; ++i) {
      shared.Increment();
      h.Observe(0.5);
      if (i % 1000 == 0) family.Add({{"table", "t" + std::to_string(t) + "_" + std::to_string(i)}});
    }
  });
  for (auto* counter : seen) EXPECT_EQ(counter, seen[0]);
  EXPECT_EQ(seen[0]->Value(), kThreads * 20'000.0);
}

}  // namespace
}  // namespace zerobusd::metrics
