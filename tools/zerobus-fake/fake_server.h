#pragma once
// zerobus-fake's composition root: the gRPC service, the workspace HTTP endpoints (OAuth, Unity
// Catalog), the admin HTTP API, and the state they share. Tests run it in-process; main.cc
// runs it as a program. start() and stop() from one thread; the accessors are thread-safe.

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <absl/status/status.h>
#include <grpcpp/server.h>
#include <nlohmann/json.hpp>

#include "tools/zerobus-fake/fake_config.h"
#include "tools/zerobus-fake/faults.h"
#include "tools/zerobus-fake/ingest_service.h"
#include "tools/zerobus-fake/landing.h"
#include "tools/zerobus-fake/scheduler.h"
#include "tools/zerobus-fake/stream_registry.h"
#include "tools/zerobus-fake/token_authority.h"
#include "tools/zerobus-fake/workspace_http.h"

namespace httplib {
class Server;
}

namespace zerobusd::fake {

class FakeServer {
 public:
  explicit FakeServer(FakeConfig config);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // Binds every listener (port 0 picks a free one) and starts serving.
  [[nodiscard]] absl::Status start();
  void stop();

  int grpcPort() const { return grpc_port_; }
  int httpPort() const { return http_port_; }
  int adminPort() const { return admin_port_; }
  const FakeConfig& config() const { return config_; }

  Faults& faults() { return faults_; }
  TokenAuthority& tokens() { return tokens_; }
  Landing& landing() { return landing_; }
  StreamRegistry& streams() { return registry_; }
  WorkspaceHttp& workspace() { return *workspace_; }

  // Drops every connection (GOAWAY, then close) by restarting the gRPC server on its port.
  [[nodiscard]] absl::Status dropConnections();
  nlohmann::json counters() const;
  void resetCounters();

 private:
  [[nodiscard]] absl::Status startGrpc(const std::string& address);
  [[nodiscard]] absl::Status startHttp(httplib::Server& server, const std::string& listen,
                                       int* port, std::thread* thread);

  FakeConfig config_;
  TokenAuthority tokens_;
  Faults faults_;
  Landing landing_;
  StreamRegistry registry_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<WorkspaceHttp> workspace_;

  std::mutex grpc_mu_;  // guards service_/grpc_server_ across dropConnections()
  std::unique_ptr<IngestService> service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<httplib::Server> http_server_;
  std::unique_ptr<httplib::Server> admin_server_;
  std::thread http_thread_;
  std::thread admin_thread_;
  int grpc_port_ = 0;
  int http_port_ = 0;
  int admin_port_ = 0;
  bool started_ = false;
};

// Splits "host:port" ("[::1]:80" too). False on bad input.
bool splitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace zerobusd::fake
