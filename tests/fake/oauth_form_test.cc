#include "tools/zerobus-fake/oauth_form.h"

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace zerobusd::fake {
namespace {

using ::testing::HasSubstr;

// SDK 1.0.1: serde_json sorts keys; no operations.
constexpr char kSdkDetails[] =
    R"([{"object_full_path":"main","object_type":"CATALOG","privileges":["USE CATALOG"],)"
    R"("type":"unity_catalog_privileges"},)"
    R"({"object_full_path":"main.default","object_type":"SCHEMA","privileges":["USE SCHEMA"],)"
    R"("type":"unity_catalog_privileges"},)"
    R"({"object_full_path":"main.default.events","object_type":"TABLE",)"
    R"("privileges":["SELECT","MODIFY"],"type":"unity_catalog_privileges"}])";

// Newer SDK: insertion order, operations on the table, spaces.
constexpr char kNewerDetails[] =
    R"([ {"type": "unity_catalog_privileges", "privileges": ["USE CATALOG"],)"
    R"( "object_type": "CATALOG", "object_full_path": "main"},)"
    R"( {"type": "unity_catalog_privileges", "privileges": ["USE SCHEMA"],)"
    R"( "object_type": "SCHEMA", "object_full_path": "main.default"},)"
    R"( {"type": "unity_catalog_privileges", "privileges": ["SELECT", "MODIFY"],)"
    R"( "object_type": "TABLE", "object_full_path": "main.default.events",)"
    R"( "operations": ["zerobuswrite"]} ])";

std::string details(const std::string& table_entry_extra, const std::string& table_privileges,
                    bool with_catalog = true, bool with_schema = true) {
  std::string text = "[";
  if (with_catalog) {
    text += R"({"type":"unity_catalog_privileges","privileges":["USE CATALOG"],)"
            R"("object_type":"CATALOG","object_full_path":"main"},)";
  }
  if (with_schema) {
    text += R"({"type":"unity_catalog_privileges","privileges":["USE SCHEMA"],)"
            R"("object_type":"SCHEMA","object_full_path":"main.default"},)";
  }
  text += R"({"type":"unity_catalog_privileges","privileges":)" + table_privileges +
          R"(,"object_type":"TABLE","object_full_path":"main.default.events")" + table_entry_extra +
          "}]";
  return text;
}

std::set<std::string> writable(const std::string& text) {
  auto parsed = parseAuthorizationDetails(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? writableTables(*parsed) : std::set<std::string>{};
}

const std::set<std::string> kEvents = {"main.default.events"};

TEST(OAuthFormTest, PercentDecodesEscapesAndPlus) {
  EXPECT_EQ(percentDecode("a%41%2f+b", true).value(), "aA/ b");
  EXPECT_EQ(percentDecode("a+b", false).value(), "a+b");
  EXPECT_FALSE(percentDecode("%4", true).ok());
  EXPECT_FALSE(percentDecode("abc%", true).ok());
  EXPECT_FALSE(percentDecode("%zz", true).ok());
}

TEST(OAuthFormTest, ParsesFormPairs) {
  const auto form = parseForm(
      "grant_type=client_credentials&&scope=all-apis&flag&"
      "resource=api%3A%2F%2Fx&note=a+b%26c");
  ASSERT_TRUE(form.ok()) << form.status();
  EXPECT_EQ(form->at("grant_type"), "client_credentials");
  EXPECT_EQ(form->at("scope"), "all-apis");
  EXPECT_EQ(form->at("flag"), "");
  EXPECT_EQ(form->at("resource"), "api://x");
  EXPECT_EQ(form->at("note"), "a b&c");
  EXPECT_TRUE(parseForm("").ok());
}

TEST(OAuthFormTest, RefusesRepeatedOrGarbledParameters) {
  EXPECT_THAT(std::string(parseForm("scope=a&scope=b").status().message()), HasSubstr("repeated"));
  EXPECT_FALSE(parseForm("scope=%G1").ok());
  EXPECT_FALSE(parseForm("=value").ok());
}

TEST(OAuthFormTest, RecognisesFormContentType) {
  EXPECT_TRUE(isFormContentType("application/x-www-form-urlencoded"));
  EXPECT_TRUE(isFormContentType("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
  EXPECT_FALSE(isFormContentType("application/json"));
  EXPECT_FALSE(isFormContentType(""));
  EXPECT_FALSE(isFormContentType("application/x-www-form-urlencodedx"));
}

TEST(OAuthFormTest, ParsesBasicAuth) {
  // base64("test-client:test-secret")
  auto credentials = parseBasicAuth("Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ=");
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->id, "test-client");
  EXPECT_EQ(credentials->secret, "test-secret");
  // Scheme case-insensitive, padding optional, ':' allowed in the secret: "id:a:b".
  credentials = parseBasicAuth("basic aWQ6YTpi");
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->id, "id");
  EXPECT_EQ(credentials->secret, "a:b");
}

TEST(OAuthFormTest, RefusesGarbledBasicAuth) {
  EXPECT_FALSE(parseBasicAuth(""));
  EXPECT_FALSE(parseBasicAuth("Basic"));
  EXPECT_FALSE(parseBasicAuth("Bearer dGVzdDp4"));
  EXPECT_FALSE(parseBasicAuth("Basic !!!!"));
  EXPECT_FALSE(parseBasicAuth("Basic dGVzdA=="));   // "test": no ':'
  EXPECT_FALSE(parseBasicAuth("Basic dGVzdDp4y"));  // 1 char too many for a base64 group
}

TEST(OAuthFormTest, ParsesBearerToken) {
  EXPECT_EQ(parseBearerToken("Bearer abc").value(), "abc");
  EXPECT_EQ(parseBearerToken("bearer  abc ").value(), "abc");
  EXPECT_FALSE(parseBearerToken("Bearer "));
  EXPECT_FALSE(parseBearerToken("Basic abc"));
  EXPECT_FALSE(parseBearerToken(""));
}

TEST(OAuthFormTest, ExtractsWorkspaceIdFromResource) {
  EXPECT_EQ(workspaceIdFromResource("api://databricks/workspaces/1234/zerobusDirectWriteApi"),
            "1234");
  // Ids the SDK derives against local fakes (protocol §1).
  EXPECT_EQ(
      workspaceIdFromResource("api://databricks/workspaces/localhost:50443/zerobusDirectWriteApi"),
      "localhost:50443");
  EXPECT_EQ(workspaceIdFromResource("api://databricks/workspaces/127/zerobusDirectWriteApi"),
            "127");
  EXPECT_FALSE(workspaceIdFromResource("api://databricks/workspaces//zerobusDirectWriteApi"));
  EXPECT_FALSE(workspaceIdFromResource("api://databricks/workspaces/1234/otherApi"));
  EXPECT_FALSE(workspaceIdFromResource("https://databricks/workspaces/1234/zerobusDirectWriteApi"));
  EXPECT_FALSE(workspaceIdFromResource(""));
}

TEST(OAuthFormTest, ParsesSdkDetailsWhateverTheKeyOrder) {
  EXPECT_EQ(writable(kSdkDetails), kEvents);
  EXPECT_EQ(writable(kNewerDetails), kEvents);
  const auto parsed = parseAuthorizationDetails(kNewerDetails);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 3U);
  EXPECT_EQ((*parsed)[2].object_type, "TABLE");
  EXPECT_EQ((*parsed)[2].privileges, (std::set<std::string>{"MODIFY", "SELECT"}));
  ASSERT_TRUE((*parsed)[2].operations);
  EXPECT_EQ(*(*parsed)[2].operations, std::set<std::string>{"zerobuswrite"});
  EXPECT_FALSE((*parsed)[0].operations);
}

TEST(OAuthFormTest, GrantsTheTableOnlyWithModifyAndItsParents) {
  EXPECT_EQ(writable(details("", R"(["MODIFY"])")), kEvents);
  EXPECT_EQ(writable(details("", R"(["SELECT"])")), std::set<std::string>{});
  EXPECT_EQ(writable(details("", R"(["MODIFY"])", /*with_catalog=*/false)),
            std::set<std::string>{});
  EXPECT_EQ(writable(details("", R"(["MODIFY"])", true, /*with_schema=*/false)),
            std::set<std::string>{});
}

TEST(OAuthFormTest, ReadsPrivilegeSpellingsAndPathCase) {
  EXPECT_EQ(writable(details("", R"(["modify"])")), kEvents);
  EXPECT_EQ(writable(details("", R"(["ALL_PRIVILEGES"])")), kEvents);
  const std::string enum_spelling =
      R"([{"type":"unity_catalog_privileges","privileges":["USE_CATALOG"],)"
      R"("object_type":"catalog","object_full_path":"Main"},)"
      R"({"type":"unity_catalog_privileges","privileges":["USE_SCHEMA"],)"
      R"("object_type":"schema","object_full_path":"MAIN.Default"},)"
      R"({"type":"unity_catalog_privileges","privileges":["MODIFY"],)"
      R"("object_type":"table","object_full_path":"main.default.EVENTS"}])";
  EXPECT_EQ(writable(enum_spelling), kEvents);
}

TEST(OAuthFormTest, OperationsMustNameZerobusWriteWhenPresent) {
  EXPECT_EQ(writable(details(R"(,"operations":["zerobuswrite","other"])", R"(["MODIFY"])")),
            kEvents);
  EXPECT_EQ(writable(details(R"(,"operations":["read"])", R"(["MODIFY"])")),
            std::set<std::string>{});
  EXPECT_EQ(writable(details(R"(,"operations":[])", R"(["MODIFY"])")), std::set<std::string>{});
}

TEST(OAuthFormTest, IgnoresUnknownKeys) {
  EXPECT_EQ(writable(details(R"(,"comment":{"any":[1,2]})", R"(["MODIFY"])")), kEvents);
}

struct MalformedCase {
  const char* name;
  std::string text;
  const char* message_part;
};

TEST(OAuthFormTest, RefusesMalformedDetailsWithADescription) {
  const std::string entry_head = R"([{"type":"unity_catalog_privileges",)";
  const MalformedCase cases[] = {
      {"not json", R"([{"type":)", "not valid JSON"},
      {"object", R"({"type":"unity_catalog_privileges"})", "must be a JSON array"},
      {"empty", "[]", "empty"},
      {"string entry", R"(["x"])", "[0] must be an object"},
      {"no type", R"([{"privileges":["MODIFY"]}])", "[0].type"},
      {"other type", R"([{"type":"openid_credential"}])", "[0].type"},
      {"no privileges", entry_head + R"("object_type":"CATALOG","object_full_path":"main"}])",
       "privileges"},
      {"privileges not array",
       entry_head + R"("privileges":"MODIFY","object_type":"CATALOG","object_full_path":"m"}])",
       "privileges"},
      {"privileges not strings",
       entry_head + R"("privileges":[1],"object_type":"CATALOG","object_full_path":"m"}])",
       "privileges"},
      {"privileges empty",
       entry_head + R"("privileges":[],"object_type":"CATALOG","object_full_path":"m"}])",
       "privileges is empty"},
      {"bad object type",
       entry_head + R"("privileges":["X"],"object_type":"VOLUME","object_full_path":"m"}])",
       "object_type"},
      {"no path", entry_head + R"("privileges":["X"],"object_type":"CATALOG"}])",
       "object_full_path"},
      {"table path with two parts",
       entry_head + R"("privileges":["X"],"object_type":"TABLE","object_full_path":"a.b"}])",
       "object_full_path"},
      {"table path with an empty part",
       entry_head + R"("privileges":["X"],"object_type":"TABLE","object_full_path":"a..c"}])",
       "object_full_path"},
      {"schema path with three parts",
       entry_head + R"("privileges":["X"],"object_type":"SCHEMA","object_full_path":"a.b.c"}])",
       "object_full_path"},
      {"operations not array",
       entry_head + R"("privileges":["X"],"object_type":"CATALOG","object_full_path":"m",)"
                    R"("operations":"zerobuswrite"}])",
       "operations"},
  };
  for (const auto& c : cases) {
    const auto parsed = parseAuthorizationDetails(c.text);
    ASSERT_FALSE(parsed.ok()) << c.name;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.message_part)) << c.name;
  }
}

TEST(OAuthFormTest, CapsTheNumberOfEntries) {
  std::string text = "[";
  for (size_t i = 0; i <= kMaxAuthorizationDetails; ++i) {
    text += std::string(i == 0 ? "" : ",") +
            R"({"type":"unity_catalog_privileges","privileges":["USE CATALOG"],)"
            R"("object_type":"CATALOG","object_full_path":"main"})";
  }
  text += "]";
  EXPECT_FALSE(parseAuthorizationDetails(text).ok());
}

}  // namespace
}  // namespace zerobusd::fake
