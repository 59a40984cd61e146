// zerobus-fake's YAML config: the shipped example loads, and bad files fail with the key and
// the line.

#include <gtest/gtest.h>

#include "tools/zerobus-fake/fake_config.h"

namespace zerobusd::fake {
namespace {

constexpr char kMinimal[] = R"(
tables:
  - name: main.default.t
    columns:
      - {name: id, type: bigint, nullable: false}
)";

std::string errorOf(const std::string& yaml) {
  auto config = parseFakeConfig(yaml);
  return config.ok() ? "" : std::string(config.status().message());
}

TEST(FakeConfig, MinimalFileHasServiceLikeDefaults) {
  auto config = parseFakeConfig(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->stream_lifetime_ms, 15 * 60 * 1000);
  EXPECT_EQ(config->max_message_bytes, 10 * 1024 * 1024);
  EXPECT_FALSE(config->plaintext);
  ASSERT_NE(config->findTable("main.default.t"), nullptr);
  EXPECT_FALSE(config->findTable("main.default.t")->schema.columns[0].nullable);
}

TEST(FakeConfig, ShippedExampleLoads) {
  auto config = loadFakeConfig(ZEROBUSD_SOURCE_DIR "/config/zerobus-fake.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_NE(config->findTable("main.default.air_quality"), nullptr);
  EXPECT_EQ(config->clients.size(), 1u);
}

TEST(FakeConfig, UnknownKeyIsNamedWithItsLine) {
  std::string error = errorOf(std::string(kMinimal) + "grcp_listen: x\n");
  EXPECT_NE(error.find("grcp_listen"), std::string::npos) << error;
  EXPECT_NE(error.find("line 6"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown key"), std::string::npos) << error;
}

TEST(FakeConfig, WrongTypeIsNamed) {
  std::string error = errorOf(std::string(kMinimal) + "streams:\n  lifetime_ms: soon\n");
  EXPECT_NE(error.find("streams.lifetime_ms"), std::string::npos) << error;
}

TEST(FakeConfig, NegativeDurationIsRefused) {
  std::string error = errorOf(std::string(kMinimal) + "streams:\n  close_grace_ms: -5\n");
  EXPECT_NE(error.find("must not be negative"), std::string::npos) << error;
}

TEST(FakeConfig, BadColumnTypeIsNamed) {
  std::string error = errorOf(R"(
tables:
  - name: main.default.t
    columns:
      - {name: id, type: "array<"}
)");
  EXPECT_NE(error.find("tables[0].columns[0].type"), std::string::npos) << error;
}

TEST(FakeConfig, TableNameMustHaveThreeParts) {
  EXPECT_NE(errorOf("tables:\n  - {name: t, columns: [{name: a, type: int}]}\n").find("catalog.schema.table"),
            std::string::npos);
  EXPECT_NE(errorOf("tables:\n  - {name: a..b, columns: [{name: a, type: int}]}\n").find("catalog.schema.table"),
            std::string::npos);
}

TEST(FakeConfig, DuplicatesAreRefused) {
  EXPECT_NE(errorOf(R"(
tables:
  - {name: a.b.c, columns: [{name: x, type: int}, {name: X, type: int}]}
)").find("duplicate column"), std::string::npos);
  EXPECT_NE(errorOf(R"(
tables:
  - {name: a.b.c, columns: [{name: x, type: int}]}
  - {name: a.b.c, columns: [{name: x, type: int}]}
)").find("duplicate table"), std::string::npos);
}

TEST(FakeConfig, EmptyOrMissingTablesIsRefused) {
  EXPECT_NE(errorOf("").find("empty"), std::string::npos);
  EXPECT_NE(errorOf("plaintext: true\n").find("tables"), std::string::npos);
  EXPECT_NE(errorOf("tables: []\n").find("tables"), std::string::npos);
}

TEST(FakeConfig, MalformedYamlNamesTheLine) {
  std::string error = errorOf("tables:\n  - name: [unclosed\n");
  EXPECT_NE(error.find("line"), std::string::npos) << error;
}

TEST(FakeConfig, QuotaOnExcessMustBeDelayOrReject) {
  std::string error = errorOf(R"(
tables:
  - name: a.b.c
    columns: [{name: x, type: int}]
    quota: {records_per_s: 10, on_excess: explode}
)");
  EXPECT_NE(error.find("on_excess"), std::string::npos) << error;
}

TEST(FakeConfig, ClientsNeedIdAndSecret) {
  std::string error = errorOf(std::string(kMinimal) + "oauth:\n  clients:\n    - {id: x}\n");
  EXPECT_NE(error.find("oauth.clients[0]"), std::string::npos) << error;
}

}  // namespace
}  // namespace zerobusd::fake
