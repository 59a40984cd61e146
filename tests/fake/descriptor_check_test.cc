// compileProtoDecoder's stream-creation check: which descriptors fit which tables, and the
// causes and messages reported when they do not.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fake/schema_test_util.h"
#include "tools/zerobus-fake/row_decoder.h"

namespace zerobusd::fake {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::makeTable;
using testing::parseDescriptor;

// A descriptor with one field `f` (number 1) of the given type text-format snippet.
google::protobuf::DescriptorProto oneField(const std::string& type,
                                           const std::string& label = "LABEL_OPTIONAL",
                                           const std::string& nested = "") {
  return parseDescriptor("name: \"T\" field { name: \"f\" number: 1 label: " + label + " " +
                         type + " } " + nested);
}

DescriptorCheck checkOne(const std::string& column_type, const std::string& proto_type,
                         const std::string& label = "LABEL_OPTIONAL",
                         const std::string& nested = "") {
  return compileProtoDecoder(oneField(proto_type, label, nested),
                             makeTable({{"f", column_type}}));
}

TEST(DescriptorCheck, AcceptsTheAirQualityDescriptor) {
  const auto check = compileProtoDecoder(
      parseDescriptor(R"(name: "AirQuality"
        field { name: "device_name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
        field { name: "temp" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 }
        field { name: "humidity" number: 3 label: LABEL_OPTIONAL type: TYPE_INT64 })"),
      makeTable({{"device_name", "string"}, {"temp", "int"}, {"humidity", "bigint"}}));
  EXPECT_NE(check.decoder, nullptr) << check.message;
  EXPECT_TRUE(check.causes.empty());
  EXPECT_TRUE(check.message.empty());
}

TEST(DescriptorCheck, AcceptsEveryDocumentedTypeMapping) {
  struct Case {
    const char* column;
    const char* proto;
  };
  const Case cases[] = {
      {"tinyint", "type: TYPE_INT32"},   {"smallint", "type: TYPE_INT32"},
      {"int", "type: TYPE_INT32"},       {"bigint", "type: TYPE_INT64"},
      {"float", "type: TYPE_FLOAT"},     {"double", "type: TYPE_DOUBLE"},
      {"boolean", "type: TYPE_BOOL"},    {"string", "type: TYPE_STRING"},
      {"varchar(5)", "type: TYPE_STRING"}, {"binary", "type: TYPE_BYTES"},
      {"date", "type: TYPE_INT32"},      {"timestamp", "type: TYPE_INT64"},
      {"timestamp_ntz", "type: TYPE_INT64"}, {"variant", "type: TYPE_STRING"},
      {"decimal(10,2)", "type: TYPE_STRING"},
  };
  for (const Case& c : cases) {
    const auto check = checkOne(c.column, c.proto);
    EXPECT_NE(check.decoder, nullptr) << c.column << " / " << c.proto << ": " << check.message;
  }
}

TEST(DescriptorCheck, AcceptsIntegerEncodingsWhoseValuesFitTheColumn) {
  for (const char* proto : {"type: TYPE_SINT32", "type: TYPE_SFIXED32"}) {
    for (const char* column : {"tinyint", "smallint", "int", "date", "bigint", "timestamp"}) {
      EXPECT_NE(checkOne(column, proto).decoder, nullptr) << column << " / " << proto;
    }
  }
  for (const char* proto : {"type: TYPE_SINT64", "type: TYPE_SFIXED64", "type: TYPE_UINT32",
                            "type: TYPE_FIXED32"}) {
    EXPECT_NE(checkOne("bigint", proto).decoder, nullptr) << proto;
  }
  EXPECT_NE(checkOne("double", "type: TYPE_FLOAT").decoder, nullptr);
}

TEST(DescriptorCheck, RefusesTypesThatDoNotFitWithTypeIncompatible) {
  struct Case {
    const char* column;
    const char* proto;
  };
  const Case cases[] = {
      {"int", "type: TYPE_INT64"},        {"int", "type: TYPE_UINT32"},
      {"tinyint", "type: TYPE_INT64"},    {"bigint", "type: TYPE_UINT64"},
      {"bigint", "type: TYPE_FIXED64"},   {"float", "type: TYPE_DOUBLE"},
      {"boolean", "type: TYPE_INT32"},    {"string", "type: TYPE_BYTES"},
      {"binary", "type: TYPE_STRING"},    {"date", "type: TYPE_INT64"},
      {"timestamp", "type: TYPE_STRING"}, {"decimal(5,1)", "type: TYPE_DOUBLE"},
      {"string", "type: TYPE_INT32"},
  };
  for (const Case& c : cases) {
    const auto check = checkOne(c.column, c.proto);
    EXPECT_EQ(check.decoder, nullptr) << c.column << " / " << c.proto;
    EXPECT_THAT(check.causes, ElementsAre("TYPE_INCOMPATIBLE")) << c.column << " / " << c.proto;
  }
  const auto check = checkOne("int", "type: TYPE_STRING");
  EXPECT_EQ(check.message, "Field 'f' (optional string) is incompatible with column type int");
}

TEST(DescriptorCheck, RefusesFieldThatIsNotAColumn) {
  const auto check = compileProtoDecoder(
      parseDescriptor(R"(name: "T"
        field { name: "id" number: 1 label: LABEL_OPTIONAL type: TYPE_INT64 }
        field { name: "foo" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 })"),
      makeTable({{"id", "bigint"}}));
  EXPECT_EQ(check.decoder, nullptr);
  EXPECT_THAT(check.causes, ElementsAre("FIELD_NOT_IN_TABLE"));
  EXPECT_EQ(check.message, "Field 'foo' is not a column of table main.default.t");
}

TEST(DescriptorCheck, RefusesDescriptorMissingANotNullColumn) {
  const auto check = checkOne("bigint", "type: TYPE_INT64");
  EXPECT_NE(check.decoder, nullptr);
  const auto missing = compileProtoDecoder(
      oneField("type: TYPE_INT64"), makeTable({{"f", "bigint"}, {"id", "bigint", false}}));
  EXPECT_EQ(missing.decoder, nullptr);
  EXPECT_THAT(missing.causes, ElementsAre("MISSING_REQUIRED_COLUMN"));
  EXPECT_EQ(missing.message, "Column 'id' is NOT NULL but missing from the descriptor");
}

TEST(DescriptorCheck, AcceptsOptionalFieldForNotNullColumnAndNullableColumnsLeftOut) {
  const auto check = compileProtoDecoder(
      oneField("type: TYPE_INT64"),
      makeTable({{"f", "bigint", false}, {"note", "string"}, {"extra", "array<int>"}}));
  EXPECT_NE(check.decoder, nullptr) << check.message;
}

TEST(DescriptorCheck, CollectsEveryViolationWithDeduplicatedCauses) {
  const auto check = compileProtoDecoder(
      parseDescriptor(R"(name: "T"
        field { name: "a" number: 1 label: LABEL_OPTIONAL type: TYPE_INT64 }
        field { name: "b" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 }
        field { name: "c" number: 3 label: LABEL_OPTIONAL type: TYPE_STRING }
        field { name: "d" number: 4 label: LABEL_OPTIONAL type: TYPE_BOOL })"),
      makeTable({{"c", "int"}, {"d", "string"}, {"id", "bigint", false}}));
  EXPECT_EQ(check.decoder, nullptr);
  EXPECT_THAT(check.causes,
              ElementsAre("FIELD_NOT_IN_TABLE", "TYPE_INCOMPATIBLE", "MISSING_REQUIRED_COLUMN"));
  EXPECT_EQ(check.message,
            "Field 'a' is not a column of table main.default.t; "
            "Field 'b' is not a column of table main.default.t; "
            "Field 'c' (optional string) is incompatible with column type int; "
            "Field 'd' (optional bool) is incompatible with column type string; "
            "Column 'id' is NOT NULL but missing from the descriptor");
}

TEST(DescriptorCheck, MatchesFieldNamesToColumnsCaseInsensitively) {
  const auto check = compileProtoDecoder(
      parseDescriptor(R"(name: "T"
        field { name: "DEVICE_name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING })"),
      makeTable({{"Device_Name", "string", false}}));
  EXPECT_NE(check.decoder, nullptr) << check.message;
}

TEST(DescriptorCheck, RefusesTwoFieldsNamingOneColumn) {
  const auto check = compileProtoDecoder(
      parseDescriptor(R"(name: "T"
        field { name: "id" number: 1 label: LABEL_OPTIONAL type: TYPE_INT64 }
        field { name: "ID" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 })"),
      makeTable({{"id", "bigint"}}));
  EXPECT_EQ(check.decoder, nullptr);
  EXPECT_THAT(check.causes, ElementsAre("INVALID_DESCRIPTOR"));
}

TEST(DescriptorCheck, RefusesInvalidOrDuplicateFieldNumbers) {
  for (const char* numbers : {"number: 0", "number: 19000", "number: 536870912"}) {
    const auto check = compileProtoDecoder(
        parseDescriptor(std::string("name: \"T\" field { name: \"f\" ") + numbers +
                        " label: LABEL_OPTIONAL type: TYPE_INT32 }"),
        makeTable({{"f", "int"}}));
    EXPECT_EQ(check.decoder, nullptr) << numbers;
    EXPECT_THAT(check.causes, ElementsAre("INVALID_DESCRIPTOR")) << numbers;
  }
  const auto duplicate = compileProtoDecoder(
      parseDescriptor(R"(name: "T"
        field { name: "a" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 }
        field { name: "b" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 })"),
      makeTable({{"a", "int"}, {"b", "int"}}));
  EXPECT_EQ(duplicate.decoder, nullptr);
  EXPECT_THAT(duplicate.message, HasSubstr("reuses number 1"));
  // Large but valid numbers use the sparse index.
  const auto sparse = compileProtoDecoder(
      parseDescriptor(R"(name: "T"
        field { name: "a" number: 536870911 label: LABEL_OPTIONAL type: TYPE_INT32 })"),
      makeTable({{"a", "int"}}));
  EXPECT_NE(sparse.decoder, nullptr) << sparse.message;
}

TEST(DescriptorCheck, RefusesEnumsAndGroups) {
  const auto enum_check =
      checkOne("int", "type: TYPE_ENUM type_name: \"Color\"", "LABEL_OPTIONAL",
               "enum_type { name: \"Color\" value { name: \"RED\" number: 0 } }");
  EXPECT_EQ(enum_check.decoder, nullptr);
  EXPECT_THAT(enum_check.causes, ElementsAre("TYPE_INCOMPATIBLE"));
  EXPECT_THAT(enum_check.message, HasSubstr("enum"));

  const auto group_check = checkOne("struct<x:int>", "type: TYPE_GROUP type_name: \"F\"",
                                    "LABEL_OPTIONAL",
                                    "nested_type { name: \"F\" field { name: \"x\" number: 2 "
                                    "label: LABEL_OPTIONAL type: TYPE_INT32 } }");
  EXPECT_EQ(group_check.decoder, nullptr);
  EXPECT_THAT(group_check.causes, ElementsAre("TYPE_INCOMPATIBLE"));
  EXPECT_THAT(group_check.message, HasSubstr("group"));
}

TEST(DescriptorCheck, RequiresRepeatedFieldsForArraysAndOnlyForArrays) {
  EXPECT_NE(checkOne("array<int>", "type: TYPE_INT32", "LABEL_REPEATED").decoder, nullptr);
  const auto not_repeated = checkOne("array<int>", "type: TYPE_INT32");
  EXPECT_THAT(not_repeated.causes, ElementsAre("TYPE_INCOMPATIBLE"));
  EXPECT_THAT(not_repeated.message, HasSubstr("an array needs a repeated field"));
  const auto repeated = checkOne("int", "type: TYPE_INT32", "LABEL_REPEATED");
  EXPECT_THAT(repeated.causes, ElementsAre("TYPE_INCOMPATIBLE"));
  const auto wrong_element = checkOne("array<int>", "type: TYPE_STRING", "LABEL_REPEATED");
  EXPECT_THAT(wrong_element.causes, ElementsAre("TYPE_INCOMPATIBLE"));
}

TEST(DescriptorCheck, RefusesArraysOfArraysAndMaps) {
  for (const char* column : {"array<array<int>>", "array<map<string,int>>"}) {
    const auto check = checkOne(column, "type: TYPE_INT32", "LABEL_REPEATED");
    EXPECT_EQ(check.decoder, nullptr) << column;
    EXPECT_THAT(check.causes, ElementsAre("TYPE_INCOMPATIBLE")) << column;
  }
}

constexpr char kAttrsEntry[] = R"(nested_type { name: "FEntry"
    field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 }
    options { map_entry: true } })";

