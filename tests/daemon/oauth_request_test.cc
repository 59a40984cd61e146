// daemon/auth pure functions: the §9 request (checked by parsing it with the fake's own form
// and authorization_details parsers, never by comparing text a server would not compare), the
// answer classification, the refresh and backoff rules, and the curl error mapping.

#include "daemon/auth/oauth_request.h"

#include <gtest/gtest.h>

#include "daemon/auth/curl_fetcher.h"
#include "daemon/auth/oauth_token_source.h"
#include "daemon/auth/refresh_policy.h"
#include "tools/zerobus-fake/oauth_form.h"

namespace zerobusd {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(OAuthRequestTest, SplitsTableIntoThreeParts) {
  auto table = splitTableName("main.default.air_quality");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->catalog, "main");
  EXPECT_EQ(table->schema, "default");
  EXPECT_EQ(table->table, "air_quality");
}

TEST(OAuthRequestTest, RejectsTableNamesThatAreNotThreeNonEmptyParts) {
  for (const char* bad : {"", "a", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "...", "a.b.c."}) {
    auto table = splitTableName(bad);
    ASSERT_FALSE(table.ok()) << bad;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(isRetriable(table.status()));
  }
}

TEST(OAuthRequestTest, DerivesWorkspaceIdLikeTheSdk) {
  EXPECT_EQ(workspaceIdFromEndpoint("https://1234567890.zerobus.us-west-2.cloud.databricks.com"),
            "1234567890");
  EXPECT_EQ(workspaceIdFromEndpoint("1234567890.zerobus.eastus.azuredatabricks.net"), "1234567890");
  EXPECT_EQ(workspaceIdFromEndpoint("http://ws.example"), "ws");
  // §1: no validation, these are what the SDK sends against local fakes.
  EXPECT_EQ(workspaceIdFromEndpoint("https://localhost:50443"), "localhost:50443");
  EXPECT_EQ(workspaceIdFromEndpoint("localhost:50443"), "localhost:50443");
  EXPECT_EQ(workspaceIdFromEndpoint("https://127.0.0.1:9000"), "127");
}

