#include "tools/zerobus-fake/fake_server.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include "tools/zerobus-fake/admin_http.h"

namespace zerobusd::fake {

namespace {

absl::StatusOr<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

bool splitHostPort(const std::string& address, std::string* host, int* port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string h = address.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  int p = -1;
  auto [end, ec] = std::from_chars(first, last, p);
  if (ec != std::errc() || end != last || p < 0 || p > 65535) return false;
  *host = h;
  *port = p;
  return true;
}

FakeServer::FakeServer(FakeConfig config) : config_(std::move(config)), landing_(config_) {
  registry_.lifetime_ms = config_.stream_lifetime_ms;
  registry_.close_grace_ms = config_.close_grace_ms;
  workspace_ = std::make_unique<WorkspaceHttp>(config_, tokens_);
}

FakeServer::~FakeServer() { stop(); }

absl::Status FakeServer::startGrpc(const std::string& address) {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (config_.plaintext) {
    credentials = grpc::InsecureServerCredentials();
  } else {
    auto cert = readFile(config_.tls_cert_file);
    if (!cert.ok()) return cert.status();
    auto key = readFile(config_.tls_key_file);
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(options);
  }
  service_ = std::make_unique<IngestService>(
      StreamDeps{config_, tokens_, landing_, faults_, *scheduler_, registry_});
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(address, credentials, &selected);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_message_bytes));
  builder.SetMaxSendMessageSize(-1);
  grpc_server_ = builder.BuildAndStart();
  if (!grpc_server_ || selected == 0) {
    return absl::UnavailableError(fmt::format("cannot listen for gRPC on {}", address));
  }
  grpc_port_ = selected;
  return absl::OkStatus();
}

absl::Status FakeServer::startHttp(httplib::Server& server, const std::string& listen, int* port,
                                   std::thread* thread) {
  std::string host;
  int wanted = 0;
  if (!splitHostPort(listen, &host, &wanted)) {
    return absl::InvalidArgumentError(fmt::format("bad listen address '{}'", listen));
  }
  if (!server.is_valid()) return absl::InvalidArgumentError("HTTP server could not be set up (TLS files?)");
  int bound = wanted == 0 ? server.bind_to_any_port(host.c_str())
                          : (server.bind_to_port(host.c_str(), wanted) ? wanted : -1);
  if (bound <= 0) return absl::UnavailableError(fmt::format("cannot listen on {}", listen));
  *port = bound;
  *thread = std::thread([&server] { server.listen_after_bind(); });
  // The socket already accepts connections (bound and listening); wait only until the serving
  // thread has taken it, because httplib's stop() before that would leave the thread running.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(fmt::format("HTTP server on {} did not start", listen));
    }
    std::this_thread::yield();
  }
  return absl::OkStatus();
}

absl::Status FakeServer::start() {
  if (started_) return absl::FailedPreconditionError("already started");
  if (!config_.plaintext && (config_.tls_cert_file.empty() || config_.tls_key_file.empty())) {
    return absl::InvalidArgumentError(
        "TLS needs tls_cert_file and tls_key_file (or plaintext: true for tests)");
  }
  scheduler_ = std::make_unique<Scheduler>();
  if (auto status = startGrpc(config_.grpc_listen); !status.ok()) return status;

  if (config_.plaintext) {
    http_server_ = std::make_unique<httplib::Server>();
  } else {
    http_server_ = std::make_unique<httplib::SSLServer>(config_.tls_cert_file.c_str(),
                                                        config_.tls_key_file.c_str());
  }
  workspace_->registerRoutes(*http_server_);
  if (auto status = startHttp(*http_server_, config_.http_listen, &http_port_, &http_thread_);
      !status.ok()) {
    return status;
  }
  admin_server_ = std::make_unique<httplib::Server>();
  registerAdminRoutes(*admin_server_, *this);
  if (auto status = startHttp(*admin_server_, config_.admin_listen, &admin_port_, &admin_thread_);
      !status.ok()) {
    return status;
  }
  started_ = true;
  spdlog::info("zerobus-fake listening: grpc {} ({}), http {}, admin {}", grpc_port_,
               config_.plaintext ? "plaintext" : "TLS", http_port_, admin_port_);
  return absl::OkStatus();
}

void FakeServer::stop() {
  workspace_->releaseDelays();  // or requests held by a delay fault keep stop() waiting
  if (admin_server_) admin_server_->stop();
  if (http_server_) http_server_->stop();
  if (admin_thread_.joinable()) admin_thread_.join();
  if (http_thread_.joinable()) http_thread_.join();
  {
    std::lock_guard lock(grpc_mu_);
    if (grpc_server_) {
      grpc_server_->Shutdown(std::chrono::system_clock::now());
      grpc_server_->Wait();
      grpc_server_.reset();
    }
  }
  // Scheduled callbacks look streams up in the registry; with the server gone none is left.
  scheduler_.reset();
  started_ = false;
}

absl::Status FakeServer::dropConnections() {
  std::lock_guard lock(grpc_mu_);
  if (!grpc_server_) return absl::FailedPreconditionError("not running");
  faults_.countFired("drop_connections");
  grpc_server_->Shutdown(std::chrono::system_clock::now());
  grpc_server_->Wait();
  grpc_server_.reset();
  std::string host;
  int port = 0;
  splitHostPort(config_.grpc_listen, &host, &port);
  std::string address = host.find(':') != std::string::npos
                            ? fmt::format("[{}]:{}", host, grpc_port_)
                            : fmt::format("{}:{}", host, grpc_port_);
  return startGrpc(address);
}

nlohmann::json FakeServer::counters() const {
  return {{"tables", landing_.countersJson()},
          {"streams", registry_.countersJson()},
          {"tokens_minted", tokens_.minted()},
          {"workspace", workspace_->counters()},
          {"faults_fired", faults_.firedJson()}};
}

void FakeServer::resetCounters() {
  landing_.reset();
  registry_.resetCounters();
  workspace_->resetCounters();
}

}  // namespace zerobusd::fake
