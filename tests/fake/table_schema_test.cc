#include "tools/zerobus-fake/table_schema.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/fake/schema_test_util.h"

namespace zerobusd::fake {
namespace {

using testing::makeTable;

ColumnType parsed(const std::string& text) {
  auto type = parseTypeText(text);
  EXPECT_TRUE(type.ok()) << text << ": " << type.status();
  return type.ok() ? *type : ColumnType{};
}

std::string canonical(const std::string& text) { return typeText(parsed(text)); }

TEST(ParseTypeText, AcceptsEveryScalarTypeAndItsAliases) {
  struct Case {
    const char* text;
    TypeKind kind;
    const char* name;
    const char* canonical;
  };
  const Case cases[] = {
      {"tinyint", TypeKind::Byte, "BYTE", "tinyint"},
      {"byte", TypeKind::Byte, "BYTE", "tinyint"},
      {"smallint", TypeKind::Short, "SHORT", "smallint"},
      {"short", TypeKind::Short, "SHORT", "smallint"},
      {"int", TypeKind::Int, "INT", "int"},
      {"integer", TypeKind::Int, "INT", "int"},
      {"bigint", TypeKind::Long, "LONG", "bigint"},
      {"long", TypeKind::Long, "LONG", "bigint"},
      {"float", TypeKind::Float, "FLOAT", "float"},
      {"double", TypeKind::Double, "DOUBLE", "double"},
      {"boolean", TypeKind::Boolean, "BOOLEAN", "boolean"},
      {"string", TypeKind::String, "STRING", "string"},
      {"varchar(10)", TypeKind::String, "STRING", "string"},
      {"char(3)", TypeKind::String, "STRING", "string"},
      {"binary", TypeKind::Binary, "BINARY", "binary"},
      {"date", TypeKind::Date, "DATE", "date"},
      {"timestamp", TypeKind::Timestamp, "TIMESTAMP", "timestamp"},
      {"timestamp_ntz", TypeKind::TimestampNtz, "TIMESTAMP_NTZ", "timestamp_ntz"},
      {"variant", TypeKind::Variant, "VARIANT", "variant"},
      {"decimal(10,2)", TypeKind::Decimal, "DECIMAL", "decimal(10,2)"},
  };
  for (const Case& c : cases) {
    const ColumnType type = parsed(c.text);
    EXPECT_EQ(type.kind, c.kind) << c.text;
    EXPECT_EQ(typeName(type), c.name) << c.text;
    EXPECT_EQ(typeText(type), c.canonical) << c.text;
  }
}

TEST(ParseTypeText, IsCaseInsensitiveAndToleratesWhitespace) {
  EXPECT_EQ(canonical("  BIGINT "), "bigint");
  EXPECT_EQ(canonical("Array < Struct < A : Int , b:STRING > >"), "array<struct<A:int,b:string>>");
  EXPECT_EQ(canonical("MAP<STRING,  DECIMAL( 5 , 1 )>"), "map<string,decimal(5,1)>");
}

TEST(ParseTypeText, ParsesDecimalDefaultsAndBounds) {
  const ColumnType bare = parsed("decimal");
  EXPECT_EQ(bare.precision, 10);
  EXPECT_EQ(bare.scale, 0);
  EXPECT_EQ(parsed("decimal(7)").precision, 7);
  EXPECT_EQ(parsed("numeric(38,38)").scale, 38);
  EXPECT_FALSE(parseTypeText("decimal(39,0)").ok());
  EXPECT_FALSE(parseTypeText("decimal(0,0)").ok());
  EXPECT_FALSE(parseTypeText("decimal(5,6)").ok());
}

TEST(ParseTypeText, ParsesNestedComplexTypes) {
  const ColumnType type = parsed(
      "array<struct<id:bigint not null,tags:array<string>,attrs:map<string,struct<x:int>>>>");
  ASSERT_EQ(type.kind, TypeKind::Array);
  const ColumnType& element = type.children.at(0);
  ASSERT_EQ(element.kind, TypeKind::Struct);
  ASSERT_EQ(element.fields.size(), 3u);
  EXPECT_EQ(element.fields[0].name, "id");
  EXPECT_FALSE(element.fields[0].nullable);
  EXPECT_TRUE(element.fields[1].nullable);
  EXPECT_EQ(element.fields[1].type.kind, TypeKind::Array);
  const ColumnType& attrs = element.fields[2].type;
  ASSERT_EQ(attrs.kind, TypeKind::Map);
  EXPECT_EQ(attrs.children.at(0).kind, TypeKind::String);
  EXPECT_EQ(attrs.children.at(1).kind, TypeKind::Struct);
  EXPECT_EQ(typeText(type),
            "array<struct<id:bigint not null,tags:array<string>,attrs:map<string,struct<x:int>>>>");
}

TEST(ParseTypeText, AcceptsQuotedNamesSpaceSeparatorsAndComments) {
  const ColumnType type =
      parsed("struct<`a b`:int, c string NOT NULL COMMENT 'the c', `x``y`:int>");
  ASSERT_EQ(type.fields.size(), 3u);
  EXPECT_EQ(type.fields[0].name, "a b");
  EXPECT_EQ(type.fields[1].name, "c");
  EXPECT_FALSE(type.fields[1].nullable);
  EXPECT_EQ(type.fields[2].name, "x`y");
  EXPECT_EQ(typeText(type), "struct<`a b`:int,c:string not null,`x``y`:int>");
  EXPECT_EQ(parsed("struct<>").fields.size(), 0u);
}

TEST(ParseTypeText, RefusesUnknownTypesNamingThePosition) {
  const auto type = parseTypeText("array<interval>");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(type.status().message().find("unknown type 'interval'"), std::string::npos)
      << type.status();
  EXPECT_NE(type.status().message().find("position 6"), std::string::npos) << type.status();
}

TEST(ParseTypeText, RefusesMalformedText) {
  for (const char* text : {"", "array<int", "array<int>>", "map<int>", "struct<a int,>",
                           "struct<:int>", "varchar", "varchar(0)", "decimal(10,", "int int",
                           "struct<a:int not>", "struct<`a:int>", "array<>", "map<,int>"}) {
    const auto type = parseTypeText(text);
    EXPECT_FALSE(type.ok()) << "accepted: " << text;
    if (!type.ok()) {
      EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(type.status().message().find("position"), std::string::npos) << type.status();
    }
  }
}

std::string nestedArrays(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += "array<";
  text += "int";
  for (int i = 0; i < depth; ++i) text += ">";
  return text;
}

TEST(ParseTypeText, AcceptsHundredLevelsOfNestingAndRefusesMore) {
  EXPECT_TRUE(parseTypeText(nestedArrays(100)).ok());
  const auto deeper = parseTypeText(nestedArrays(101));
  ASSERT_FALSE(deeper.ok());
  EXPECT_NE(deeper.status().message().find("nesting deeper than 100"), std::string::npos);
  // A nesting bomb fails fast instead of exhausting the stack.
  EXPECT_FALSE(parseTypeText(nestedArrays(100000)).ok());
}

TEST(TypeJson, RendersSparkJsonTypes) {
  EXPECT_EQ(typeJson(parsed("bigint")), "long");
  EXPECT_EQ(typeJson(parsed("int")), "integer");
  EXPECT_EQ(typeJson(parsed("smallint")), "short");
  EXPECT_EQ(typeJson(parsed("tinyint")), "byte");
  EXPECT_EQ(typeJson(parsed("decimal(10,2)")), "decimal(10,2)");
  EXPECT_EQ(typeJson(parsed("timestamp_ntz")), "timestamp_ntz");
  EXPECT_EQ(typeJson(parsed("array<int>")),
            nlohmann::json::parse(
                R"({"type":"array","elementType":"integer","containsNull":true})"));
  EXPECT_EQ(typeJson(parsed("map<string,double>")),
            nlohmann::json::parse(R"({"type":"map","keyType":"string","valueType":"double",)"
                                  R"("valueContainsNull":true})"));
  EXPECT_EQ(typeJson(parsed("struct<a:int not null,b:array<string>>")),
            nlohmann::json::parse(R"({"type":"struct","fields":[
              {"name":"a","type":"integer","nullable":false,"metadata":{}},
              {"name":"b","type":{"type":"array","elementType":"string","containsNull":true},
               "nullable":true,"metadata":{}}]})"));
}

TEST(TableSchema, FindsColumnsCaseInsensitively) {
  const TableSchema table = makeTable({{"Device_Name", "string"}, {"temp", "int"}});
  ASSERT_NE(table.findColumn("device_name"), nullptr);
  EXPECT_EQ(table.findColumn("DEVICE_NAME")->name, "Device_Name");
  EXPECT_EQ(table.findColumn("TEMP")->position, 1);
  EXPECT_EQ(table.findColumn("humidity"), nullptr);
  EXPECT_EQ(table.findColumn("temp "), nullptr);
}

TEST(UnityCatalogTableJson, RendersTheTablesApiBody) {
  const TableSchema table =
      makeTable({{"id", "bigint", false}, {"price", "decimal(10,2)"}, {"tags", "array<string>"}},
                "main.sales.orders");
  const nlohmann::json body = unityCatalogTableJson(table);
  EXPECT_EQ(body["name"], "orders");
  EXPECT_EQ(body["catalog_name"], "main");
  EXPECT_EQ(body["schema_name"], "sales");
  EXPECT_EQ(body["full_name"], "main.sales.orders");
  EXPECT_EQ(body["table_type"], "MANAGED");
  EXPECT_EQ(body["data_source_format"], "DELTA");
  ASSERT_EQ(body["columns"].size(), 3u);

  const nlohmann::json& id = body["columns"][0];
  EXPECT_EQ(id["name"], "id");
  EXPECT_EQ(id["type_text"], "bigint");
  EXPECT_EQ(id["type_name"], "LONG");
  EXPECT_EQ(id["nullable"], false);
  EXPECT_EQ(id["position"], 0);
  ASSERT_TRUE(id["type_json"].is_string());
  // Spark's key order inside the JSON string.
  EXPECT_EQ(id["type_json"], R"({"name":"id","type":"long","nullable":false,"metadata":{}})");

  const nlohmann::json& price = body["columns"][1];
  EXPECT_EQ(price["type_name"], "DECIMAL");
  EXPECT_EQ(price["type_precision"], 10);
  EXPECT_EQ(price["type_scale"], 2);
  EXPECT_EQ(price["nullable"], true);  // always emitted, though UC reads absence as true
  EXPECT_EQ(nlohmann::json::parse(price["type_json"].get<std::string>())["type"],
            "decimal(10,2)");

  const nlohmann::json& tags = body["columns"][2];
  EXPECT_EQ(tags["type_text"], "array<string>");
  EXPECT_EQ(tags["type_name"], "ARRAY");
  EXPECT_EQ(tags["position"], 2);
  EXPECT_EQ(nlohmann::json::parse(tags["type_json"].get<std::string>()),
            nlohmann::json::parse(R"({"name":"tags","type":{"type":"array",
              "elementType":"string","containsNull":true},"nullable":true,"metadata":{}})"));
}

TEST(UnityCatalogTableJson, RoundTripsTypeTextThroughTheParser) {
  const TableSchema table = makeTable(
      {{"a", "map<string,array<struct<x:int not null,y:decimal(5,1)>>>"}, {"b", "timestamp_ntz"}});
  const nlohmann::json body = unityCatalogTableJson(table);
  for (const nlohmann::json& column : body["columns"]) {
    const auto reparsed = parseTypeText(column["type_text"].get<std::string>());
    ASSERT_TRUE(reparsed.ok()) << reparsed.status();
    EXPECT_EQ(typeText(*reparsed), column["type_text"]);
  }
}

}  // namespace
}  // namespace zerobusd::fake