TEST(OAuthRequestTest, NormalizesWorkspaceUrl) {
  EXPECT_EQ(*normalizeWorkspaceUrl("https://x.cloud.databricks.com"),
            "https://x.cloud.databricks.com");
  EXPECT_EQ(*normalizeWorkspaceUrl("x.cloud.databricks.com"), "https://x.cloud.databricks.com");
  EXPECT_EQ(*normalizeWorkspaceUrl("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/");
  EXPECT_EQ(normalizeWorkspaceUrl("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(normalizeWorkspaceUrl("ftp://x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OAuthRequestTest, TokenUrlIsPlainConcatenation) {
  EXPECT_EQ(tokenEndpointUrl("https://x.cloud.databricks.com"),
            "https://x.cloud.databricks.com/oidc/v1/token");
  EXPECT_EQ(tokenEndpointUrl("https://x.cloud.databricks.com/"),
            "https://x.cloud.databricks.com//oidc/v1/token");
}

TEST(OAuthRequestTest, DisplayUrlDropsUserInfo) {
  EXPECT_EQ(displayUrl("https://user:pw@host:1/oidc/v1/token"), "https://host:1/oidc/v1/token");
  EXPECT_EQ(displayUrl("https://host/a@b"), "https://host/a@b");
  EXPECT_EQ(displayUrl("host/x"), "host/x");
}

TEST(OAuthRequestTest, FormCarriesTheNewerSdkFieldsInOrder) {
  const auto table = splitTableName("Main.Default.Air_Quality");
  ASSERT_TRUE(table.ok());
  const std::string body = tokenRequestForm("1234567890", *table);
  // Order: scope, resource, authorization_details, grant_type.
  const auto pos = [&](const char* name) { return body.find(std::string(name) + "="); };
  EXPECT_EQ(pos("scope"), 0u);
  EXPECT_LT(pos("scope"), pos("resource"));
  EXPECT_LT(pos("resource"), pos("authorization_details"));
  EXPECT_LT(pos("authorization_details"), pos("grant_type"));

  auto form = fake::parseForm(body);
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->size(), 4u);
  EXPECT_EQ(form->at("grant_type"), "client_credentials");
  EXPECT_EQ(form->at("scope"), "all-apis");
  EXPECT_EQ(form->at("resource"), "api://databricks/workspaces/1234567890/zerobusDirectWriteApi");
  EXPECT_EQ(fake::workspaceIdFromResource(form->at("resource")), "1234567890");

  auto details = fake::parseAuthorizationDetails(form->at("authorization_details"));
  ASSERT_TRUE(details.ok()) << details.status();
  ASSERT_EQ(details->size(), 3u);
  EXPECT_EQ(fake::writableTables(*details), std::set<std::string>{"main.default.air_quality"});
  const auto& table_entry = (*details)[2];
  EXPECT_EQ(table_entry.object_type, "TABLE");
  ASSERT_TRUE(table_entry.operations.has_value());
  EXPECT_EQ(*table_entry.operations, std::set<std::string>{"zerobuswrite"});
  EXPECT_EQ(table_entry.privileges, (std::set<std::string>{"SELECT", "MODIFY"}));
}

TEST(OAuthRequestTest, AuthorizationDetailsAreCompactJson) {
  const TableName table{"c", "s", "t"};
  EXPECT_EQ(authorizationDetailsJson(table),
            R"([{"type":"unity_catalog_privileges","privileges":["USE CATALOG"],)"
            R"("object_type":"CATALOG","object_full_path":"c"},)"
            R"({"type":"unity_catalog_privileges","privileges":["USE SCHEMA"],)"
            R"("object_type":"SCHEMA","object_full_path":"c.s"},)"
            R"({"type":"unity_catalog_privileges","privileges":["SELECT","MODIFY"],)"
            R"("object_type":"TABLE","object_full_path":"c.s.t","operations":["zerobuswrite"]}])");
}

TEST(OAuthRequestTest, FormEncodingEscapesReservedCharacters) {
  EXPECT_EQ(formUrlEncode("a b+c&d=e/f:g~h_i.j-k"), "a%20b%2Bc%26d%3De%2Ff%3Ag~h_i.j-k");
  EXPECT_EQ(formUrlEncode("\xc3\xa9"), "%C3%A9");
}

TEST(OAuthRequestTest, ParsesTokenAndExpiresInForms) {
  auto integer = parseTokenResponse(R"({"access_token":"abc","expires_in":3600})", "e");
  ASSERT_TRUE(integer.ok());
  EXPECT_EQ(integer->access_token, "abc");
  EXPECT_EQ(integer->expires_in, seconds(3600));

  auto quoted = parseTokenResponse(R"({"access_token":"abc","expires_in":"3600"})", "e");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(quoted->expires_in, seconds(3600));

  auto zero = parseTokenResponse(R"({"access_token":"abc","expires_in":0})", "e");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->expires_in, seconds(0));

  for (const char* body : {R"({"access_token":"abc"})", R"({"access_token":"abc","expires_in":-5})",
                           R"({"access_token":"abc","expires_in":"soon"})",
                           R"({"access_token":"abc","expires_in":"36 00"})",
                           R"({"access_token":"abc","expires_in":36.5})",
                           R"({"access_token":"abc","expires_in":null})"}) {
    auto parsed = parseTokenResponse(body, "e");
    ASSERT_TRUE(parsed.ok()) << body;
    EXPECT_FALSE(parsed->expires_in.has_value()) << body;
  }
  // Huge values are kept (saturated); the refresh rule caps them.
  auto huge =
      parseTokenResponse(R"({"access_token":"abc","expires_in":99999999999999999999})", "e");
  ASSERT_TRUE(huge.ok());
  auto huge_quoted =
      parseTokenResponse(R"({"access_token":"abc","expires_in":"99999999999999999999"})", "e");
  ASSERT_TRUE(huge_quoted.ok());
  ASSERT_TRUE(huge_quoted->expires_in.has_value());
  EXPECT_GT(huge_quoted->expires_in->count(), 1'000'000'000);
}

TEST(OAuthRequestTest, BadBodiesAreNotRetriable) {
  for (const char* body :
       {"", "{", "not json", "[]", "null", R"({"token_type":"Bearer"})", R"({"access_token":""})",
        R"({"access_token":42})", R"({"access_token":null})", "{\"access_token\":\"a\\nb\"}",
        R"({"access_token":"has space"})"}) {
    auto parsed = parseTokenResponse(body, "https://h/oidc/v1/token");
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kUnauthenticated) << body;
    EXPECT_NE(parsed.status().message().find("https://h/oidc/v1/token"), std::string::npos);
  }
}

TEST(OAuthRequestTest, ClassifiesHttpStatusLikeTheSdk) {
  const std::string endpoint = "https://h/oidc/v1/token";
  for (long status : {500L, 502L, 503L, 504L, 599L}) {
    auto answer = interpretTokenAnswer(status, R"({"error":"server_error"})", endpoint);
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_TRUE(isRetriable(answer.status()));
  }
  for (long status : {301L, 400L, 401L, 403L, 404L, 429L, 499L}) {
    auto answer = interpretTokenAnswer(status, "", endpoint);
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnauthenticated) << status;
    EXPECT_FALSE(isRetriable(answer.status()));
  }
  auto refused = interpretTokenAnswer(
      401, R"({"error":"invalid_client","error_description":"Client authentication failed"})",
      endpoint);
  EXPECT_EQ(refused.status().message(),
            "OAuth token endpoint https://h/oidc/v1/token answered HTTP 401 (invalid_client: "
            "Client authentication failed)");
  auto ok = interpretTokenAnswer(200, R"({"access_token":"t","expires_in":1})", endpoint);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->access_token, "t");
}

TEST(OAuthRequestTest, ServerTextInMessagesIsBoundedAndPrintable) {
  const std::string description(5000, 'x');
  auto answer = interpretTokenAnswer(
      400, R"({"error":"bad\u0001","error_description":")" + description + R"("})", "e");
  ASSERT_FALSE(answer.ok());
  EXPECT_LT(answer.status().message().size(), 400u);
  EXPECT_EQ(answer.status().message().find('\x01'), std::string::npos);
}

