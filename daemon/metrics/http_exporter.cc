#include "daemon/metrics/http_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>

#include "daemon/metrics/text_serializer.h"

namespace zerobusd::metrics {

namespace {

constexpr const char* kPlainText = "text/plain; charset=utf-8";

// "host:port" or "[v6-host]:port". A bare IPv6 literal needs the brackets: "::1:9464" would
// be ambiguous.
bool splitHostPort(const std::string& address, std::string* host, int* port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string h = address.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  } else if (h.find_first_of("[]:") != std::string::npos) {
    return false;
  }
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  int p = -1;
  const auto [end, ec] = std::from_chars(first, last, p);
  if (ec != std::errc() || end != last || p < 0 || p > 65535) return false;
  *host = std::move(h);
  *port = p;
  return true;
}

bool isLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24U) == 127U;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;  // any other name may resolve to anything
}

// httplib's default also sets SO_REUSEPORT, which lets a second process bind the same port
// and silently take half the scrapes; a port in use must fail start() instead. SO_REUSEADDR
// stays so that a restarted daemon can bind while old connections sit in TIME_WAIT.
void setSocketOptions(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

}  // namespace

struct HttpExporter::State {
  explicit State(HttpExporterOptions o) : options(std::move(o)) {}

  void serveMetrics(httplib::Response& response) {
    try {
      std::vector<std::shared_ptr<Collectable>> live;
      {
        std::lock_guard lock(mutex);
        std::erase_if(collectables, [](const auto& weak) { return weak.expired(); });
        for (const auto& weak : collectables) {
          if (auto collectable = weak.lock()) live.push_back(std::move(collectable));
        }
      }
      std::vector<MetricFamily> families;
      for (const auto& collectable : live) {
        for (auto& family : collectable->Collect()) families.push_back(std::move(family));
      }
      // Each registry is sorted; across several, order by name too so that the answer does
      // not depend on registration order.
      std::stable_sort(
          families.begin(), families.end(),
          [](const MetricFamily& a, const MetricFamily& b) { return a.name < b.name; });
      response.status = 200;
      response.set_content(TextSerializer().Serialize(families), std::string(kTextContentType));
    } catch (const std::exception& e) {
      response.status = 500;
      response.set_content(std::string("collecting metrics failed: ") + e.what() + "\n",
                           kPlainText);
    }
  }

  void serveProbe(ProbeCheck State::*which, ProbeResult fallback, httplib::Response& response) {
    ProbeCheck check;
    {
      std::lock_guard lock(mutex);
      check = this->*which;
    }
    ProbeResult result = std::move(fallback);
    if (check) {
      try {
        result = check();
      } catch (const std::exception& e) {
        result = {false, std::string("check failed: ") + e.what() + "\n", kPlainText};
      } catch (...) {
        result = {false, "check failed\n", kPlainText};
      }
    }
    response.status = result.ok ? 200 : 503;
    response.set_content(result.body, result.content_type);
  }

  const HttpExporterOptions options;

  std::mutex mutex;  // guards collectables, health_check, readiness_check
  std::vector<std::weak_ptr<Collectable>> collectables;
  ProbeCheck health_check;
  ProbeCheck readiness_check;

  // Owner thread only (start/stop), except listen_done (set by the serving thread) and port.
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  std::atomic<bool> listen_done{false};
  std::atomic<int> port{0};
};

HttpExporter::HttpExporter(HttpExporterOptions options)
    : state_(std::make_unique<State>(std::move(options))) {}

HttpExporter::~HttpExporter() { stop(); }

void HttpExporter::registerCollectable(const std::weak_ptr<Collectable>& collectable) {
  std::lock_guard lock(state_->mutex);
  state_->collectables.push_back(collectable);
}

void HttpExporter::setHealthCheck(ProbeCheck check) {
  std::lock_guard lock(state_->mutex);
  state_->health_check = std::move(check);
}

