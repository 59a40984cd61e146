// What a reload changes (daemon/server/config_diff): the rules the server applies, checked on
// parsed configurations without a running daemon.

#include "daemon/server/config_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/config/config_test_util.h"

namespace zerobusd::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ConfigDiffTest : public ::testing::Test {
 protected:
  std::shared_ptr<const config::Config> parse(const std::string& text) {
    auto parsed = config::parseConfig(text, dir_.path(), env_);
    EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
    return parsed.ok() ? *parsed : nullptr;
  }
  // baseConfig's events table, plus `more` appended to the tables list.
  std::shared_ptr<const config::Config> withTables(const std::string& events_keys, const std::string& more = "") {
    return parse(config::testing::baseConfig(events_keys) + more);
  }

  config::testing::TempDir dir_;
  config::MapEnvironment env_ = config::testing::baseEnvironment();
};

TEST_F(ConfigDiffTest, TheSameFileChangesNothing) {
  auto a = withTables("");
  auto b = withTables("");
  ConfigDiff diff = diffConfigs(*a, *b);
  EXPECT_TRUE(diff.empty());
  EXPECT_THAT(diff.unchanged, ElementsAre("main.default.events"));
  EXPECT_EQ(diff.summary(), "nothing changed");
}

TEST_F(ConfigDiffTest, TablesAreAddedRemovedOrChanged) {
  auto before = withTables("", "  - name: main.default.gone\n    record_type: json\n");
  auto after = withTables("    batch: {linger_ms: 50}\n", "  - name: main.default.new\n    record_type: json\n");
  ConfigDiff diff = diffConfigs(*before, *after);
  EXPECT_THAT(diff.added, ElementsAre("main.default.new"));
  EXPECT_THAT(diff.removed, ElementsAre("main.default.gone"));
  EXPECT_THAT(diff.changed, ElementsAre("main.default.events"));
  EXPECT_THAT(diff.unchanged, IsEmpty());
  EXPECT_THAT(diff.needs_restart, IsEmpty());
  EXPECT_THAT(diff.summary(), HasSubstr("added [\"main.default.new\"]"));
}

TEST_F(ConfigDiffTest, EveryTableSettingCountsAsAChange) {
  auto base = withTables("");
  for (const char* keys : {"    pool: {max_streams: 9}\n", "    max_queue_bytes: 104857600\n", "    validate: false\n",
                           "    allow_uids: [1000]\n", "    stream: {recovery_retries: 7}\n"}) {
    ConfigDiff diff = diffConfigs(*base, *withTables(keys));
    EXPECT_THAT(diff.changed, ElementsAre("main.default.events")) << keys;
  }
}

TEST_F(ConfigDiffTest, NewCredentialsRebuildEveryTable) {
  auto before = withTables("");
  env_.set("ZEROBUSD_CLIENT_SECRET", "rotated");
  auto after = withTables("");
  ConfigDiff diff = diffConfigs(*before, *after);
  EXPECT_TRUE(diff.upstream_changed);
  EXPECT_THAT(diff.changed, ElementsAre("main.default.events"));
  // The summary names what changed, never the secret.
  EXPECT_THAT(diff.summary(), HasSubstr("service/auth"));
  EXPECT_EQ(diff.summary().find("rotated"), std::string::npos);
}

TEST_F(ConfigDiffTest, ListenersAndLogFormatNeedARestart) {
  auto before = withTables("");
  auto after = parse("socket: {path: /tmp/other.sock}\nmetrics: {listen: \"127.0.0.1:9999\"}\nlog: {format: json}\n" +
                     config::testing::baseConfig());
  ConfigDiff diff = diffConfigs(*before, *after);
  ASSERT_EQ(diff.needs_restart.size(), 3u);
  EXPECT_THAT(diff.needs_restart[0], HasSubstr("socket.path"));
  EXPECT_THAT(diff.needs_restart[1], HasSubstr("metrics.listen"));
  EXPECT_THAT(diff.needs_restart[2], HasSubstr("log.format"));
}

TEST_F(ConfigDiffTest, LimitsSocketModeAndLogLevelApplyInPlace) {
  auto before = withTables("");
  auto after = parse("limits: {max_connections: 3}\nsocket: {mode: \"0600\"}\nlog: {level: debug}\n" +
                     config::testing::baseConfig());
  ConfigDiff diff = diffConfigs(*before, *after);
  EXPECT_TRUE(diff.limits_changed);
  EXPECT_TRUE(diff.socket_access_changed);
  EXPECT_TRUE(diff.log_level_changed);
  EXPECT_THAT(diff.needs_restart, IsEmpty());
  EXPECT_THAT(diff.unchanged, ElementsAre("main.default.events"));
}

}  // namespace
}  // namespace zerobusd::server
