#include "tools/zerobus-fake/workspace_http.h"

#include <cctype>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace zerobusd::fake {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using Form = std::vector<std::pair<std::string, std::string>>;

constexpr char kTable[] = "main.default.events";
constexpr char kResource[] = "api://databricks/workspaces/1234/zerobusDirectWriteApi";

// SDK 1.0.1's details: serde_json sorts keys, no operations.
constexpr char kSdkDetails[] =
    R"([{"object_full_path":"main","object_type":"CATALOG","privileges":["USE CATALOG"],)"
    R"("type":"unity_catalog_privileges"},)"
    R"({"object_full_path":"main.default","object_type":"SCHEMA","privileges":["USE SCHEMA"],)"
    R"("type":"unity_catalog_privileges"},)"
    R"({"object_full_path":"main.default.events","object_type":"TABLE",)"
    R"("privileges":["SELECT","MODIFY"],"type":"unity_catalog_privileges"}])";

// The newer SDK's: insertion order, operations on the table.
constexpr char kNewerDetails[] =
    R"([{"type":"unity_catalog_privileges","privileges":["USE CATALOG"],)"
    R"("object_type":"CATALOG","object_full_path":"main"},)"
    R"({"type":"unity_catalog_privileges","privileges":["USE SCHEMA"],)"
    R"("object_type":"SCHEMA","object_full_path":"main.default"},)"
    R"({"operations":["zerobuswrite"],"privileges":["SELECT","MODIFY"],)"
    R"("object_full_path":"main.default.events","type":"unity_catalog_privileges",)"
    R"("object_type":"TABLE"}])";

// The Rust generate_files tool's schema token: SELECT only, no resource.
constexpr char kSelectDetails[] =
    R"([{"type":"unity_catalog_privileges","privileges":["USE CATALOG"],)"
    R"("object_type":"CATALOG","object_full_path":"main"},)"
    R"({"type":"unity_catalog_privileges","privileges":["USE SCHEMA"],)"
    R"("object_type":"SCHEMA","object_full_path":"main.default"},)"
    R"({"type":"unity_catalog_privileges","privileges":["SELECT"],)"
    R"("object_type":"TABLE","object_full_path":"main.default.events"}])";

std::string formEncode(const Form& form) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const auto& [name, value] : form) {
    if (!out.empty()) {
      out += '&';
    }
    for (const std::string* part : {&name, &value}) {
      for (char c : *part) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
          out += c;
        } else {
          out += '%';
          out += kHex[u >> 4];
          out += kHex[u & 0x0f];
        }
      }
      if (part == &name) {
        out += '=';
      }
    }
  }
  return out;
}

Form ingestForm(const std::string& details = kSdkDetails) {
  return {{"grant_type", "client_credentials"},
          {"scope", "all-apis"},
          {"resource", kResource},
          {"authorization_details", details}};
}

Form schemaForm() { return {{"grant_type", "client_credentials"}, {"scope", "all-apis"}}; }

Column column(std::string name, TypeKind kind, bool nullable, int position) {
  Column c;
  c.name = std::move(name);
  c.type.kind = kind;
  c.nullable = nullable;
  c.position = position;
  return c;
}

FakeConfig testConfig() {
  FakeConfig config;
  config.clients = {{"test-client", "test-secret"}, {"other-client", "other-secret"}};
  config.static_tokens = {"test-token"};
  FakeTable table;
  table.schema.full_name = kTable;
  table.schema.columns = {column("id", TypeKind::Long, false, 0),
                          column("kind", TypeKind::String, true, 1)};
  config.tables.push_back(table);
  return config;
}

Json parseJson(const std::string& text) { return Json::parse(text, nullptr, false); }

// A WorkspaceHttp served by a real httplib server on a loopback port chosen by the kernel.
class Harness {
 public:
  explicit Harness(const FakeConfig& config) : http_(config, tokens_) {
    http_.registerRoutes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) {
      ADD_FAILURE() << "bind_to_any_port failed";
      return;
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib 0.11 has no wait_until_ready(); stop() before the accept loop runs would be lost,
    // so wait (bounded) until it does.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    EXPECT_TRUE(server_.is_running());
  }

