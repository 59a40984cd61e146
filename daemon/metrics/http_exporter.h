#pragma once
// HttpExporter: the daemon's HTTP endpoint for Prometheus and for probes, on cpp-httplib
// (prometheus-cpp's Exposer plays the same role; the probes are ours).
//
//   GET /metrics  every registered Collectable, text format 0.0.4 (text_serializer.h)
//   GET /healthz  the health check's answer: 200 when ok, 503 otherwise
//   GET /readyz   the readiness check's answer: 200 when ok, 503 otherwise
//
// Without a check, /healthz answers 200 (the process is serving, so it is alive) and /readyz
// 503 (nobody has vouched for readiness). Other paths answer 404.
//
// Ownership: holds collectables as weak_ptr (a registry destroyed by its owner simply stops
// being rendered) and keeps one alive for the length of a scrape.
// Thread affinity: start(), stop() and the destructor are for the owning thread (not
// concurrently with each other). registerCollectable() and the set*Check() calls are
// thread-safe. Requests are served by the exporter's own threads (a listener and
// `options.threads` workers), which only read metrics and call the checks: a check must be
// thread-safe and must not touch loop-owned state (read atomics the loop thread publishes).
// Errors: start() returns InvalidArgument for a malformed address or a non-loopback one not
// explicitly allowed, Unavailable when the address cannot be bound (in use, no permission),
// FailedPrecondition when already started, DeadlineExceeded when the serving thread did not
// come up in time. An exception from a collectable answers 500, one from a check 503; none
// escapes into httplib.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "daemon/metrics/metric_family.h"

namespace zerobusd::metrics {

struct HttpExporterOptions {
  // host:port, [v6-host]:port; port 0 picks a free port (see HttpExporter::port()).
  std::string listen_address = "127.0.0.1:9464";
  // Binding anything but loopback (127.0.0.0/8, ::1, localhost) must be asked for: the
  // endpoint has no authentication.
  bool allow_non_loopback = false;
  // Worker threads serving requests (httplib's default is one per core).
  std::size_t threads = 2;
  // How long start() waits for the serving thread.
  std::chrono::milliseconds start_timeout{10'000};
};

struct ProbeResult {
  bool ok = false;   // 200 when true, 503 when false
  std::string body;  // short: "ok", or a JSON object saying what is wrong
  std::string content_type = "text/plain; charset=utf-8";
};

using ProbeCheck = std::function<ProbeResult()>;

class HttpExporter {
 public:
  explicit HttpExporter(HttpExporterOptions options = {});
  ~HttpExporter();  // stop()
  HttpExporter(const HttpExporter&) = delete;
  HttpExporter& operator=(const HttpExporter&) = delete;

  void registerCollectable(const std::weak_ptr<Collectable>& collectable);
  void setHealthCheck(ProbeCheck check);
  void setReadinessCheck(ProbeCheck check);

  // Binds the address and starts serving; returns once requests are being served.
  [[nodiscard]] absl::Status start();
  // Stops accepting, lets requests in flight finish, joins every thread. Idempotent. Each
  // connection serves one request (no idle keep-alive to wait out); a client that connected
  // but has not sent its request yet can hold stop() up to a second.
  void stop();

  // The bound port (the chosen one for port 0); 0 when not started.
  int port() const;

 private:
  struct State;
  void stopServer();

  std::unique_ptr<State> state_;
};

}  // namespace zerobusd::metrics
