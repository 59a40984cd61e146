// HttpExporter over real loopback HTTP (httplib::Client): /metrics body and Content-Type,
// /healthz and /readyz status codes from the owner's checks, port 0, address validation,
// refusing non-loopback addresses and ports in use, start/stop life cycle, and scrapes racing
// updates (for TSan).

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "daemon/metrics/http_exporter.h"
#include "daemon/metrics/registry.h"
#include "daemon/metrics/text_serializer.h"

namespace zerobusd::metrics {
namespace {

using ::testing::HasSubstr;

HttpExporterOptions loopbackAnyPort() {
  HttpExporterOptions options;
  options.listen_address = "127.0.0.1:0";
  return options;
}

httplib::Result get(int port, const std::string& path, const std::string& host = "127.0.0.1") {
  httplib::Client client(host, port);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(10));
  return client.Get(path.c_str());
}

class HttpExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& received = BuildCounter()
                         .Name("zerobusd_records_received_total")
                         .Help("Records accepted from producers.")
                         .Register(*registry_);
    received.Add({{"table", "a.b.c"}}).Increment(12345);
    BuildGauge().Name("zerobusd_queue_depth").Help("Queued.").Register(*registry_).Add({}).Set(7);
    exporter_.registerCollectable(registry_);
  }

  void start() {
    const auto status = exporter_.start();
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_GT(exporter_.port(), 0);
  }

  std::shared_ptr<Registry> registry_ = std::make_shared<Registry>();
  HttpExporter exporter_{loopbackAnyPort()};
};

