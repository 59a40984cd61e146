// metrics_demo: the demo registry (demo_registry.h) for the integration tests.
//   metrics_demo dump            prints its text exposition to stdout
//   metrics_demo serve [ADDRESS] serves it with HttpExporter (default 127.0.0.1:0), prints
//                                "port <n>" once serving, and stops when stdin reaches EOF,
//                                so that it cannot outlive the script driving it
// Exit codes: 0 done, 1 the exporter did not start, 2 usage.

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "daemon/metrics/http_exporter.h"
#include "daemon/metrics/text_serializer.h"
#include "tests/metrics/demo_registry.h"

namespace {

using zerobusd::metrics::HttpExporter;
using zerobusd::metrics::HttpExporterOptions;
using zerobusd::metrics::ProbeResult;

int serve(const std::string& address) {
  auto registry = zerobusd::metrics::testing::buildDemoRegistry();
  HttpExporterOptions options;
  options.listen_address = address;
  HttpExporter exporter(options);
  exporter.registerCollectable(registry);
  exporter.setHealthCheck([] {
    return ProbeResult{true, "{\"status\":\"ok\"}", "application/json"};
  });
  exporter.setReadinessCheck([] {
    return ProbeResult{true, "{\"ready\":true}", "application/json"};
  });
  if (const auto status = exporter.start(); !status.ok()) {
    std::cerr << "metrics_demo: " << status << "\n";
    return 1;
  }
  std::cout << "port " << exporter.port() << std::endl;
  char buffer[256];
  while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
  exporter.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "dump" && argc == 2) {
    std::cout << zerobusd::metrics::TextSerializer().Serialize(
        *zerobusd::metrics::testing::buildDemoRegistry());
    return std::cout.flush() ? 0 : 1;
  }
  if (mode == "serve" && argc <= 3) return serve(argc == 3 ? argv[2] : "127.0.0.1:0");
  std::cerr << "usage: metrics_demo dump | metrics_demo serve [ADDRESS]\n";
  return 2;
}