TEST(OAuthRequestTest, RedactsEverySecretOccurrence) {
  EXPECT_EQ(redactSecrets("a s3cr3t b s3cr3t", {"s3cr3t", ""}), "a <redacted> b <redacted>");
  EXPECT_EQ(redactSecrets("nothing here", {"s3cr3t"}), "nothing here");
}

TEST(OAuthRequestTest, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
}

TEST(OAuthRequestTest, Sha256HexMatchesKnownDigest) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// --- refresh and backoff rules ---

TEST(RefreshPolicyTest, LongTokensRefreshFiveMinutesBeforeExpiry) {
  const EventLoop::Clock::time_point t0{};
  const auto times = tokenTimes(t0, minutes(60), RefreshPolicy{});
  EXPECT_EQ(times.expires_at, t0 + minutes(60));
  EXPECT_EQ(times.refresh_at, t0 + minutes(55));
  EXPECT_EQ(times.usable_until, t0 + minutes(60) - seconds(10));
}

TEST(RefreshPolicyTest, ShortTokensRefreshAtEightyPercent) {
  const EventLoop::Clock::time_point t0{};
  EXPECT_EQ(tokenTimes(t0, minutes(25), RefreshPolicy{}).refresh_at, t0 + minutes(20));
  EXPECT_EQ(tokenTimes(t0, minutes(10), RefreshPolicy{}).refresh_at, t0 + minutes(8));
  const auto two = tokenTimes(t0, seconds(2), RefreshPolicy{});
  EXPECT_EQ(two.refresh_at, t0 + milliseconds(1600));
  EXPECT_EQ(two.usable_until, t0 + milliseconds(1900));  // 5% margin below 200 s
  const auto one = tokenTimes(t0, seconds(1), RefreshPolicy{});
  EXPECT_LE(one.refresh_at, one.usable_until);
  EXPECT_LT(one.usable_until, one.expires_at);
}

TEST(RefreshPolicyTest, RefreshStartsWhileTheTokenIsStillServed) {
  const EventLoop::Clock::time_point t0{};
  for (auto fraction : {0.5, 0.8, 0.99, 1.0}) {
    RefreshPolicy policy;
    policy.refresh_fraction = fraction;
    for (auto life : {seconds(1), seconds(7), seconds(300), seconds(3600), seconds(86400)}) {
      const auto times = tokenTimes(t0, life, policy);
      EXPECT_LE(times.refresh_at, times.usable_until) << fraction << " " << life.count();
      EXPECT_GT(times.refresh_at, t0) << fraction << " " << life.count();
    }
  }
}

TEST(RefreshPolicyTest, CapsAbsurdLifetimes) {
  const EventLoop::Clock::time_point t0{};
  const auto times =
      tokenTimes(t0, seconds(std::numeric_limits<int64_t>::max() / 1000), RefreshPolicy{});
  EXPECT_EQ(times.expires_at, t0 + std::chrono::hours(24));
}

TEST(RefreshPolicyTest, BackoffDoublesWithJitterAndCap) {
  BackoffPolicy policy;  // 200 ms, x2, cap 30 s, +-20%
  EXPECT_EQ(backoffDelay(policy, 1, 0.5), milliseconds(200));
  EXPECT_EQ(backoffDelay(policy, 2, 0.5), milliseconds(400));
  EXPECT_EQ(backoffDelay(policy, 3, 0.5), milliseconds(800));
  EXPECT_EQ(backoffDelay(policy, 1, 0.0), milliseconds(160));
  EXPECT_GE(backoffDelay(policy, 1, 0.9999), milliseconds(239));
  EXPECT_EQ(backoffDelay(policy, 20, 0.5), milliseconds(30'000));
  EXPECT_EQ(backoffDelay(policy, 1000, 0.5), milliseconds(30'000));
}

// --- curl error mapping ---

TEST(CurlErrorTest, TimeoutsAreDeadlineExceeded) {
  auto status = statusForCurlError(CURLE_OPERATION_TIMEDOUT, "Operation timed out", "https://h/x",
                                   milliseconds(30'000));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(isRetriable(status));
  EXPECT_NE(status.message().find("https://h/x"), std::string::npos);
  EXPECT_NE(status.message().find("30000 ms"), std::string::npos);
}

TEST(CurlErrorTest, NetworkAndTlsFailuresAreUnavailable) {
  for (CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_RECV_ERROR,
                        CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_SSL_CONNECT_ERROR,
                        CURLE_PEER_FAILED_VERIFICATION, CURLE_PARTIAL_FILE}) {
    auto status = statusForCurlError(code, "", "u", milliseconds(1));
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << code;
  }
}

TEST(CurlErrorTest, LocalConfigurationErrorsAreNotRetriable) {
  for (CURLcode code : {CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_SSL_CACERT_BADFILE,
                        CURLE_TOO_MANY_REDIRECTS}) {
    auto status = statusForCurlError(code, "", "u", milliseconds(1));
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << code;
  }
}

}  // namespace
}  // namespace zerobusd