TEST(DescriptorCheck, AcceptsMapFieldsForMapColumns) {
  EXPECT_NE(checkOne("map<string,int>", "type: TYPE_MESSAGE type_name: \"FEntry\"",
                     "LABEL_REPEATED", kAttrsEntry)
                .decoder,
            nullptr);
  // A hand-written "*Entry" message without the map_entry option also reads as a map.
  const auto plain = checkOne("map<string,int>", "type: TYPE_MESSAGE type_name: \"FEntry\"",
                              "LABEL_REPEATED", R"(nested_type { name: "FEntry"
    field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 } })");
  EXPECT_NE(plain.decoder, nullptr) << plain.message;
}

TEST(DescriptorCheck, ChecksMapKeyAndValueTypes) {
  const auto wrong_value = checkOne("map<string,string>",
                                    "type: TYPE_MESSAGE type_name: \"FEntry\"", "LABEL_REPEATED",
                                    kAttrsEntry);
  EXPECT_EQ(wrong_value.decoder, nullptr);
  EXPECT_THAT(wrong_value.causes, ElementsAre("TYPE_INCOMPATIBLE"));
  EXPECT_THAT(wrong_value.message, HasSubstr("Field 'f.value'"));

  const auto float_key = checkOne("map<float,int>", "type: TYPE_MESSAGE type_name: \"FEntry\"",
                                  "LABEL_REPEATED", R"(nested_type { name: "FEntry"
    field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_FLOAT }
    field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 } })");
  EXPECT_THAT(float_key.causes, ElementsAre("TYPE_INCOMPATIBLE"));
  EXPECT_THAT(float_key.message, HasSubstr("not a valid map key"));

  const auto array_value = checkOne("map<string,array<int>>",
                                    "type: TYPE_MESSAGE type_name: \"FEntry\"", "LABEL_REPEATED",
                                    kAttrsEntry);
  EXPECT_THAT(array_value.causes, ElementsAre("TYPE_INCOMPATIBLE"));
}