  ~Harness() {
    http_.releaseDelays();
    server_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  httplib::Client client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(std::chrono::seconds(30));
    return client;
  }

  httplib::Result postToken(const std::string& body, const std::string& path = "/oidc/v1/token",
                            const std::string& content_type = "application/x-www-form-urlencoded",
                            const std::string& id = "test-client",
                            const std::string& secret = "test-secret") {
    auto cli = client();
    if (!id.empty()) {
      cli.set_basic_auth(id.c_str(), secret.c_str());
    }
    return cli.Post(path.c_str(), body, content_type.c_str());
  }

  httplib::Result postForm(const Form& form) { return postToken(formEncode(form)); }

  // Mints a token through the endpoint; "" on failure (after recording it).
  std::string mintVia(const Form& form) {
    const auto result = postForm(form);
    if (!result || result->status != 200) {
      ADD_FAILURE() << "token request failed: " << (result ? result->body : "no answer");
      return "";
    }
    return parseJson(result->body).value("access_token", "");
  }

  httplib::Result getTable(const std::string& name, const std::string& token,
                           const std::string& prefix = "/api/2.1/unity-catalog/tables/") {
    auto cli = client();
    httplib::Headers headers;
    if (!token.empty()) {
      headers.emplace("Authorization", "Bearer " + token);
    }
    return cli.Get((prefix + name).c_str(), headers);
  }

  TokenAuthority& tokens() { return tokens_; }
  WorkspaceHttp& http() { return http_; }

 private:
  TokenAuthority tokens_;
  WorkspaceHttp http_;
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

class WorkspaceHttpTest : public ::testing::Test {
 protected:
  void start(const FakeConfig& config) { harness_ = std::make_unique<Harness>(config); }
  void SetUp() override { start(testConfig()); }
  Harness& h() { return *harness_; }

  void expectTokenError(const httplib::Result& result, int status, const std::string& error,
                        const std::string& description_part = "") {
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, status) << result->body;
    const Json body = parseJson(result->body);
    ASSERT_TRUE(body.is_object()) << result->body;
    EXPECT_EQ(body.value("error", ""), error) << result->body;
    EXPECT_THAT(body.value("error_description", ""), HasSubstr(description_part));
  }

  void expectUcError(const httplib::Result& result, int status, const std::string& error_code) {
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, status) << result->body;
    const Json body = parseJson(result->body);
    ASSERT_TRUE(body.is_object()) << result->body;
    EXPECT_EQ(body.value("error_code", ""), error_code) << result->body;
    EXPECT_TRUE(body.contains("message"));
  }

  // Bounded wait for a counter that a request on another thread moves.
  bool waitForCounter(const std::string& name, uint64_t value) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (h().http().counters().value(name, uint64_t{0}) >= value) {
        return true;
      }
      std::this_thread::yield();
    }
    return false;
  }

  std::unique_ptr<Harness> harness_;
};

// --- token endpoint: the good path ---

TEST_F(WorkspaceHttpTest, IssuesIngestTokenForSdkRequest) {
  const auto result = h().postForm(ingestForm());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(result->get_header_value("Cache-Control"), "no-store");
  EXPECT_THAT(result->get_header_value("Content-Type"), HasSubstr("application/json"));
  const Json body = parseJson(result->body);
  ASSERT_TRUE(body.is_object()) << result->body;
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["scope"], "all-apis");
  EXPECT_EQ(body["expires_in"], 3600);
  const std::string token = body["access_token"];
  EXPECT_EQ(h().tokens().check(token, kTable), TokenCheck::Ok);
  EXPECT_EQ(h().tokens().check(token, "main.default.other"), TokenCheck::NotGranted);
  TokenGrant grant;
  ASSERT_EQ(h().tokens().lookup(token, &grant), TokenCheck::Ok);
  EXPECT_TRUE(grant.ingest);
  EXPECT_FALSE(grant.all_tables);
  const Json counters = h().http().counters();
  EXPECT_EQ(counters["token_requests"], 1);
  EXPECT_EQ(counters["tokens_issued"], 1);
}

