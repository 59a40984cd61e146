// zerobusctl gen-proto against zerobus-fake's OAuth and Unity Catalog endpoints: the generated
// file compiles with the daemon's schema loader, has the mapping of zerobus-protocol.md §10,
// and is accepted by the (fake) service as the schema of the table it came from.

#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/config/proto_schema.h"
#include "tests/zerobusctl/ctl_fixture.h"
#include "tools/zerobus-fake/table_schema.h"

namespace zerobusd::ctl::testing {
namespace {

namespace pb = google::protobuf;

constexpr char kNested[] = "main.default.nested";
constexpr char kMoney[] = "main.default.money";
constexpr char kSecretVar[] = "ZBCTL_TEST_SECRET";

fake::Column column(const char* name, const char* type, bool nullable, int position) {
  auto parsed = fake::parseTypeText(type);
  EXPECT_TRUE(parsed.ok()) << type;
  return fake::Column{name, *parsed, nullable, position};
}

class GenProtoTest : public CtlTest {
 protected:
  void SetUp() override {
    CtlTest::SetUp();
    restartWith([](fake::FakeConfig& config) {
      fake::FakeTable nested;
      nested.schema.full_name = kNested;
      int p = 0;
      nested.schema.columns = {
          column("id", "bigint", false, p++),
          column("name", "string", true, p++),
          column("score", "double", true, p++),
          column("ratio", "float", true, p++),
          column("ok", "boolean", true, p++),
          column("blob", "binary", true, p++),
          column("day", "date", true, p++),
          column("at", "timestamp", true, p++),
          column("at_local", "timestamp_ntz", true, p++),
          column("small", "smallint", true, p++),
          column("tiny", "tinyint", true, p++),
          column("tags", "array<string>", true, p++),
          column("counts", "map<string,bigint>", true, p++),
          column("point", "struct<x:int,y:int>", true, p++),
          column("items", "array<struct<sku:string,qty:int,attrs:map<string,string>>>", true, p++),
          column("lookups", "map<int,struct<label:string,weights:array<double>>>", true, p++),
          column("address", "struct<street:string,geo:struct<lat:double,lon:double>>", false, p++),
      };
      fake::FakeTable money;
      money.schema.full_name = kMoney;
      money.schema.columns = {column("id", "bigint", false, 0),
                              column("price", "decimal(10,2)", true, 1)};
      config.tables.push_back(nested);
      config.tables.push_back(money);
    });
  }

  std::string workspaceUrl() const { return fmt::format("http://127.0.0.1:{}", fake_->httpPort()); }

  // gen-proto for `table` with the fake's test client; the secret comes from kSecretVar.
  CtlRun genProto(const std::string& table, std::vector<std::string> extra = {},
                  const std::string& secret = "test-secret") {
    std::vector<std::string> args = {
        "gen-proto",    "--table",     table,         "--workspace-url",
        workspaceUrl(), "--client-id", "test-client", "--client-secret-env",
        kSecretVar};
    args.insert(args.end(), extra.begin(), extra.end());
    CtlInput input;
    input.env = {{kSecretVar, secret}};
    return ctl(args, input);
  }