TEST(DescriptorCheck, RefusesNonMapFieldsForMapColumnsAndMapsForArrays) {
  const auto plain_message = checkOne("map<string,int>", "type: TYPE_MESSAGE type_name: \"M\"",
                                      "LABEL_REPEATED",
                                      R"(nested_type { name: "M"
    field { name: "k" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "v" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 } })");
  EXPECT_THAT(plain_message.causes, ElementsAre("TYPE_INCOMPATIBLE"));
  const auto map_for_array =
      checkOne("array<struct<key:string,value:int>>", "type: TYPE_MESSAGE type_name: \"FEntry\"",
               "LABEL_REPEATED", kAttrsEntry);
  EXPECT_THAT(map_for_array.causes, ElementsAre("TYPE_INCOMPATIBLE"));
}

constexpr char kOrders[] = R"(name: "table_Orders"
  field { name: "id" number: 1 label: LABEL_REQUIRED type: TYPE_INT64 }
  field { name: "ship_to" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: "%s" }
  nested_type { name: "Address"
    field { name: "city" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "zip" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING } })";

std::string ordersWith(const std::string& type_name) {
  std::string text = kOrders;
  text.replace(text.find("%s"), 2, type_name);
  return text;
}

const TableSchema& ordersTable() {
  static const TableSchema table = makeTable(
      {{"id", "bigint", false}, {"ship_to", "struct<city:string,zip:string not null>"}},
      "main.sales.orders");
  return table;
}

