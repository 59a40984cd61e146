// The shipped config files load: config/zerobusd.yaml (the annotated real-world example) and
// config/zerobusd-local.yaml (against zerobus-fake, with the test CA of scripts/gen-certs.sh),
// and what they produce is what the upstream and validation modules take.

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "daemon/config/config.h"
#include "daemon/config/transport_options.h"
#include "daemon/validate/record_validator.h"
#include "tests/config/config_test_util.h"

namespace zerobusd::config {
namespace {

namespace pb = google::protobuf;
using ::testing::HasSubstr;
using testing::TempDir;

const std::string kSource = ZEROBUSD_SOURCE_DIR;

TEST(ShippedConfigTest, TheAnnotatedExampleLoads) {
  MapEnvironment env;
  env.set("ZEROBUSD_CLIENT_SECRET", "example-secret");
  auto config = loadConfig(kSource + "/config/zerobusd.yaml", env);
  ASSERT_TRUE(config.ok()) << config.status().message();
  const Config& c = **config;
  EXPECT_THAT(c.service.endpoint, HasSubstr(".zerobus."));
  EXPECT_FALSE(c.service.plaintext);
  EXPECT_EQ(c.auth.mode, AuthMode::OAuth);
  EXPECT_EQ(c.auth.client_secret.reveal(), "example-secret");
  EXPECT_EQ(c.socket.path, "/run/zerobusd/zerobusd.sock");
  EXPECT_EQ(c.log.format, LogFormat::Json);
  ASSERT_EQ(c.tables.size(), 2u);
  const TableConfig* air = c.findTable("main.default.air_quality");
  ASSERT_NE(air, nullptr);
  ASSERT_NE(air->descriptor, nullptr);
  EXPECT_EQ(air->descriptor->full_name(), "AirQuality");
  EXPECT_EQ(c.findTable("main.default.events")->pool.max_streams, 2);
  EXPECT_EQ(c.limits.max_record_bytes, 10 * 1024 * 1024 - 64 * 1024);
  // Without the secret it refuses to start, saying which variable is missing.
  auto without = loadConfig(kSource + "/config/zerobusd.yaml", MapEnvironment());
  ASSERT_FALSE(without.ok());
  EXPECT_THAT(std::string(without.status().message()),
              HasSubstr("environment variable ZEROBUSD_CLIENT_SECRET is not set"));
}

// The local config, laid out as in the repository (config/ next to build/certs/) in a
// temporary directory, with a CA made by scripts/gen-certs.sh.
TEST(ShippedConfigTest, TheLocalConfigLoadsWithTheSecretInItsVariable) {
  TempDir repo;
  std::filesystem::create_directories(repo / "config");
  std::filesystem::copy(kSource + "/config/zerobusd-local.yaml",
                        repo / "config/zerobusd-local.yaml");
  std::filesystem::copy(kSource + "/config/schemas", repo / "config/schemas",
                        std::filesystem::copy_options::recursive);
  const std::string command =
      kSource + "/scripts/gen-certs.sh " + (repo / "build/certs") + " >/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0);

  MapEnvironment env;
  env.set("ZEROBUSD_CLIENT_SECRET", "test-secret");
  auto config = loadConfig(repo / "config/zerobusd-local.yaml", env);
  ASSERT_TRUE(config.ok()) << config.status().message();
  const Config& c = **config;
  EXPECT_EQ(c.service.endpoint, "https://localhost:50443");
  EXPECT_EQ(c.service.workspace_url, "https://localhost:50444");
  EXPECT_EQ(c.service.ca_bundle_file, repo / "build/certs/ca.pem");
  EXPECT_EQ(c.auth.ca_bundle_file, repo / "build/certs/ca.pem");
  EXPECT_EQ(c.auth.client_id, "test-client");
  EXPECT_EQ(c.auth.client_secret.reveal(), "test-secret");
  EXPECT_EQ(c.socket.path, repo / "build/zerobusd.sock");
  const TableConfig* air = c.findTable("main.default.air_quality");
  ASSERT_NE(air, nullptr);
  EXPECT_EQ(air->record_type, upstream::RecordType::Proto);
  EXPECT_EQ(air->proto_file, repo / "config/schemas/air_quality.proto");
  const TableConfig* events = c.findTable("main.default.events");
  ASSERT_NE(events, nullptr);
  EXPECT_EQ(events->record_type, upstream::RecordType::Json);

  // What the fake's table expects: the three columns, as one DescriptorProto.
  pb::DescriptorProto descriptor;
  ASSERT_TRUE(descriptor.ParseFromString(air->target().descriptor_proto));
  EXPECT_EQ(descriptor.name(), "AirQuality");
  ASSERT_EQ(descriptor.field_size(), 3);
  EXPECT_EQ(descriptor.field(0).name(), "device_name");
  EXPECT_EQ(descriptor.field(1).name(), "temp");
  EXPECT_EQ(descriptor.field(2).name(), "humidity");

  // The descriptor validates records (the composition the daemon makes).
  auto validator = validate::makeProtoValidator(*air->descriptor);
  pb::DynamicMessageFactory factory;
  std::unique_ptr<pb::Message> record(factory.GetPrototype(air->descriptor.get())->New());
  ASSERT_TRUE(
      pb::TextFormat::ParseFromString("device_name: 'd' temp: 21 humidity: 40", record.get()));
  std::string error;
  EXPECT_TRUE(validator->validate(record->SerializeAsString(), &error)) << error;
  EXPECT_FALSE(validator->validate(std::string("\x22\x01x", 3), &error));  // field 4

  // The transport options the channel gets.
  const upstream::TransportOptions transport = transportOptions(c.service);
  EXPECT_EQ(transport.endpoint, "https://localhost:50443");
  EXPECT_FALSE(transport.plaintext);
  EXPECT_EQ(transport.ca_bundle_file, repo / "build/certs/ca.pem");
  EXPECT_EQ(transport.user_agent, upstream::TransportOptions{}.user_agent + " local-dev");
  EXPECT_EQ(transport.keepalive_time_ms, 30000);
}

TEST(ShippedConfigTest, TheLocalConfigLoadsInPlaceWhenTheCertificatesExist) {
  if (!std::filesystem::exists(kSource + "/build/certs/ca.pem")) {
    GTEST_SKIP() << "no build/certs/ca.pem (scripts/gen-certs.sh makes it)";
  }
  MapEnvironment env;
  env.set("ZEROBUSD_CLIENT_SECRET", "test-secret");
  auto config = loadConfig(kSource + "/config/zerobusd-local.yaml", env);
  ASSERT_TRUE(config.ok()) << config.status().message();
}

TEST(ShippedConfigTest, TheAirQualitySchemaMatchesTheFakesColumns) {
  MapEnvironment env;
  env.set("ZEROBUSD_CLIENT_SECRET", "x");
  auto config = loadConfig(kSource + "/config/zerobusd.yaml", env);
  ASSERT_TRUE(config.ok()) << config.status().message();
  const auto& descriptor = *(*config)->findTable("main.default.air_quality")->descriptor;
  EXPECT_EQ(descriptor.field(0)->type(), pb::FieldDescriptor::TYPE_STRING);
  EXPECT_EQ(descriptor.field(1)->type(), pb::FieldDescriptor::TYPE_INT32);
  EXPECT_EQ(descriptor.field(2)->type(), pb::FieldDescriptor::TYPE_INT64);
}

}  // namespace
}  // namespace zerobusd::config
