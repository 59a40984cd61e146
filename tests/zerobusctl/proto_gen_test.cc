#include "tools/zerobusctl/proto_gen.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/config/proto_schema.h"

namespace zerobusd::ctl {
namespace {

namespace pb = google::protobuf;

UcTable tableOf(std::vector<UcColumn> columns, std::string name = "orders") {
  UcTable table;
  table.name = std::move(name);
  table.full_name = "main.sales." + table.name;
  table.columns = std::move(columns);
  return table;
}

std::string generate(const UcTable& table, const std::string& message = "") {
  auto proto = generateProto(table, ProtoGenOptions{message, {"test header"}});
  EXPECT_TRUE(proto.ok()) << proto.status();
  return proto.ok() ? *proto : "";
}

std::string errorOf(const UcTable& table) {
  auto proto = generateProto(table, {});
  EXPECT_FALSE(proto.ok()) << *proto;
  return proto.ok() ? "" : std::string(proto.status().message());
}

// Compiles `text` with the daemon's schema loader (what a table config would do).
absl::StatusOr<config::ProtoSchema> compile(const std::string& text, const std::string& message) {
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("zbctl-gen-{}-{}.proto", ::getpid(), message);
  std::ofstream(path) << text;
  config::ProtoSource source;
  source.proto_file = path.string();
  source.message = message;
  auto schema = config::loadProtoSchema(source, nullptr);
  std::filesystem::remove(path);
  return schema;
}

TEST(ProtoGenTest, MapsEveryScalarAndLabelsByNullability) {
  const std::string text = generate(tableOf({{"id", "bigint", false},
                                             {"tiny", "tinyint", true},
                                             {"small", "smallint", true},
                                             {"n", "int", true},
                                             {"f", "float", true},
                                             {"d", "double", true},
                                             {"b", "boolean", true},
                                             {"s", "string", true},
                                             {"v", "varchar(10)", true},
                                             {"raw", "binary", true},
                                             {"day", "date", true},
                                             {"at", "timestamp", true},
                                             {"local", "timestamp_ntz", true},
                                             {"doc", "variant", true}}));
  EXPECT_NE(text.find("// test header\nsyntax = \"proto2\";\n\nmessage orders {\n"),
            std::string::npos)
      << text;
  for (const char* line :
       {"  required int64 id = 1;", "  optional int32 tiny = 2;", "  optional int32 small = 3;",
        "  optional int32 n = 4;", "  optional float f = 5;", "  optional double d = 6;",
        "  optional bool b = 7;", "  optional string s = 8;", "  optional string v = 9;",
        "  optional bytes raw = 10;", "  optional int32 day = 11;", "  optional int64 at = 12;",
        "  optional int64 local = 13;", "  optional string doc = 14;"}) {
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
  }
  auto schema = compile(text, "orders");
  ASSERT_TRUE(schema.ok()) << schema.status() << "\n" << text;
  EXPECT_EQ(schema->descriptor->field_count(), 14);
  EXPECT_TRUE(schema->descriptor->FindFieldByName("id")->is_required());
}

TEST(ProtoGenTest, NestsStructsAndMapsArraysAndMapsOfStructs) {
  const std::string text = generate(
      tableOf({{"tags", "array<string>", true},
               {"counts", "map<string,bigint>", true},
               {"ship_to", "struct<street:string,geo:struct<lat:double,lon:double>>", false},
               {"items", "array<struct<sku:string,qty:int,attrs:map<int,string>>>", true},
               {"by_code", "map<string,struct<label:string,weights:array<double>>>", true}}));
  auto schema = compile(text, "orders");
  ASSERT_TRUE(schema.ok()) << schema.status() << "\n" << text;
  const pb::Descriptor& root = *schema->descriptor;

  const pb::FieldDescriptor* tags = root.FindFieldByName("tags");
  EXPECT_TRUE(tags->is_repeated());
  EXPECT_EQ(tags->type(), pb::FieldDescriptor::TYPE_STRING);

  const pb::FieldDescriptor* counts = root.FindFieldByName("counts");
  ASSERT_TRUE(counts->is_map());
  EXPECT_EQ(counts->message_type()->map_key()->type(), pb::FieldDescriptor::TYPE_STRING);
  EXPECT_EQ(counts->message_type()->map_value()->type(), pb::FieldDescriptor::TYPE_INT64);

  const pb::FieldDescriptor* ship_to = root.FindFieldByName("ship_to");
  EXPECT_TRUE(ship_to->is_required());
  ASSERT_EQ(ship_to->message_type()->name(), "ShipTo");
  const pb::FieldDescriptor* geo = ship_to->message_type()->FindFieldByName("geo");
  ASSERT_NE(geo, nullptr);
  EXPECT_TRUE(geo->is_optional());  // struct members are always optional
  EXPECT_EQ(geo->message_type()->name(), "Geo");
  EXPECT_EQ(geo->message_type()->FindFieldByName("lon")->number(), 2);

  const pb::FieldDescriptor* items = root.FindFieldByName("items");
  EXPECT_TRUE(items->is_repeated());
  ASSERT_EQ(items->message_type()->name(), "Items");
  const pb::FieldDescriptor* attrs = items->message_type()->FindFieldByName("attrs");
  ASSERT_TRUE(attrs->is_map());
  EXPECT_EQ(attrs->message_type()->map_key()->type(), pb::FieldDescriptor::TYPE_INT32);

  const pb::FieldDescriptor* by_code = root.FindFieldByName("by_code");
  ASSERT_TRUE(by_code->is_map());
  const pb::Descriptor* value = by_code->message_type()->map_value()->message_type();
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value->name(), "ByCode");
  EXPECT_TRUE(value->FindFieldByName("weights")->is_repeated());
  EXPECT_NE(text.find("  map<string, ByCode> by_code = 5;\n"), std::string::npos) << text;
}

TEST(ProtoGenTest, SkipsTheReservedFieldNumbers) {
  std::vector<UcColumn> columns;
  for (int i = 1; i <= 19001; ++i) columns.push_back({fmt::format("c{}", i), "int", true});
  const std::string text = generate(tableOf(std::move(columns)));
  EXPECT_NE(text.find("optional int32 c18999 = 18999;"), std::string::npos);
  EXPECT_NE(text.find("optional int32 c19000 = 20000;"), std::string::npos);
  EXPECT_NE(text.find("optional int32 c19001 = 20001;"), std::string::npos);
  auto schema = compile(text, "orders");
  EXPECT_TRUE(schema.ok()) << schema.status();
}

TEST(ProtoGenTest, NamesMessagesAfterTheTableOrTheOption) {
  EXPECT_NE(generate(tableOf({{"a", "int", true}}), "Order").find("message Order {"),
            std::string::npos);
  UcTable unnamed = tableOf({{"a", "int", true}}, "");
  unnamed.full_name = "main.sales.events";
  EXPECT_NE(generate(unnamed).find("message events {"), std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"a", "int", true}}, "my-table")).find("pick one with --message"),
            std::string::npos);
}

