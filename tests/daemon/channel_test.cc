// Endpoint parsing and proxy selection exactly as the SDK does them (zerobus-protocol.md §1).

#include <map>

#include <gtest/gtest.h>

#include "daemon/upstream/channel.h"

namespace zerobusd::upstream {
namespace {

GetEnv envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(Endpoint, BareHostGetsHttpsAnd443) {
  auto e = parseEndpoint("1234.zerobus.us-west-2.cloud.databricks.com");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->target, "1234.zerobus.us-west-2.cloud.databricks.com:443");
  EXPECT_EQ(e->workspace_id, "1234");
}

TEST(Endpoint, WorkspaceIdIsTheTextBeforeTheFirstDotEvenForLocalhost) {
  EXPECT_EQ(parseEndpoint("https://localhost:50443")->workspace_id, "localhost:50443");
  EXPECT_EQ(parseEndpoint("https://127.0.0.1:9000")->workspace_id, "127");
  EXPECT_EQ(parseEndpoint("https://localhost:50443")->target, "localhost:50443");
}

TEST(Endpoint, HttpIsPlaintextAndIpv6IsBracketed) {
  auto e = parseEndpoint("http://[::1]:8080/");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_FALSE(e->tls);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->target, "[::1]:8080");
}

TEST(Endpoint, BadInputIsRefused) {
  for (const char* bad : {"", "https://", "https://host:0", "https://host:99999", "https://host:x",
                          "https://host/path", "https://[::1"}) {
    EXPECT_FALSE(parseEndpoint(bad).ok()) << bad;
  }
}

TEST(Proxy, FirstNonEmptyVariableInTheSdkOrderWins) {
  EXPECT_EQ(proxyFor("h", envOf({{"https_proxy", "p1:3128"}, {"HTTP_PROXY", "p2:3128"}})),
            "http://p1:3128");
  EXPECT_EQ(proxyFor("h", envOf({{"grpc_proxy", ""}, {"GRPC_PROXY", "http://g:1"}, {"https_proxy", "p"}})),
            "http://g:1");
  EXPECT_EQ(proxyFor("h", envOf({})), std::nullopt);
}

TEST(Proxy, NoProxyMatchesExactHostAndSubdomainsOnly) {
  auto env = envOf({{"https_proxy", "p:1"}, {"no_proxy", " .example.com , other.org"}});
  EXPECT_EQ(proxyFor("example.com", env), std::nullopt);
  EXPECT_EQ(proxyFor("a.example.com", env), std::nullopt);
  EXPECT_EQ(proxyFor("other.org", env), std::nullopt);
  EXPECT_EQ(proxyFor("notexample.com", env), "http://p:1");
  EXPECT_EQ(proxyFor("x", envOf({{"https_proxy", "p:1"}, {"NO_PROXY", "*"}})), std::nullopt);
  // no_grpc_proxy takes precedence over no_proxy.
  EXPECT_EQ(proxyFor("a.com", envOf({{"https_proxy", "p:1"}, {"no_grpc_proxy", "b.com"}, {"no_proxy", "a.com"}})),
            "http://p:1");
}

TEST(Proxy, UnparsableProxyUrlMeansADirectConnection) {
  EXPECT_EQ(proxyFor("h", envOf({{"https_proxy", "https://secure-proxy:443"}})), std::nullopt);
  EXPECT_EQ(proxyFor("h", envOf({{"https_proxy", "http://p:1/some/path"}})), std::nullopt);
}

TEST(Channel, PlaintextEndpointNeedsAnExplicitChoice) {
  TransportOptions options;
  options.endpoint = "http://127.0.0.1:1";
  EXPECT_EQ(makeChannel(options, envOf({})).status().code(), absl::StatusCode::kInvalidArgument);
  options.plaintext = true;
  EXPECT_TRUE(makeChannel(options, envOf({})).ok());
}

TEST(Channel, MissingCaBundleIsAnError) {
  TransportOptions options;
  options.endpoint = "https://localhost:1";
  options.ca_bundle_file = "/nonexistent/ca.pem";
  EXPECT_EQ(makeChannel(options, envOf({})).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zerobusd::upstream