TEST_F(WorkspaceHttpTest, IssuesIngestTokenForNewerSdkRequestInAnotherOrder) {
  // The newer SDK also reorders the form: scope, resource, authorization_details, grant_type.
  const Form form = {{"scope", "all-apis"},
                     {"resource", kResource},
                     {"authorization_details", kNewerDetails},
                     {"grant_type", "client_credentials"}};
  const std::string token = h().mintVia(form);
  EXPECT_EQ(h().tokens().check(token, kTable), TokenCheck::Ok);
}

TEST_F(WorkspaceHttpTest, AcceptsDoubleSlashTokenPath) {
  const auto result = h().postToken(formEncode(ingestForm()), "//oidc/v1/token");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
}

TEST_F(WorkspaceHttpTest, AcceptsContentTypeWithCharset) {
  const auto result = h().postToken(formEncode(ingestForm()), "/oidc/v1/token",
                                    "application/x-www-form-urlencoded; charset=UTF-8");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
}

TEST_F(WorkspaceHttpTest, AcceptsAnyWorkspaceIdWhenNoneIsConfigured) {
  Form form = ingestForm();
  form[2].second = "api://databricks/workspaces/localhost:50443/zerobusDirectWriteApi";
  const auto result = h().postForm(form);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
}

TEST_F(WorkspaceHttpTest, InsufficientDetailsStillMintAWriteLessToken) {
  // MODIFY without USE SCHEMA: the token exists, its streams are refused (PERMISSION_DENIED).
  const std::string details = R"([{"type":"unity_catalog_privileges","privileges":["USE CATALOG"],)"
                              R"("object_type":"CATALOG","object_full_path":"main"},)"
                              R"({"type":"unity_catalog_privileges","privileges":["MODIFY"],)"
                              R"("object_type":"TABLE","object_full_path":"main.default.events"}])";
  const std::string token = h().mintVia(ingestForm(details));
  EXPECT_EQ(h().tokens().check(token, kTable), TokenCheck::NotGranted);
}

TEST_F(WorkspaceHttpTest, UsesConfiguredTokenLifetime) {
  FakeConfig config = testConfig();
  config.token_lifetime_s = 120;
  start(config);
  const auto result = h().postForm(ingestForm());
  ASSERT_TRUE(result);
  EXPECT_EQ(parseJson(result->body)["expires_in"], 120);
}

// --- token endpoint: refusals ---

TEST_F(WorkspaceHttpTest, RefusesMissingBasicAuth) {
  const auto result = h().postToken(formEncode(ingestForm()), "/oidc/v1/token",
                                    "application/x-www-form-urlencoded", "");
  expectTokenError(result, 401, "invalid_client");
  EXPECT_THAT(result->get_header_value("WWW-Authenticate"), HasSubstr("Basic"));
}

TEST_F(WorkspaceHttpTest, RefusesWrongSecretAndUnknownClient) {
  expectTokenError(h().postToken(formEncode(ingestForm()), "/oidc/v1/token",
                                 "application/x-www-form-urlencoded", "test-client", "wrong"),
                   401, "invalid_client");
  expectTokenError(h().postToken(formEncode(ingestForm()), "/oidc/v1/token",
                                 "application/x-www-form-urlencoded", "nobody", "test-secret"),
                   401, "invalid_client");
  // Another configured client's secret does not open this one.
  expectTokenError(
      h().postToken(formEncode(ingestForm()), "/oidc/v1/token", "application/x-www-form-urlencoded",
                    "test-client", "other-secret"),
      401, "invalid_client");
  EXPECT_EQ(h().postToken(formEncode(ingestForm()), "/oidc/v1/token",
                          "application/x-www-form-urlencoded", "other-client", "other-secret")
                ->status,
            200);
  EXPECT_EQ(h().http().counters()["token_refused"]["invalid_client"], 3);
}

TEST_F(WorkspaceHttpTest, RefusesGarbledBasicAuth) {
  auto cli = h().client();
  const httplib::Headers headers = {{"Authorization", "Basic %%%"}};
  expectTokenError(cli.Post("/oidc/v1/token", headers, formEncode(ingestForm()),
                            "application/x-www-form-urlencoded"),
                   401, "invalid_client");
}