  absl::StatusOr<config::ProtoSchema> compile(const std::string& path, const std::string& message) {
    config::ProtoSource source;
    source.proto_file = path;
    source.message = message;
    return config::loadProtoSchema(source, nullptr);
  }
};

TEST_F(GenProtoTest, MapsNestedStructsArraysAndMapsAsTheProtocolDocSays) {
  const std::string path = work_.path() + "/nested.proto";
  const CtlRun run = genProto(kNested, {"--output", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("wrote " + path), std::string::npos) << run.err;
  const std::string text = readFile(path);
  EXPECT_NE(text.find("syntax = \"proto2\";"), std::string::npos);
  EXPECT_EQ(text.find("test-secret"), std::string::npos);

  auto schema = compile(path, "nested");
  ASSERT_TRUE(schema.ok()) << schema.status() << "\n" << text;
  const pb::Descriptor& root = *schema->descriptor;
  ASSERT_EQ(root.field_count(), 17) << text;
  struct Expect {
    const char* name;
    pb::FieldDescriptor::Type type;
    pb::FieldDescriptor::Label label;
  };
  using F = pb::FieldDescriptor;
  const Expect expected[] = {
      {"id", F::TYPE_INT64, F::LABEL_REQUIRED},
      {"name", F::TYPE_STRING, F::LABEL_OPTIONAL},
      {"score", F::TYPE_DOUBLE, F::LABEL_OPTIONAL},
      {"ratio", F::TYPE_FLOAT, F::LABEL_OPTIONAL},
      {"ok", F::TYPE_BOOL, F::LABEL_OPTIONAL},
      {"blob", F::TYPE_BYTES, F::LABEL_OPTIONAL},
      {"day", F::TYPE_INT32, F::LABEL_OPTIONAL},
      {"at", F::TYPE_INT64, F::LABEL_OPTIONAL},
      {"at_local", F::TYPE_INT64, F::LABEL_OPTIONAL},
      {"small", F::TYPE_INT32, F::LABEL_OPTIONAL},
      {"tiny", F::TYPE_INT32, F::LABEL_OPTIONAL},
      {"tags", F::TYPE_STRING, F::LABEL_REPEATED},
      {"counts", F::TYPE_MESSAGE, F::LABEL_REPEATED},
      {"point", F::TYPE_MESSAGE, F::LABEL_OPTIONAL},
      {"items", F::TYPE_MESSAGE, F::LABEL_REPEATED},
      {"lookups", F::TYPE_MESSAGE, F::LABEL_REPEATED},
      {"address", F::TYPE_MESSAGE, F::LABEL_REQUIRED},
  };
  for (int i = 0; i < root.field_count(); ++i) {
    const F* field = root.field(i);
    EXPECT_EQ(field->name(), expected[i].name);
    EXPECT_EQ(field->number(), i + 1) << field->name();  // column order
    EXPECT_EQ(field->type(), expected[i].type) << field->name();
    EXPECT_EQ(field->label(), expected[i].label) << field->name();
  }
  const F* counts = root.FindFieldByName("counts");
  ASSERT_TRUE(counts->is_map());
  EXPECT_EQ(counts->message_type()->map_value()->type(), F::TYPE_INT64);
  const pb::Descriptor* point = root.FindFieldByName("point")->message_type();
  EXPECT_EQ(point->name(), "Point");
  EXPECT_EQ(point->FindFieldByName("y")->label(), F::LABEL_OPTIONAL);
  const pb::Descriptor* items = root.FindFieldByName("items")->message_type();
  EXPECT_EQ(items->name(), "Items");
  EXPECT_TRUE(items->FindFieldByName("attrs")->is_map());
  const F* lookups = root.FindFieldByName("lookups");
  ASSERT_TRUE(lookups->is_map());
  EXPECT_EQ(lookups->message_type()->map_key()->type(), F::TYPE_INT32);
  EXPECT_EQ(lookups->message_type()->map_value()->message_type()->name(), "Lookups");
  const pb::Descriptor* address = root.FindFieldByName("address")->message_type();
  EXPECT_EQ(address->FindFieldByName("geo")->message_type()->name(), "Geo");
}

TEST_F(GenProtoTest, TheServiceAcceptsTheGeneratedSchemaAndRowsLand) {
  const std::string path = work_.path() + "/nested.proto";
  ASSERT_EQ(genProto(kNested, {"--output", path}).exit_code, 0);
  // A daemon serving the table with the generated file: its stream opens only if the service
  // finds the descriptor compatible with the table.
  startDaemonWith(configYaml() + fmt::format("  - name: {}\n    record_type: proto\n"
                                             "    proto_file: {}\n    message: nested\n",
                                             kNested, path));
  ASSERT_TRUE(waitHealthy()) << ctl({"health"}).out;

  const std::string row =
      R"({"id":"7","name":"n","score":1.5,"ratio":0.5,"ok":true,"blob":"AAE=","day":19000,)"
      R"("at":"1700000000000000","at_local":"1","small":3,"tiny":-2,"tags":["x","y"],)"
      R"("counts":{"a":"1"},"point":{"x":1,"y":2},)"
      R"("items":[{"sku":"s","qty":2,"attrs":{"k":"v"}}],)"
      R"("lookups":{"9":{"label":"L","weights":[0.25]}},)"
      R"("address":{"street":"S","geo":{"lat":1.5,"lon":2.5}}})";
  const CtlRun run = ctl({"send", "-t", kNested, "--proto", path, "--message", "nested", "-f",
                          inputFile("rows.jsonl", row + "\n" +
                                                      R"({"id":"8","address":{}})"
                                                      "\n")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const auto rows = rowsOnceAtLeast(kNested, 2);
  ASSERT_EQ(rows.size(), 2u);
  const nlohmann::json& landed = rows[0];
  EXPECT_EQ(landed.at("id"), 7) << landed;
  EXPECT_EQ(landed.at("tags"), nlohmann::json({"x", "y"})) << landed;
  EXPECT_EQ(landed.at("point").at("y"), 2) << landed;
  EXPECT_EQ(landed.at("items").at(0).at("attrs").at("k"), "v") << landed;
  EXPECT_EQ(landed.at("address").at("geo").at("lon"), 2.5) << landed;
  EXPECT_EQ(rows[1].at("id"), 8) << rows[1];
}

TEST_F(GenProtoTest, WritesToStdoutWithTheChosenMessageName) {
  const CtlRun run = genProto(zerobusd::testing::kEvents, {"--message", "Event"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("message Event {\n  required int64 id = 1;\n  required string kind = 2;\n"
                         "  repeated string tags = 3;\n}\n"),
            std::string::npos)
      << run.out;
}

TEST_F(GenProtoTest, ReadsTheSecretFromAFile) {
  const std::string secret_file = inputFile("secret", "test-secret\n");
  const CtlRun run = ctl({"gen-proto", "--table", kNested, "--workspace-url", workspaceUrl(),
                          "--client-id", "test-client", "--client-secret-file", secret_file});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("message nested {"), std::string::npos);
}

TEST_F(GenProtoTest, AWrongSecretIsAClearErrorThatNeverShowsTheSecret) {
  const std::string secret = "wrong-s3cret-value";
  const CtlRun run = genProto(kNested, {}, secret);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("cannot get an OAuth token"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("401"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("invalid_client"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find(secret), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST_F(GenProtoTest, WorkspaceErrorsAreExplained) {
  CtlRun run = genProto("main.default.absent");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("HTTP 404 (TABLE_DOES_NOT_EXIST"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("no such table"), std::string::npos) << run.err;

  admin("/admin/faults/uc", {{"status", 403}, {"count", 1}});
  run = genProto(kNested);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("HTTP 403"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("USE CATALOG, USE SCHEMA and SELECT"), std::string::npos) << run.err;

  admin("/admin/faults/uc", {{"status", 503}, {"count", 1}});
  run = genProto(kNested);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("HTTP 503"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("try again later"), std::string::npos) << run.err;

  admin("/admin/faults/token", {{"status", 500}, {"count", 1}});
  run = genProto(kNested);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("cannot get an OAuth token"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("500"), std::string::npos) << run.err;

  admin("/admin/faults/token", {{"body_mode", "malformed"}});
  run = genProto(kNested);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("cannot get an OAuth token"), std::string::npos) << run.err;
  admin("/admin/faults/token", nlohmann::json::object());

  run = genProto(kMoney);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("column 'price'"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("DECIMAL has no proto2 mapping"), std::string::npos) << run.err;

  // Nothing listens here: a network error, named with its URL.
  CtlInput input;
  input.env = {{kSecretVar, "test-secret"}};
  run = ctl({"gen-proto", "--table", kNested, "--workspace-url", "http://127.0.0.1:1",
             "--client-id", "test-client", "--client-secret-env", kSecretVar},
            input);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("127.0.0.1:1/oidc/v1/token"), std::string::npos) << run.err;
}

TEST_F(GenProtoTest, UsageErrorsExitTwo) {
  const std::vector<std::string> base = {"gen-proto",       "--table",      kNested,
                                         "--workspace-url", workspaceUrl(), "--client-id",
                                         "test-client"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {with({}), "secret"},
      {with({"--client-secret-env", kSecretVar, "--client-secret-file", "/etc/hostname"}),
       "secret"},
      {with({"--client-secret", "oops"}), "--client-secret"},  // never on the command line
      {with({"--client-secret-env", "ZBCTL_UNSET_VARIABLE"}), "ZBCTL_UNSET_VARIABLE"},
      {with({"--client-secret-file", work_.path() + "/none"}), "cannot read --client-secret-file"},
      {with({"--client-secret-env", kSecretVar, "--message", "1bad"}), "--message '1bad'"},
      {{"gen-proto", "--table", "no_dots", "--workspace-url", workspaceUrl(), "--client-id", "x",
        "--client-secret-env", kSecretVar},
       "no_dots"},
      {{"gen-proto", "--table", kNested, "--workspace-url", "ftp://x", "--client-id", "x",
        "--client-secret-env", kSecretVar},
       "--workspace-url"},
  };
  for (const Case& c : cases) {
    CtlInput input;
    input.env = {{kSecretVar, "test-secret"}};
    const CtlRun run = ctl(c.args, input);
    EXPECT_EQ(run.exit_code, 2) << fmt::format("{}", fmt::join(c.args, " ")) << "\n" << run.err;
    EXPECT_NE(run.err.find(c.says), std::string::npos) << c.says << "\n" << run.err;
  }
}

}  // namespace
}  // namespace zerobusd::ctl::testing
