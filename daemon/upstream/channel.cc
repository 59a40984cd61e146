#include "daemon/upstream/channel.h"

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace zerobusd::upstream {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const char* firstNonEmpty(const GetEnv& getenv, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* value = getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return nullptr;
}

bool bypassed(const std::string& host, std::string_view list) {
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view entry = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry == "*") return true;
    if (!entry.empty() && entry.front() == '.') entry.remove_prefix(1);
    if (entry.empty()) continue;
    if (host == entry) return true;
    if (host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
        host[host.size() - entry.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Endpoint> parseEndpoint(std::string_view text) {
  Endpoint out;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
    out.tls = false;
    out.port = 80;
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    return absl::InvalidArgumentError(fmt::format("Invalid Zerobus endpoint '{}'", text));
  }
  out.workspace_id = std::string(rest.substr(0, rest.find('.')));
  std::string_view host = rest;
  if (host.front() == '[') {  // [v6]:port
    auto close = host.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format("Invalid Zerobus endpoint '{}'", text));
    }
    out.host = std::string(host.substr(1, close - 1));
    host.remove_prefix(close + 1);
    if (!host.empty() && host.front() != ':') {
      return absl::InvalidArgumentError(fmt::format("Invalid Zerobus endpoint '{}'", text));
    }
  } else {
    auto colon = host.rfind(':');
    out.host = std::string(host.substr(0, colon));
    host = colon == std::string_view::npos ? std::string_view() : host.substr(colon);
  }
  if (!host.empty()) {
    host.remove_prefix(1);
    int port = 0;
    auto [end, ec] = std::from_chars(host.data(), host.data() + host.size(), port);
    if (ec != std::errc() || end != host.data() + host.size() || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError(fmt::format("Invalid port in Zerobus endpoint '{}'", text));
    }
    out.port = port;
  }
  if (out.host.empty()) {
    return absl::InvalidArgumentError(fmt::format("Invalid Zerobus endpoint '{}'", text));
  }
  out.target = out.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", out.host, out.port)
                                                       : fmt::format("{}:{}", out.host, out.port);
  return out;
}

std::optional<std::string> proxyFor(const std::string& host, const GetEnv& getenv) {
  const char* proxy = firstNonEmpty(
      getenv, {"grpc_proxy", "GRPC_PROXY", "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"});
  if (proxy == nullptr) return std::nullopt;
  const char* no_proxy = firstNonEmpty(getenv, {"no_grpc_proxy", "NO_GRPC_PROXY", "no_proxy", "NO_PROXY"});
  if (no_proxy != nullptr && bypassed(host, no_proxy)) return std::nullopt;
  std::string_view url = proxy;
  // gRPC wants host:port or http://host:port; an unparsable URL means a direct connection.
  if (url.starts_with("http://")) url.remove_prefix(7);
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos || url.starts_with("https://")) {
    return std::nullopt;
  }
  return "http://" + std::string(url);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> makeChannel(const TransportOptions& options,
                                                            const GetEnv& getenv) {
  auto endpoint = parseEndpoint(options.endpoint);
  if (!endpoint.ok()) return endpoint.status();
  if (!endpoint->tls && !options.plaintext) {
    return absl::InvalidArgumentError(fmt::format(
        "Endpoint '{}' is plaintext http://; set plaintext explicitly to allow it", options.endpoint));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, options.user_agent);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(options.keepalive_time_ms));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(options.keepalive_timeout_ms));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  if (options.dedicated_connection) {
    // Channels with different arguments never share a subchannel (connection).
    args.SetInt("zerobusd.connection_index", options.connection_index);
  }
  if (auto proxy = proxyFor(endpoint->host, getenv)) {
    args.SetString(GRPC_ARG_HTTP_PROXY, *proxy);
  } else {
    args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);  // our resolution is the SDK's, not gRPC's
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.plaintext) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_bundle_file.empty()) {
      std::ifstream in(options.ca_bundle_file);
      std::stringstream pem;
      pem << in.rdbuf();
      if (!in) {
        return absl::InvalidArgumentError(fmt::format("cannot read CA bundle {}", options.ca_bundle_file));
      }
      ssl.pem_root_certs = pem.str();
    }
    credentials = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
  }
  return grpc::CreateCustomChannel(endpoint->target, credentials, args);
}

}  // namespace zerobusd::upstream