TEST_F(WorkspaceHttpTest, RefusesOtherContentTypes) {
  expectTokenError(h().postToken(formEncode(ingestForm()), "/oidc/v1/token", "application/json"),
                   400, "invalid_request", "Content-Type");
  expectTokenError(h().postToken(formEncode(ingestForm()), "/oidc/v1/token", "text/plain"), 400,
                   "invalid_request", "Content-Type");
}

TEST_F(WorkspaceHttpTest, RefusesGarbledOrEmptyForm) {
  expectTokenError(h().postToken("grant_type=client%ZZcredentials&scope=all-apis"), 400,
                   "invalid_request", "malformed form");
  expectTokenError(h().postToken("scope=all-apis&scope=all-apis&grant_type=client_credentials"),
                   400, "invalid_request", "repeated");
  expectTokenError(h().postToken(""), 400, "invalid_request", "grant_type");
}

TEST_F(WorkspaceHttpTest, RefusesWrongGrantType) {
  Form form = ingestForm();
  form[0].second = "password";
  expectTokenError(h().postForm(form), 400, "unsupported_grant_type");
  form.erase(form.begin());
  expectTokenError(h().postForm(form), 400, "invalid_request", "grant_type");
}

TEST_F(WorkspaceHttpTest, RefusesWrongOrMissingScope) {
  Form form = ingestForm();
  form[1].second = "sql";
  expectTokenError(h().postForm(form), 400, "invalid_scope");
  form.erase(form.begin() + 1);
  expectTokenError(h().postForm(form), 400, "invalid_scope");
}

TEST_F(WorkspaceHttpTest, RefusesMalformedResource) {
  Form form = ingestForm();
  form[2].second = "api://databricks/workspaces/1234/otherApi";
  expectTokenError(h().postForm(form), 400, "invalid_target");
  form[2].second = "";
  expectTokenError(h().postForm(form), 400, "invalid_target");
}

TEST_F(WorkspaceHttpTest, EnforcesConfiguredWorkspaceId) {
  FakeConfig config = testConfig();
  config.workspace_id = "1234";
  start(config);
  EXPECT_EQ(h().postForm(ingestForm())->status, 200);
  Form form = ingestForm();
  form[2].second = "api://databricks/workspaces/5678/zerobusDirectWriteApi";
  expectTokenError(h().postForm(form), 400, "invalid_target", "5678");
}

TEST_F(WorkspaceHttpTest, RefusesMalformedAuthorizationDetails) {
  expectTokenError(h().postForm(ingestForm(R"([{"type":"unity_catalog_privileges",)")), 400,
                   "invalid_request", "not valid JSON");
  expectTokenError(h().postForm(ingestForm(R"({"type":"unity_catalog_privileges"})")), 400,
                   "invalid_request", "array");
  expectTokenError(
      h().postForm(ingestForm(R"([{"type":"unity_catalog_privileges","privileges":["MODIFY"],)"
                              R"("object_type":"TABLE","object_full_path":"main.events"}])")),
      400, "invalid_request", "object_full_path");
  // The schema-only form checks details it carries too.
  Form form = schemaForm();
  form.emplace_back("authorization_details", "[1]");
  expectTokenError(h().postForm(form), 400, "invalid_request", "object");
  EXPECT_EQ(h().http().counters()["tokens_issued"], 0);
}

TEST_F(WorkspaceHttpTest, RefusesResourceWithoutDetails) {
  Form form = ingestForm();
  form.pop_back();
  expectTokenError(h().postForm(form), 400, "invalid_request", "authorization_details");
}

TEST_F(WorkspaceHttpTest, OtherMethodsAndPathsAreNotTokenEndpoints) {
  auto cli = h().client();
  const auto get = cli.Get("/oidc/v1/token");
  ASSERT_TRUE(get);
  EXPECT_NE(get->status, 200);
  const auto triple = h().postToken(formEncode(ingestForm()), "///oidc/v1/token");
  ASSERT_TRUE(triple);
  EXPECT_EQ(triple->status, 404);
}

// --- schema-only tokens ---

