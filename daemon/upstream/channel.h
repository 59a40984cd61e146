#pragma once
// The gRPC channel to the Zerobus endpoint: endpoint parsing as the SDK does it (scheme
// prepended, workspace id = first DNS label), TLS with the system roots or a CA bundle,
// plaintext only by explicit choice, the SDK's proxy environment variables, keepalive, no
// message size limits, and a user agent naming zerobusd. Pure functions plus one factory;
// thread-safe.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "common/status.h"

namespace zerobusd::upstream {

struct Endpoint {
  bool tls = true;
  std::string host;
  int port = 443;
  std::string target;        // host:port for gRPC
  std::string workspace_id;  // text between the scheme and the first '.', unvalidated (§1)
};

// "https://host[:port]", "http://host[:port]" (plaintext) or a bare "host[:port]" (https).
absl::StatusOr<Endpoint> parseEndpoint(std::string_view endpoint);

struct TransportOptions {
  std::string endpoint;
  bool plaintext = false;       // must be chosen explicitly; an http:// endpoint without it fails
  std::string ca_bundle_file;   // PEM; empty: the system roots
  std::string tls_server_name;  // check this name instead of the host (tests, IP endpoints)
  int64_t keepalive_time_ms = 30000;
  int64_t keepalive_timeout_ms = 10000;
  std::string user_agent = "zerobusd/0.1.0";
  bool dedicated_connection = false;  // a connection of its own (not shared with other channels)
  int connection_index = 0;           // with dedicated_connection: which one
};

using GetEnv = std::function<const char*(const char*)>;

// The proxy the SDK would use for `host`: first non-empty of grpc_proxy, GRPC_PROXY,
// https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY, unless the host is in the first non-empty of
// no_grpc_proxy, NO_GRPC_PROXY, no_proxy, NO_PROXY (comma list, "*" for all, "example.com"
// matching itself and its subdomains). Always an HTTP CONNECT tunnel.
std::optional<std::string> proxyFor(const std::string& host, const GetEnv& getenv);

absl::StatusOr<std::shared_ptr<grpc::Channel>> makeChannel(const TransportOptions& options,
                                                            const GetEnv& getenv);

}  // namespace zerobusd::upstream