TEST(ProtoGenTest, KeepsNestedMessageNamesUnique) {
  const std::string text = generate(tableOf({{"a_b", "struct<x:int>", true},
                                             {"a__b", "struct<y:int>", true},
                                             {"AB2", "int", true},
                                             {"_", "struct<z:int>", true}}));
  EXPECT_NE(text.find("message AB {"), std::string::npos) << text;
  EXPECT_NE(text.find("message AB3 {"), std::string::npos) << text;
  EXPECT_NE(text.find("message Struct4 {"), std::string::npos) << text;
  auto schema = compile(text, "orders");
  EXPECT_TRUE(schema.ok()) << schema.status() << "\n" << text;
}

TEST(ProtoGenTest, RefusesWhatTheToolRefuses) {
  EXPECT_NE(errorOf(tableOf({{"m", "array<array<int>>", true}})).find("ARRAY<array>"),
            std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"m", "array<map<string,int>>", true}})).find("ARRAY<map>"),
            std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"m", "map<double,int>", true}})).find("MAP keys of type double"),
            std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"m", "map<binary,int>", true}})).find("MAP keys"), std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"m", "map<string,array<int>>", true}})).find("MAP values"),
            std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"m", "map<string,map<string,int>>", true}})).find("MAP values"),
            std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"price", "decimal(10,2)", true}})).find("column 'price'"),
            std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"message", "int", true}})).find("not a usable proto field name"),
            std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"1st", "int", true}})).find("'1st'"), std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"s", "struct<`a b`:int>", true}})).find("member 'a b'"),
            std::string::npos);
  EXPECT_NE(errorOf(tableOf({{"s", "struct<a:int,a:string>", true}})).find("duplicate"),
            std::string::npos);
  EXPECT_NE(errorOf(tableOf({})).find("no columns"), std::string::npos);
}

TEST(ProtoGenTest, PascalCaseAndNames) {
  EXPECT_EQ(pascalCase("device_info"), "DeviceInfo");
  EXPECT_EQ(pascalCase("sourceIP"), "SourceIP");
  EXPECT_EQ(pascalCase("__"), "");
  EXPECT_TRUE(isValidProtoName("_x9"));
  EXPECT_FALSE(isValidProtoName("9x"));
  EXPECT_FALSE(isValidProtoName("int64"));
  EXPECT_FALSE(isValidProtoName("a.b"));
  EXPECT_FALSE(isValidProtoName(""));
}

TEST(ProtoGenTest, ParsesTheTablesApiAnswer) {
  auto table = parseUcTable(R"({"name":"events","full_name":"main.default.events",
      "columns":[{"name":"id","type_text":"bigint","nullable":false,"position":0},
                 {"name":"tags","type_text":"array<string>","position":1}]})");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->name, "events");
  ASSERT_EQ(table->columns.size(), 2u);
  EXPECT_FALSE(table->columns[0].nullable);
  EXPECT_TRUE(table->columns[1].nullable);  // absent means nullable
}

TEST(ProtoGenTest, RefusesMalformedAnswers) {
  auto message = [](const std::string& body) {
    auto table = parseUcTable(body);
    EXPECT_FALSE(table.ok()) << body;
    return table.ok() ? "" : std::string(table.status().message());
  };
  EXPECT_NE(message("<html>").find("not valid JSON"), std::string::npos);
  EXPECT_NE(message("[1]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(message("{}").find("no 'columns' array"), std::string::npos);
  EXPECT_NE(message(R"({"columns":[{"name":"a"}]})").find("columns[0]"), std::string::npos);
  EXPECT_NE(
      message(R"({"columns":[{"name":"a","type_text":"int","nullable":"no"}]})").find("nullable"),
      std::string::npos);
  EXPECT_NE(message(std::string(1'000'000, '[')).find("deeper"), std::string::npos);
  EXPECT_NE(message(std::string(kMaxUcAnswerBytes + 1, ' ')).find("limit"), std::string::npos);
}

}  // namespace
}  // namespace zerobusd::ctl