TEST_F(WorkspaceHttpTest, SchemaOnlyTokenReadsUcButGrantsNoTable) {
  const std::string token = h().mintVia(schemaForm());
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(h().tokens().check(token, kTable), TokenCheck::NotGranted);
  TokenGrant grant;
  ASSERT_EQ(h().tokens().lookup(token, &grant), TokenCheck::Ok);
  EXPECT_FALSE(grant.ingest);
  EXPECT_FALSE(grant.all_tables);
  EXPECT_TRUE(grant.tables.empty());
  const auto result = h().getTable(kTable, token);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
}

TEST_F(WorkspaceHttpTest, SelectDetailsWithoutResourceGiveASchemaToken) {
  Form form = schemaForm();
  form.emplace_back("authorization_details", kSelectDetails);
  const std::string token = h().mintVia(form);
  TokenGrant grant;
  ASSERT_EQ(h().tokens().lookup(token, &grant), TokenCheck::Ok);
  EXPECT_FALSE(grant.ingest);
  EXPECT_EQ(h().tokens().check(token, kTable), TokenCheck::NotGranted);
  // Even MODIFY details do not make a write token without the Zerobus resource.
  Form modify = schemaForm();
  modify.emplace_back("authorization_details", kSdkDetails);
  EXPECT_EQ(h().tokens().check(h().mintVia(modify), kTable), TokenCheck::NotGranted);
}

// --- token lifetime, expiry, static tokens, revocation ---

TEST_F(WorkspaceHttpTest, LifetimeOverrideMakesShortLivedTokens) {
  TokenFaults faults;
  faults.lifetime_s = 1;
  h().http().setTokenFaults(faults);
  const auto before = TokenAuthority::Clock::now();
  const auto result = h().postForm(ingestForm());
  ASSERT_TRUE(result);
  const Json body = parseJson(result->body);
  EXPECT_EQ(body["expires_in"], 1);
  const std::string token = body["access_token"];
  EXPECT_EQ(h().tokens().check(token, kTable, before), TokenCheck::Ok);
  EXPECT_EQ(h().tokens().check(token, kTable, before + std::chrono::seconds(2)),
            TokenCheck::Expired);
  EXPECT_EQ(h().http().counters()["token_faults_fired"], 0);  // an override, not a fault
}