void HttpExporter::setReadinessCheck(ProbeCheck check) {
  std::lock_guard lock(state_->mutex);
  state_->readiness_check = std::move(check);
}

int HttpExporter::port() const { return state_->port.load(std::memory_order_acquire); }

absl::Status HttpExporter::start() {
  State& s = *state_;
  const std::string& address = s.options.listen_address;
  if (s.server) return absl::FailedPreconditionError("metrics exporter already started");
  std::string host;
  int wanted = 0;
  if (!splitHostPort(address, &host, &wanted) || host.empty()) {
    return absl::InvalidArgumentError("metrics listen address '" + address +
                                      "' is not host:port or [host]:port");
  }
  if (!s.options.allow_non_loopback && !isLoopbackHost(host)) {
    return absl::InvalidArgumentError("metrics listen address '" + address +
                                      "' is not loopback and non-loopback was not allowed");
  }
  if (s.options.threads == 0) return absl::InvalidArgumentError("metrics exporter needs threads");

  auto server = std::make_unique<httplib::Server>();
  const std::size_t threads = s.options.threads;
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_socket_options(setSocketOptions);
  // stop() joins the workers, and httplib lets a worker sit out a kept-alive connection's idle
  // wait first (5 s by default). Scrapes come seconds apart on loopback, where a new
  // connection costs nothing: answer each request with "Connection: close", and wait at most
  // a second for a connected client's first request.
  server->set_keep_alive_max_count(1);
  server->set_keep_alive_timeout(1);
  server->set_read_timeout(std::chrono::seconds(5));
  server->set_write_timeout(std::chrono::seconds(5));
  server->set_payload_max_length(4096);  // only GETs are served
  State* state = state_.get();
  server->Get("/metrics", [state](const httplib::Request&, httplib::Response& response) {
    state->serveMetrics(response);
  });
  server->Get("/healthz", [state](const httplib::Request&, httplib::Response& response) {
    state->serveProbe(&State::health_check, {true, "ok\n", kPlainText}, response);
  });
  server->Get("/readyz", [state](const httplib::Request&, httplib::Response& response) {
    state->serveProbe(&State::readiness_check,
                      {false, "not ready: no readiness check set\n", kPlainText}, response);
  });

  errno = 0;
  const int bound = wanted == 0 ? server->bind_to_any_port(host)
                                : (server->bind_to_port(host, wanted) ? wanted : -1);
  if (bound <= 0) {
    const int error = errno;
    std::string message = "cannot listen for metrics on " + address;
    if (error != 0) message += ": " + std::error_code(error, std::generic_category()).message();
    return absl::UnavailableError(message);
  }

  s.server = std::move(server);
  s.listen_done.store(false, std::memory_order_relaxed);
  s.thread = std::thread([state] {
    state->server->listen_after_bind();
    state->listen_done.store(true, std::memory_order_release);
  });
  // The socket already queues connections; wait until the serving thread runs, because
  // httplib's stop() before that is lost (httplib 0.11 has no wait_until_ready()).
  const auto deadline = std::chrono::steady_clock::now() + s.options.start_timeout;
  while (!s.server->is_running()) {
    if (s.listen_done.load(std::memory_order_acquire)) {
      s.thread.join();
      s.server.reset();
      return absl::UnavailableError("metrics exporter on " + address + " stopped at once");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stopServer();
      return absl::DeadlineExceededError("metrics exporter on " + address + " did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  s.port.store(bound, std::memory_order_release);
  return absl::OkStatus();
}

void HttpExporter::stop() {
  if (state_->server) stopServer();
}

void HttpExporter::stopServer() {
  State& s = *state_;
  // httplib's stop() does nothing until listen_after_bind() has marked the server running
  // (see start()), so wait for that unless the thread has already returned.
  while (!s.listen_done.load(std::memory_order_acquire)) {
    if (s.server->is_running()) {
      s.server->stop();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  s.thread.join();
  s.server.reset();
  s.port.store(0, std::memory_order_release);
}

}  // namespace zerobusd::metrics
