// The upstream stream with the OAuth token source against zerobus-fake's token endpoint:
// token endpoint failures on the way to a stream, and a token that expires while streaming.

#include <curl/curl.h>

#include "daemon/auth/curl_fetcher.h"
#include "daemon/auth/oauth_token_source.h"
#include "tests/daemon/upstream_fixture.h"

namespace zerobusd::upstream::testing {
namespace {

using Json = nlohmann::json;

class UpstreamOAuthTest : public UpstreamTest {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  std::shared_ptr<TokenSource> oauth() {
    OAuthTokenConfig config;
    config.workspace_url = "http://127.0.0.1:" + std::to_string(fake_->httpPort());
    config.zerobus_endpoint = "http://127.0.0.1:" + std::to_string(fake_->grpcPort());
    config.table = kAirQuality;
    config.client_id = "test-client";
    config.client_secret = "test-secret";
    OAuthTokenOptions options;
    options.retry.initial_backoff = std::chrono::milliseconds(20);
    std::shared_ptr<TokenSource> source;
    loop_.runSync([&] {
      source = OAuthTokenSource::create(loop_.loop(), *fetcher_, config, token_metrics_, options);
    });
    sources_.push_back(source);
    return source;
  }

  void TearDown() override {
    loop_.runSync([&] {
      stream_.reset();
      sources_.clear();
    });
    fetcher_.reset();  // closes its kept-alive connections, or stopping the fake waits for them
    UpstreamTest::TearDown();
  }

  uint64_t tokenRequests() { return adminGet("/admin/counters")["workspace"]["token_requests"]; }

  std::unique_ptr<CurlFetcher> fetcher_ = std::make_unique<CurlFetcher>();
  TokenMetrics token_metrics_;
  std::vector<std::shared_ptr<TokenSource>> sources_;
};

TEST_F(UpstreamOAuthTest, MintsATokenScopedToTheTableAndStreams) {
  open(fastOptions(), oauth());
  ingest(3, 10);
  ASSERT_TRUE(waitOutcomes(3));
  for (const auto& o : outcomes()) EXPECT_TRUE(o.outcome.status.ok()) << o.outcome.status;
  EXPECT_EQ(tokenRequests(), 1u);
}

TEST_F(UpstreamOAuthTest, TokenEndpoint5xxThenOkStillOpensTheStream) {
  admin("/admin/faults/token", {{"status", 503}, {"count", 2}});
  open(fastOptions(), oauth());
  ingest(2, 5);
  ASSERT_TRUE(waitOutcomes(2));
  for (const auto& o : outcomes()) EXPECT_TRUE(o.outcome.status.ok()) << o.outcome.status;
  EXPECT_EQ(tokenRequests(), 3u);
  EXPECT_EQ(metrics_.stream_opens, 1u);
}

TEST_F(UpstreamOAuthTest, TokenEndpoint401FailsTheStreamNonRetriably) {
  admin("/admin/faults/token", {{"status", 401}, {"count", -1}});
  open(fastOptions(), oauth());
  ingest(2, 5);
  ASSERT_TRUE(waitState(StreamState::Failed));
  ASSERT_TRUE(waitOutcomes(2));
  for (const auto& o : outcomes()) {
    EXPECT_EQ(o.outcome.status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_FALSE(o.outcome.retriable);
    EXPECT_EQ(o.outcome.status.message().find("test-secret"), std::string::npos);
  }
  // One request, then the newer SDK's single auth retry with a fresh token: two in all.
  EXPECT_LE(tokenRequests(), 2u);
}

TEST_F(UpstreamOAuthTest, TokenExpiringMidStreamIsReplacedOnTheNextConnection) {
  admin("/admin/faults/token", {{"lifetime_s", 2}});
  open(fastOptions(), oauth());
  ingest(1, 5);
  ASSERT_TRUE(waitOutcomes(1));
  // The service ends the call (as it does every ~15 min); by the time the stream reconnects
  // the first token has expired, and the source has already refreshed it.
  ASSERT_TRUE(fake::testing::waitFor([&] { return tokenRequests() >= 2; }, std::chrono::seconds(10)));
  // Revoking every minted token on top: the reconnect is refused once, asks for a fresh token
  // (invalidate) and succeeds with it.
  admin("/admin/tokens/revoke", {{"end_streams", false}});
  admin("/admin/faults/abort", {{"code", "UNAVAILABLE"}});
  ingest(2, 5, 5);
  ASSERT_TRUE(waitOutcomes(3));
  for (const auto& o : outcomes()) EXPECT_TRUE(o.outcome.status.ok()) << o.outcome.status;
  EXPECT_GE(metrics_.stream_opens, 2u);
}

}  // namespace
}  // namespace zerobusd::upstream::testing