TEST_F(WorkspaceHttpTest, ConfiguredStaticTokensAreRegistered) {
  EXPECT_EQ(h().tokens().check("test-token", "any.table.name"), TokenCheck::Ok);
  const auto result = h().getTable(kTable, "test-token");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(WorkspaceHttpTest, RevokedTokensAreRefusedAndStaticOnesStay) {
  const std::string token = h().mintVia(ingestForm());
  EXPECT_EQ(h().getTable(kTable, token)->status, 200);
  h().tokens().revokeAll();
  EXPECT_EQ(h().tokens().check(token, kTable), TokenCheck::Unknown);
  expectUcError(h().getTable(kTable, token), 401, "UNAUTHENTICATED");
  EXPECT_EQ(h().getTable(kTable, "test-token")->status, 200);
}

// --- token faults ---

TEST_F(WorkspaceHttpTest, StatusFaultAnswersCountRequestsThenRecovers) {
  TokenFaults faults;
  faults.status = 503;
  faults.count = 2;
  h().http().setTokenFaults(faults);
  for (int i = 0; i < 2; ++i) {
    const auto result = h().postForm(ingestForm());
    expectTokenError(result, 503, "temporarily_unavailable");
    EXPECT_EQ(result->get_header_value("Retry-After"), "1");
  }
  EXPECT_EQ(h().postForm(ingestForm())->status, 200);
  EXPECT_EQ(h().http().tokenFaults().count, 0);
  const Json counters = h().http().counters();
  EXPECT_EQ(counters["token_faults_fired"], 2);
  EXPECT_EQ(counters["tokens_issued"], 1);
  EXPECT_EQ(counters["token_requests"], 3);
}

TEST_F(WorkspaceHttpTest, StatusFaultComesBeforeAuthentication) {
  TokenFaults faults;
  faults.status = 429;
  faults.count = 1;
  h().http().setTokenFaults(faults);
  expectTokenError(h().postToken(formEncode(ingestForm()), "/oidc/v1/token",
                                 "application/x-www-form-urlencoded", "nobody", "x"),
                   429, "rate_limited");
  expectTokenError(h().postToken(formEncode(ingestForm()), "/oidc/v1/token",
                                 "application/x-www-form-urlencoded", "nobody", "x"),
                   401, "invalid_client");
}

TEST_F(WorkspaceHttpTest, StatusFaultWithoutCountLastsUntilCleared) {
  for (int status : {401, 403, 500}) {
    TokenFaults faults;
    faults.status = status;
    faults.count = -1;
    h().http().setTokenFaults(faults);
    for (int i = 0; i < 3; ++i) {
      const auto result = h().postForm(ingestForm());
      ASSERT_TRUE(result);
      EXPECT_EQ(result->status, status);
    }
  }
  h().http().setTokenFaults({});
  EXPECT_EQ(h().postForm(ingestForm())->status, 200);
  EXPECT_EQ(h().http().counters()["token_faults_fired"], 9);
}

TEST_F(WorkspaceHttpTest, MalformedBodyMode) {
  TokenFaults faults;
  faults.body_mode = "malformed";
  h().http().setTokenFaults(faults);
  const auto result = h().postForm(ingestForm());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_TRUE(parseJson(result->body).is_discarded()) << result->body;
  EXPECT_EQ(h().tokens().minted(), 0U);
  EXPECT_EQ(h().http().counters()["token_faults_fired"], 1);
}

TEST_F(WorkspaceHttpTest, NoAccessTokenBodyMode) {
  TokenFaults faults;
  faults.body_mode = "no_access_token";
  h().http().setTokenFaults(faults);
  const auto result = h().postForm(ingestForm());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  const Json body = parseJson(result->body);
  ASSERT_TRUE(body.is_object());
  EXPECT_FALSE(body.contains("access_token"));
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(h().tokens().minted(), 0U);
}

TEST_F(WorkspaceHttpTest, ExpiresInBodyModesChangeOnlyTheBody) {
  const std::map<std::string, Json> expected = {
      {"expires_quoted", "3600"}, {"expires_zero", 0}, {"expires_missing", nullptr}};
  for (const auto& [mode, expires_in] : expected) {
    TokenFaults faults;
    faults.body_mode = mode;
    h().http().setTokenFaults(faults);
    const auto result = h().postForm(ingestForm());
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, 200);
    const Json body = parseJson(result->body);
    if (expires_in.is_null()) {
      EXPECT_FALSE(body.contains("expires_in")) << mode;
    } else {
      EXPECT_EQ(body["expires_in"], expires_in) << mode;
    }
    // The token itself still lives the configured hour.
    const std::string token = body["access_token"];
    EXPECT_EQ(
        h().tokens().check(token, kTable, TokenAuthority::Clock::now() + std::chrono::minutes(59)),
        TokenCheck::Ok)
        << mode;
  }
  EXPECT_EQ(h().http().counters()["token_faults_fired"], 3);
}

TEST_F(WorkspaceHttpTest, DelayHoldsTheAnswer) {
  TokenFaults faults;
  faults.delay_ms = 150;
  h().http().setTokenFaults(faults);
  const auto start = std::chrono::steady_clock::now();
  const auto result = h().postForm(ingestForm());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_GE(elapsed, std::chrono::milliseconds(150));
  EXPECT_EQ(h().http().counters()["token_delayed"], 1);
}