TEST(DescriptorCheck, ResolvesTypeNamesRelativeQualifiedOrPackageQualified) {
  for (const char* type_name : {"Address", "table_Orders.Address", ".table_Orders.Address",
                                ".orders.table_Orders.Address", "orders.table_Orders.Address",
                                ".a.b.c.table_Orders.Address"}) {
    const auto check = compileProtoDecoder(parseDescriptor(ordersWith(type_name)), ordersTable());
    EXPECT_NE(check.decoder, nullptr) << type_name << ": " << check.message;
  }
}

TEST(DescriptorCheck, ResolvesTypeNameGivenWithoutAType) {
  auto descriptor = parseDescriptor(ordersWith(".pkg.table_Orders.Address"));
  descriptor.mutable_field(1)->clear_type();
  const auto check = compileProtoDecoder(descriptor, ordersTable());
  EXPECT_NE(check.decoder, nullptr) << check.message;
}

TEST(DescriptorCheck, ResolvesRelativeNamesFromTheInnermostScope) {
  // Inner.Address shadows the outer Address for references made inside Inner.
  const auto check = compileProtoDecoder(parseDescriptor(R"(name: "T"
    field { name: "outer" number: 1 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: "Inner" }
    nested_type { name: "Address"
      field { name: "wrong" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING } }
    nested_type { name: "Inner"
      field { name: "a" number: 1 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: "Address" }
      nested_type { name: "Address"
        field { name: "city" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING } } })"),
                                         makeTable({{"outer", "struct<a:struct<city:string>>"}}));
  EXPECT_NE(check.decoder, nullptr) << check.message;
}

