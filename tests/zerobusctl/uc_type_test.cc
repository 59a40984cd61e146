#include "tools/zerobusctl/uc_type.h"

#include <string>

#include <gtest/gtest.h>

namespace zerobusd::ctl {
namespace {

UcKind kindOf(const std::string& text) {
  auto type = parseUcTypeText(text);
  EXPECT_TRUE(type.ok()) << text << ": " << type.status();
  return type.ok() ? type->kind : UcKind::kStruct;
}

std::string errorOf(const std::string& text) {
  auto type = parseUcTypeText(text);
  EXPECT_FALSE(type.ok()) << text << " parsed";
  return type.ok() ? "" : std::string(type.status().message());
}

TEST(UcTypeTest, ParsesEveryScalarNameCaseInsensitively) {
  EXPECT_EQ(kindOf("tinyint"), UcKind::kByte);
  EXPECT_EQ(kindOf("BYTE"), UcKind::kByte);
  EXPECT_EQ(kindOf("smallint"), UcKind::kShort);
  EXPECT_EQ(kindOf("Short"), UcKind::kShort);
  EXPECT_EQ(kindOf("int"), UcKind::kInt);
  EXPECT_EQ(kindOf("INTEGER"), UcKind::kInt);
  EXPECT_EQ(kindOf("bigint"), UcKind::kLong);
  EXPECT_EQ(kindOf("LONG"), UcKind::kLong);
  EXPECT_EQ(kindOf("float"), UcKind::kFloat);
  EXPECT_EQ(kindOf("double"), UcKind::kDouble);
  EXPECT_EQ(kindOf("boolean"), UcKind::kBoolean);
  EXPECT_EQ(kindOf("string"), UcKind::kString);
  EXPECT_EQ(kindOf("varchar(20)"), UcKind::kString);
  EXPECT_EQ(kindOf("binary"), UcKind::kBinary);
  EXPECT_EQ(kindOf("date"), UcKind::kDate);
  EXPECT_EQ(kindOf("timestamp"), UcKind::kTimestamp);
  EXPECT_EQ(kindOf("TIMESTAMP_NTZ"), UcKind::kTimestampNtz);
  EXPECT_EQ(kindOf("variant"), UcKind::kVariant);
  EXPECT_EQ(kindOf("  bigint  "), UcKind::kLong);
}

TEST(UcTypeTest, ParsesNestedArraysMapsAndStructs) {
  auto type = parseUcTypeText(
      "array<struct<sku:string, qty : int NOT NULL, `odd name`:map<string,struct<a:double>>>>");
  ASSERT_TRUE(type.ok()) << type.status();
  ASSERT_EQ(type->kind, UcKind::kArray);
  const UcType& element = type->children.at(0);
  ASSERT_EQ(element.kind, UcKind::kStruct);
  ASSERT_EQ(element.fields.size(), 3u);
  EXPECT_EQ(element.fields[0].name, "sku");
  EXPECT_EQ(element.fields[1].name, "qty");
  EXPECT_EQ(element.fields[1].type.kind, UcKind::kInt);
  EXPECT_EQ(element.fields[2].name, "odd name");
  const UcType& map = element.fields[2].type;
  ASSERT_EQ(map.kind, UcKind::kMap);
  EXPECT_EQ(map.children.at(0).kind, UcKind::kString);
  EXPECT_EQ(map.children.at(1).kind, UcKind::kStruct);
  EXPECT_EQ(map.children.at(1).fields.at(0).type.kind, UcKind::kDouble);
}

TEST(UcTypeTest, SkipsMemberComments) {
  auto type = parseUcTypeText(R"(struct<a:int COMMENT 'a, <odd> \'b\'',b:string comment "x">)");
  ASSERT_TRUE(type.ok()) << type.status();
  EXPECT_EQ(type->fields.size(), 2u);
}

TEST(UcTypeTest, RefusesTypesWithoutAProtoMapping) {
  EXPECT_NE(errorOf("decimal(10,2)").find("DECIMAL has no proto2 mapping"), std::string::npos);
  EXPECT_NE(errorOf("array<decimal(5,0)>").find("DECIMAL"), std::string::npos);
  EXPECT_NE(errorOf("char(3)").find("CHAR"), std::string::npos);
  EXPECT_NE(errorOf("interval day").find("interval"), std::string::npos);
  EXPECT_NE(errorOf("geography").find("no proto2 mapping"), std::string::npos);
  EXPECT_NE(errorOf("uuid").find("unknown type 'uuid'"), std::string::npos);
}

TEST(UcTypeTest, ReportsSyntaxErrorsWithAPosition) {
  EXPECT_NE(errorOf("array<int").find("expected '>' at position 10"), std::string::npos);
  EXPECT_NE(errorOf("map<string>").find("expected ','"), std::string::npos);
  EXPECT_NE(errorOf("struct<a int>").find("expected ':'"), std::string::npos);
  EXPECT_NE(errorOf("struct<:int>").find("expected a field name"), std::string::npos);
  EXPECT_NE(errorOf("int int").find("unexpected text"), std::string::npos);
  EXPECT_NE(errorOf("").find("expected a type"), std::string::npos);
  EXPECT_NE(errorOf("struct<`a:int>").find("unterminated"), std::string::npos);
  EXPECT_NE(errorOf("struct<a:int not nul>").find("NULL"), std::string::npos);
}

TEST(UcTypeTest, RefusesNestingDeeperThanTheLimit) {
  std::string ok;
  for (int i = 0; i < kMaxTypeDepth; ++i) ok += "array<";
  ok += "int";
  for (int i = 0; i < kMaxTypeDepth; ++i) ok += ">";
  EXPECT_TRUE(parseUcTypeText(ok).ok());
  // A hostile, very deep text fails cleanly instead of exhausting the stack.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "array<";
  EXPECT_NE(errorOf(deep).find("nested more than 100 levels"), std::string::npos);
}

}  // namespace
}  // namespace zerobusd::ctl