TEST_F(WorkspaceHttpTest, ClearingTheDelayReleasesAHangingRequest) {
  TokenFaults faults;
  faults.delay_ms = kMaxFaultDelayMs;  // an hour: a hanging endpoint
  h().http().setTokenFaults(faults);
  auto pending = std::async(std::launch::async, [this] {
    const auto result = h().postForm(ingestForm());
    return result ? result->status : -1;
  });
  ASSERT_TRUE(waitForCounter("token_delayed", 1));
  EXPECT_EQ(pending.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  h().http().setTokenFaults({});
  EXPECT_EQ(pending.get(), 200);
}

TEST_F(WorkspaceHttpTest, ReleaseDelaysEndsEveryDelay) {
  UcFaults faults;
  faults.delay_ms = kMaxFaultDelayMs;
  h().http().setUcFaults(faults);
  auto pending = std::async(std::launch::async, [this] {
    const auto result = h().getTable(kTable, "test-token");
    return result ? result->status : -1;
  });
  ASSERT_TRUE(waitForCounter("uc_delayed", 1));
  h().http().releaseDelays();
  EXPECT_EQ(pending.get(), 200);
  EXPECT_EQ(h().getTable(kTable, "test-token")->status, 200);  // no new delays either
}

TEST_F(WorkspaceHttpTest, ValidatesFaults) {
  TokenFaults token;
  EXPECT_TRUE(validateTokenFaults(token).ok());
  token.status = 200;
  EXPECT_FALSE(validateTokenFaults(token).ok());
  token = TokenFaults{};
  token.count = -2;
  EXPECT_FALSE(validateTokenFaults(token).ok());
  token = TokenFaults{};
  token.delay_ms = kMaxFaultDelayMs + 1;
  EXPECT_FALSE(validateTokenFaults(token).ok());
  token = TokenFaults{};
  token.body_mode = "garbage";
  EXPECT_FALSE(validateTokenFaults(token).ok());
  token = TokenFaults{};
  token.lifetime_s = -1;
  EXPECT_FALSE(validateTokenFaults(token).ok());
  UcFaults uc;
  uc.status = 503;
  uc.count = -1;
  EXPECT_TRUE(validateUcFaults(uc).ok());
  uc.status = 99;
  EXPECT_FALSE(validateUcFaults(uc).ok());
}

TEST_F(WorkspaceHttpTest, UnvalidatedFaultValuesAreHarmless) {
  TokenFaults faults;
  faults.status = 200;  // not a fault status: ignored
  faults.count = -1;
  faults.body_mode = "garbage";  // read as normal
  faults.delay_ms = -5;          // read as none
  h().http().setTokenFaults(faults);
  const auto result = h().postForm(ingestForm());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_TRUE(parseJson(result->body).contains("expires_in"));
  EXPECT_EQ(h().http().counters()["token_faults_fired"], 0);
}

// --- Unity Catalog endpoint ---

TEST_F(WorkspaceHttpTest, ServesTableSchema) {
  const auto result = h().getTable(kTable, h().mintVia(schemaForm()));
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  const Json body = parseJson(result->body);
  ASSERT_TRUE(body.is_object()) << result->body;
  EXPECT_EQ(body["full_name"], kTable);
  EXPECT_EQ(body["name"], "events");
  EXPECT_EQ(body["catalog_name"], "main");
  EXPECT_EQ(body["schema_name"], "default");
  ASSERT_EQ(body["columns"].size(), 2U);
  EXPECT_EQ(body["columns"][0]["name"], "id");
  EXPECT_EQ(body["columns"][0]["type_name"], "LONG");
  EXPECT_EQ(body["columns"][0]["nullable"], false);
  EXPECT_EQ(body["columns"][1]["name"], "kind");
  EXPECT_EQ(body["columns"][1]["position"], 1);
  EXPECT_EQ(h().http().counters()["uc_served"], 1);
}

TEST_F(WorkspaceHttpTest, ServesPercentEncodedAndDifferentlyCasedNames) {
  auto result = h().getTable("main%2Edefault%2Eevents", "test-token");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
  result = h().getTable("Main.Default.EVENTS", "test-token");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
  result = h().getTable(kTable, "test-token", "//api/2.1/unity-catalog/tables/");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
}

TEST_F(WorkspaceHttpTest, UnknownTableIsNotFound) {
  const auto result = h().getTable("main.default.nope", "test-token");
  expectUcError(result, 404, "TABLE_DOES_NOT_EXIST");
  EXPECT_EQ(parseJson(result->body)["message"], "Table 'main.default.nope' does not exist.");
  // A name that is not valid UTF-8 once decoded is still answered (and echoed safely).
  expectUcError(h().getTable("main.default.%FF", "test-token"), 404, "TABLE_DOES_NOT_EXIST");
  EXPECT_EQ(h().http().counters()["uc_refused"]["TABLE_DOES_NOT_EXIST"], 2);
}

TEST_F(WorkspaceHttpTest, UcRequiresAValidToken) {
  expectUcError(h().getTable(kTable, ""), 401, "UNAUTHENTICATED");
  expectUcError(h().getTable(kTable, "not-a-token"), 401, "UNAUTHENTICATED");
  auto cli = h().client();
  expectUcError(cli.Get("/api/2.1/unity-catalog/tables/main.default.events",
                        {{"Authorization", "Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ="}}),
                401, "UNAUTHENTICATED");
  const std::string expired = h().tokens().mint(TokenGrant{}, std::chrono::seconds(0));
  const auto result = h().getTable(kTable, expired);
  expectUcError(result, 401, "UNAUTHENTICATED");
  EXPECT_THAT(parseJson(result->body).value("message", ""), HasSubstr("expired"));
  // Authentication comes before the lookup: an unknown table with a bad token is 401.
  expectUcError(h().getTable("main.default.nope", "not-a-token"), 401, "UNAUTHENTICATED");
  EXPECT_EQ(h().http().counters()["uc_refused"]["UNAUTHENTICATED"], 5);
}

TEST_F(WorkspaceHttpTest, UcStatusFaultForCountRequests) {
  UcFaults faults;
  faults.status = 429;
  faults.count = 1;
  h().http().setUcFaults(faults);
  const auto result = h().getTable(kTable, "test-token");
  expectUcError(result, 429, "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(result->get_header_value("Retry-After"), "1");
  EXPECT_EQ(h().getTable(kTable, "test-token")->status, 200);

  faults.status = 500;
  faults.count = -1;
  h().http().setUcFaults(faults);
  expectUcError(h().getTable(kTable, "test-token"), 500, "INTERNAL_ERROR");
  expectUcError(h().getTable("main.default.nope", ""), 500, "INTERNAL_ERROR");  // fault first
  h().http().setUcFaults({});
  EXPECT_EQ(h().getTable(kTable, "test-token")->status, 200);
  const Json counters = h().http().counters();
  EXPECT_EQ(counters["uc_faults_fired"], 3);
  EXPECT_EQ(counters["uc_requests"], 5);
  EXPECT_EQ(counters["uc_served"], 2);
}

TEST_F(WorkspaceHttpTest, UcCanRejectIngestScopedTokens) {
  const std::string ingest = h().mintVia(ingestForm());
  const std::string schema = h().mintVia(schemaForm());
  EXPECT_EQ(h().getTable(kTable, ingest)->status, 200);  // accepted unless the knob is set
  UcFaults faults;
  faults.reject_ingest_tokens = true;
  h().http().setUcFaults(faults);
  expectUcError(h().getTable(kTable, ingest), 403, "PERMISSION_DENIED");
  EXPECT_EQ(h().getTable(kTable, schema)->status, 200);
  EXPECT_EQ(h().getTable(kTable, "test-token")->status, 200);
  EXPECT_EQ(h().http().counters()["uc_faults_fired"], 1);
}

TEST_F(WorkspaceHttpTest, UcDelayHoldsTheAnswer) {
  UcFaults faults;
  faults.delay_ms = 120;
  h().http().setUcFaults(faults);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(h().getTable(kTable, "test-token")->status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(120));
}

// --- counters ---

TEST_F(WorkspaceHttpTest, ResetCountersZeroesEverything) {
  h().mintVia(ingestForm());
  expectTokenError(h().postToken(""), 400, "invalid_request");
  h().getTable(kTable, "test-token");
  Json counters = h().http().counters();
  EXPECT_EQ(counters["token_requests"], 2);
  EXPECT_EQ(counters["token_refused"]["invalid_request"], 1);
  EXPECT_EQ(counters["uc_requests"], 1);
  h().http().resetCounters();
  counters = h().http().counters();
  for (const char* name : {"token_requests", "tokens_issued", "token_faults_fired", "token_delayed",
                           "uc_requests", "uc_served", "uc_faults_fired", "uc_delayed"}) {
    EXPECT_EQ(counters[name], 0) << name;
  }
  EXPECT_TRUE(counters["token_refused"].empty());
  EXPECT_TRUE(counters["uc_refused"].empty());
}

}  // namespace
}  // namespace zerobusd::fake