TEST_F(HttpExporterTest, ServesTheRegistryAsTextFormat) {
  start();
  const auto result = get(exporter_.port(), "/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(result->body, TextSerializer().Serialize(*registry_));
  EXPECT_THAT(result->body, HasSubstr("zerobusd_records_received_total{table=\"a.b.c\"} 12345\n"));
}

TEST_F(HttpExporterTest, ReportsTheBoundPortOnlyWhileStarted) {
  EXPECT_EQ(exporter_.port(), 0);
  start();
  const int port = exporter_.port();
  exporter_.stop();
  EXPECT_EQ(exporter_.port(), 0);
  EXPECT_FALSE(get(port, "/metrics"));  // nothing listens any more
}

TEST_F(HttpExporterTest, HealthDefaultsToOkAndReadinessToNotReady) {
  start();
  const auto health = get(exporter_.port(), "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const auto ready = get(exporter_.port(), "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_THAT(ready->body, HasSubstr("not ready"));
}

TEST_F(HttpExporterTest, ChecksDecideStatusAndBody) {
  std::atomic<bool> healthy{true};
  std::atomic<bool> ready{false};
  exporter_.setHealthCheck([&] {
    return healthy ? ProbeResult{true, "{\"status\":\"ok\"}", "application/json"}
                   : ProbeResult{false, "{\"status\":\"stuck\"}", "application/json"};
  });
  exporter_.setReadinessCheck([&] {
    return ProbeResult{ready.load(), ready ? "ready" : "starting"};
  });
  start();

  auto health = get(exporter_.port(), "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "{\"status\":\"ok\"}");
  EXPECT_EQ(health->get_header_value("Content-Type"), "application/json");
  auto readiness = get(exporter_.port(), "/readyz");
  ASSERT_TRUE(readiness);
  EXPECT_EQ(readiness->status, 503);
  EXPECT_EQ(readiness->body, "starting");

  healthy = false;
  ready = true;
  health = get(exporter_.port(), "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body, "{\"status\":\"stuck\"}");
  readiness = get(exporter_.port(), "/readyz");
  ASSERT_TRUE(readiness);
  EXPECT_EQ(readiness->status, 200);
  EXPECT_EQ(readiness->body, "ready");
}

TEST_F(HttpExporterTest, AThrowingCheckAnswers503) {
  exporter_.setReadinessCheck([]() -> ProbeResult { throw std::runtime_error("boom"); });
  start();
  const auto result = get(exporter_.port(), "/readyz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503);
  EXPECT_THAT(result->body, HasSubstr("boom"));
}

class ThrowingCollectable : public Collectable {
 public:
  std::vector<MetricFamily> Collect() const override { throw std::runtime_error("broken"); }
};

TEST_F(HttpExporterTest, AThrowingCollectableAnswers500) {
  auto broken = std::make_shared<ThrowingCollectable>();
  exporter_.registerCollectable(broken);
  start();
  const auto result = get(exporter_.port(), "/metrics");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 500);
  EXPECT_THAT(result->body, HasSubstr("broken"));
}

TEST_F(HttpExporterTest, UnknownPathsAre404) {
  start();
  for (const char* path : {"/", "/metricsx", "/metrics/extra", "/health"}) {
    const auto result = get(exporter_.port(), path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 404) << path;
  }
}

TEST_F(HttpExporterTest, RendersEveryCollectableSortedByNameAndSkipsDeadOnes) {
  auto second = std::make_shared<Registry>();
  BuildGauge().Name("aaa_first").Help("h").Register(*second).Add({}).Set(1);
  exporter_.registerCollectable(second);
  auto gone = std::make_shared<Registry>();
  BuildGauge().Name("gone").Help("h").Register(*gone).Add({}).Set(1);
  exporter_.registerCollectable(gone);
  gone.reset();
  start();
  const auto result = get(exporter_.port(), "/metrics");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->body.find("# HELP aaa_first"), 0U);
  EXPECT_THAT(result->body, HasSubstr("zerobusd_queue_depth 7\n"));
  EXPECT_EQ(result->body.find("gone"), std::string::npos);
}

TEST_F(HttpExporterTest, RefusesNonLoopbackAddressesUnlessAllowed) {
  for (const char* address : {"0.0.0.0:0", "[::]:0", "10.1.2.3:9464", "example.com:9464"}) {
    HttpExporterOptions options;
    options.listen_address = address;
    HttpExporter exporter(options);
    const auto status = exporter.start();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << address << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("not loopback")) << address;
    EXPECT_EQ(exporter.port(), 0);
  }
}

TEST_F(HttpExporterTest, RefusesMalformedAddresses) {
  for (const char* address : {"", "127.0.0.1", "127.0.0.1:", ":9464", "127.0.0.1:70000",
                              "127.0.0.1:-1", "127.0.0.1:9x", "::1:9464", "[::1:9464"}) {
    HttpExporterOptions options;
    options.listen_address = address;
    HttpExporter exporter(options);
    EXPECT_EQ(exporter.start().code(), absl::StatusCode::kInvalidArgument) << address;
  }
}

TEST_F(HttpExporterTest, ListensOnLocalhostAndIpv6Loopback) {
  const int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool has_v6 =
      probe >= 0 && ::bind(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  if (probe >= 0) ::close(probe);

  HttpExporterOptions named;
  named.listen_address = "localhost:0";
  HttpExporter by_name(named);
  by_name.registerCollectable(registry_);
  ASSERT_TRUE(by_name.start().ok());
  EXPECT_GT(by_name.port(), 0);

  if (!has_v6) GTEST_SKIP() << "no IPv6 loopback here";
  HttpExporterOptions v6;
  v6.listen_address = "[::1]:0";
  HttpExporter exporter(v6);
  exporter.registerCollectable(registry_);
  const auto status = exporter.start();
  ASSERT_TRUE(status.ok()) << status;
  const auto result = get(exporter.port(), "/metrics", "::1");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
}

// httplib's default SO_REUSEPORT would let a second daemon share the port silently.
TEST_F(HttpExporterTest, APortInUseFailsToStart) {
  start();
  HttpExporterOptions options;
  options.listen_address = "127.0.0.1:" + std::to_string(exporter_.port());
  HttpExporter second(options);
  const auto status = second.start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(second.port(), 0);
}

TEST_F(HttpExporterTest, StartTwiceFailsStopIsIdempotentAndRestartWorks) {
  start();
  EXPECT_EQ(exporter_.start().code(), absl::StatusCode::kFailedPrecondition);
  exporter_.stop();
  exporter_.stop();
  start();
  const auto result = get(exporter_.port(), "/metrics");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(HttpExporterTest, StopIsPromptWithAnIdleKeepAliveClient) {
  start();
  httplib::Client client("127.0.0.1", exporter_.port());
  client.set_keep_alive(true);
  ASSERT_TRUE(client.Get("/metrics"));
  // httplib's default would hold stop() for its 5 s keep-alive wait.
  const auto begin = std::chrono::steady_clock::now();
  exporter_.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(2500));  // 5 s without the fix
}

TEST_F(HttpExporterTest, ScrapesRaceWithUpdatesAndSeeMonotonicCounters) {
  Counter& hot = BuildCounter().Name("hot_total").Help("h").Register(*registry_).Add({});
  Histogram& latency = BuildHistogram()
                           .Name("latency_seconds")
                           .Help("h")
                           .Register(*registry_)
                           .Add({}, Histogram::BucketBoundaries{0.001, 0.01});
  start();
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&] {
      while (!done.load(std::memory_order_relaxed)) {
        hot.Increment();
        latency.Observe(0.005);
      }
    });
  }
  double last = -1;
  for (int i = 0; i < 20; ++i) {
    const auto result = get(exporter_.port(), "/metrics");
    ASSERT_TRUE(result);
    const auto at = result->body.find("\nhot_total ");
    ASSERT_NE(at, std::string::npos);
    const double value = std::stod(result->body.substr(at + 11));
    EXPECT_GE(value, last);
    last = value;
  }
  done = true;
  for (auto& writer : writers) writer.join();
}

}  // namespace
}  // namespace zerobusd::metrics