TEST(DescriptorCheck, RefusesUnresolvableTypeName) {
  const auto check =
      compileProtoDecoder(parseDescriptor(ordersWith(".orders.Elsewhere")), ordersTable());
  EXPECT_EQ(check.decoder, nullptr);
  EXPECT_THAT(check.causes, ElementsAre("INVALID_DESCRIPTOR"));
  EXPECT_THAT(check.message, HasSubstr("'.orders.Elsewhere'"));
}

TEST(DescriptorCheck, ChecksStructMembersRecursively) {
  const auto unknown_member = compileProtoDecoder(parseDescriptor(R"(name: "T"
    field { name: "ship_to" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: "A" }
    nested_type { name: "A"
      field { name: "city" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
      field { name: "zip" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING }
      field { name: "planet" number: 3 label: LABEL_OPTIONAL type: TYPE_STRING } })"),
      makeTable({{"ship_to", "struct<city:string,zip:string>"}}));
  EXPECT_THAT(unknown_member.causes, ElementsAre("FIELD_NOT_IN_TABLE"));
  EXPECT_EQ(unknown_member.message,
            "Field 'ship_to.planet' is not a member of struct column 'ship_to'");

  const auto missing_member = compileProtoDecoder(parseDescriptor(R"(name: "T"
    field { name: "ship_to" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: "A" }
    nested_type { name: "A"
      field { name: "city" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 } })"),
      makeTable({{"ship_to", "struct<city:string,zip:string not null>"}}));
  EXPECT_THAT(missing_member.causes,
              ElementsAre("TYPE_INCOMPATIBLE", "MISSING_REQUIRED_COLUMN"));
  EXPECT_THAT(missing_member.message,
              HasSubstr("Struct member 'ship_to.zip' is NOT NULL but missing from the descriptor"));

  const auto scalar_for_struct = checkOne("struct<a:int>", "type: TYPE_INT32");
  EXPECT_THAT(scalar_for_struct.causes, ElementsAre("TYPE_INCOMPATIBLE"));
  const auto struct_for_scalar = checkOne("int", "type: TYPE_MESSAGE type_name: \"A\"",
                                          "LABEL_OPTIONAL", "nested_type { name: \"A\" }");
  EXPECT_THAT(struct_for_scalar.causes, ElementsAre("TYPE_INCOMPATIBLE"));
}

TEST(DescriptorCheck, AcceptsArraysOfStructsAndMapsOfStructs) {
  const auto check = compileProtoDecoder(parseDescriptor(R"(name: "T"
    field { name: "items" number: 1 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: "Item" }
    field { name: "by_sku" number: 2 label: LABEL_REPEATED type: TYPE_MESSAGE
            type_name: "BySkuEntry" }
    nested_type { name: "Item"
      field { name: "sku" number: 1 label: LABEL_REQUIRED type: TYPE_STRING }
      field { name: "qty" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 } }
    nested_type { name: "BySkuEntry"
      field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
      field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: "Item" }
      options { map_entry: true } })"),
      makeTable({{"items", "array<struct<sku:string not null,qty:int>>"},
                 {"by_sku", "map<string,struct<sku:string,qty:int>>"}}));
  EXPECT_NE(check.decoder, nullptr) << check.message;
}

TEST(DescriptorCheck, RefusesStructsNestedDeeperThanTheDecoderLimit) {
  // Built by hand: parseTypeText already refuses this depth.
  ColumnType type;
  type.kind = TypeKind::Int;
  std::string descriptor_text = "name: \"T\" field { name: \"c\" number: 1 label: LABEL_OPTIONAL "
                                "type: TYPE_MESSAGE type_name: \"M1\" }";
  for (int i = 0; i < 101; ++i) {
    ColumnType outer;
    outer.kind = TypeKind::Struct;
    outer.fields.push_back(StructField{"c", type, true});
    type = outer;
  }
  for (int i = 1; i <= 101; ++i) {
    descriptor_text += " nested_type { name: \"M" + std::to_string(i) +
                       "\" field { name: \"c\" number: 1 label: LABEL_OPTIONAL ";
    descriptor_text += i < 101
                           ? "type: TYPE_MESSAGE type_name: \"M" + std::to_string(i + 1) + "\" } }"
                           : std::string("type: TYPE_INT32 } }");
  }
  TableSchema table;
  table.full_name = "main.default.deep";
  table.columns.push_back(Column{"c", type, true, 0});
  const auto check = compileProtoDecoder(parseDescriptor(descriptor_text), table);
  EXPECT_EQ(check.decoder, nullptr);
  EXPECT_THAT(check.message, HasSubstr("deeper than 100"));
}

}  // namespace
}  // namespace zerobusd::fake
