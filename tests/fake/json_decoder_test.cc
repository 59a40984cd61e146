// The JSON RowDecoder: records as JSON objects checked against the table's columns.

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fake/schema_test_util.h"
#include "tools/zerobus-fake/row_decoder.h"

namespace zerobusd::fake {
namespace {

using ::testing::HasSubstr;
using testing::decodeError;
using testing::decodeToJson;
using testing::makeTable;

const RowDecoder& decoder() {
  static const auto table = makeTable({{"id", "bigint", false},
                                       {"b", "tinyint"},
                                       {"s", "smallint"},
                                       {"i", "int"},
                                       {"f", "float"},
                                       {"d", "double"},
                                       {"ok", "boolean"},
                                       {"name", "string"},
                                       {"bin", "binary"},
                                       {"day", "date"},
                                       {"ts", "timestamp"},
                                       {"ntz", "timestamp_ntz"},
                                       {"v", "variant"},
                                       {"dec", "decimal(5,2)"},
                                       {"tags", "array<string>"},
                                       {"grid", "array<array<int>>"},
                                       {"attrs", "map<string,int>"},
                                       {"by_day", "map<date,string>"},
                                       {"by_num", "map<smallint,boolean>"},
                                       {"addr", "struct<city:string not null,zip:string>"}},
                                      "main.default.events");
  static const auto json_decoder = makeJsonDecoder(table);
  return *json_decoder;
}

bool accepts(const std::string& record) {
  std::string error;
  const bool ok = decoder().decode(record, nullptr, &error);
  EXPECT_TRUE(ok || !error.empty());
  return ok;
}

TEST(JsonDecoder, ReserializesAnAcceptedRecordCompactlyInKeyOrder) {
  EXPECT_EQ(decodeToJson(decoder(), R"(  { "id" : 1, "name":"caf\u00e9 \"x\"", "b": -3,
                                           "addr": {"zip": null, "city": "Oslo"},
                                           "tags": ["a", "b"], "d": 1.5e3 } )"),
            "{\"id\":1,\"name\":\"caf\xc3\xa9 \\\"x\\\"\",\"b\":-3,"
            "\"addr\":{\"zip\":null,\"city\":\"Oslo\"},\"tags\":[\"a\",\"b\"],\"d\":1500.0}");
}

TEST(JsonDecoder, AppendsToTheJsonRow) {
  std::string row = "x";
  std::string error;
  ASSERT_TRUE(decoder().decode(R"({"id":2})", &row, &error)) << error;
  EXPECT_EQ(row, R"(x{"id":2})");
  EXPECT_TRUE(decoder().decode(R"({"id":2})", nullptr, nullptr));
}

TEST(JsonDecoder, RefusesRecordsThatAreNotJsonObjects) {
  EXPECT_EQ(decodeError(decoder(), "{\"id\":1"), "record is not valid JSON");
  EXPECT_EQ(decodeError(decoder(), "{\"id\":1} x"), "record is not valid JSON");
  EXPECT_EQ(decodeError(decoder(), ""), "record is not valid JSON");
  EXPECT_EQ(decodeError(decoder(), "{\"id\":1,\"name\":\"\xff\"}"), "record is not valid JSON");
  EXPECT_EQ(decodeError(decoder(), "[1]"), "record is a JSON array, not an object");
  EXPECT_EQ(decodeError(decoder(), "42"), "record is a JSON number, not an object");
}

TEST(JsonDecoder, MatchesKeysToColumnsCaseInsensitively) {
  EXPECT_TRUE(accepts(R"({"ID":1,"Name":"x","ADDR":{"CITY":"y"}})"));
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"Id":2})"),
            "column 'id' appears twice (keys differ only in case)");
}

TEST(JsonDecoder, RefusesKeysThatAreNotColumns) {
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"color":"red"})"),
            "key 'color' is not a column of table main.default.events");
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"addr":{"city":"x","planet":"y"}})"),
            "key 'addr.planet' is not a member of struct column 'addr'");
}

TEST(JsonDecoder, RequiresNotNullColumnsPresentAndNonNull) {
  EXPECT_EQ(decodeError(decoder(), R"({"name":"x"})"), "missing NOT NULL column 'id'");
  EXPECT_EQ(decodeError(decoder(), R"({"id":null})"), "column 'id' is NOT NULL but null");
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"addr":{"zip":"1"}})"),
            "missing NOT NULL column 'addr.city'");
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"addr":{"city":null}})"),
            "column 'addr.city' is NOT NULL but null");
  EXPECT_TRUE(accepts(R"({"id":1,"name":null,"addr":null,"tags":null})"));
}

TEST(JsonDecoder, ChecksIntegerKindsAndRanges) {
  EXPECT_TRUE(accepts(R"({"id":-9223372036854775808,"b":127,"s":-32768,"i":2147483647})"));
  EXPECT_TRUE(accepts(R"({"id":9223372036854775807})"));
  EXPECT_EQ(decodeError(decoder(), R"({"id":9223372036854775808})"),
            "column 'id': 9223372036854775808 is out of range for bigint");
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"b":128})"),
            "column 'b': 128 is out of range for tinyint");
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"s":40000})"), HasSubstr("out of range"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"i":-2147483649})"), HasSubstr("out of range"));
  EXPECT_EQ(decodeError(decoder(), R"({"id":1.5})"),
            "column 'id' (bigint): expected an integer, got number");
  EXPECT_EQ(decodeError(decoder(), R"({"id":"1"})"),
            "column 'id' (bigint): expected an integer, got string");
}

TEST(JsonDecoder, ChecksFloatingPointBooleanAndStringKinds) {
  EXPECT_TRUE(accepts(R"({"id":1,"f":1,"d":-2.5e-300,"ok":false,"name":""})"));
  EXPECT_TRUE(accepts(R"({"id":1,"f":"NaN","d":"-Infinity"})"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"f":1e39})"), HasSubstr("out of range for float"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"d":"1.5"})"), HasSubstr("expected a number"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"ok":1})"), HasSubstr("expected a boolean"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"name":5})"), HasSubstr("expected a string"));
}

TEST(JsonDecoder, AcceptsDatesAndTimestampsAsTextOrIntegers) {
  EXPECT_TRUE(accepts(R"({"id":1,"day":"2024-02-29","ts":"2024-06-01T12:30:00.123456Z",
                          "ntz":"2024-06-01 12:30:00"})"));
  EXPECT_TRUE(accepts(R"({"id":1,"day":19000,"ts":1717245000000000,"ntz":-1})"));
  EXPECT_TRUE(accepts(R"({"id":1,"ts":"2024-06-01T12:30+02:00","ntz":"2024-06-01"})"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"day":"2023-02-29"})"),
              HasSubstr("expected a yyyy-mm-dd date"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"day":"yesterday"})"), HasSubstr("date"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"day":3000000000})"), HasSubstr("out of range"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"ts":"2024-06-01T25:00:00"})"),
              HasSubstr("ISO-8601"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"ts":1.5})"), HasSubstr("microseconds"));
}

TEST(JsonDecoder, ChecksDecimalsAsTextOrNumbers) {
  EXPECT_TRUE(accepts(R"({"id":1,"dec":"123.45"})"));
  EXPECT_TRUE(accepts(R"({"id":1,"dec":-999.99})"));
  EXPECT_TRUE(accepts(R"({"id":1,"dec":12})"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"dec":"1234.5"})"), HasSubstr("decimal"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"dec":1000})"), HasSubstr("out of range"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"dec":true})"), HasSubstr("expected a decimal"));
}

TEST(JsonDecoder, AcceptsBinaryAsBase64Only) {
  EXPECT_TRUE(accepts(R"({"id":1,"bin":"AP8Q"})"));
  EXPECT_TRUE(accepts(R"({"id":1,"bin":"Zg=="})"));
  EXPECT_TRUE(accepts(R"({"id":1,"bin":"Zg"})"));
  EXPECT_TRUE(accepts(R"({"id":1,"bin":""})"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"bin":"not base64!"})"), HasSubstr("base64"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"bin":"Z"})"), HasSubstr("base64"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"bin":[1,2]})"), HasSubstr("base64"));
}

TEST(JsonDecoder, AcceptsAnyValueForVariantButBoundsItsDepth) {
  EXPECT_TRUE(accepts(R"({"id":1,"v":{"a":[1,{"b":null}],"c":"x"}})"));
  EXPECT_TRUE(accepts(R"({"id":1,"v":"text"})"));
  EXPECT_TRUE(accepts(R"({"id":1,"v":[]})"));
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_THAT(decodeError(decoder(), "{\"id\":1,\"v\":" + deep + "}"),
              HasSubstr("variant nested deeper than 1000"));
}

TEST(JsonDecoder, SurvivesADeeplyNestedDocument) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  std::string error;
  EXPECT_FALSE(decoder().decode("{\"id\":1,\"tags\":" + deep + "}", nullptr, &error));
  EXPECT_FALSE(decoder().decode(deep, nullptr, &error));
}

TEST(JsonDecoder, ChecksArraysElementByElement) {
  EXPECT_TRUE(accepts(R"({"id":1,"tags":[],"grid":[[1,2],[],[3]]})"));
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"tags":["a",null]})"),
            "column 'tags[1]': array elements cannot be null");
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"grid":[[1],[2,"x"]]})"),
            "column 'grid[1][1]' (int): expected an integer, got string");
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"tags":"a"})"), HasSubstr("expected an array"));
}

TEST(JsonDecoder, ChecksMapKeysAndValues) {
  EXPECT_TRUE(accepts(R"({"id":1,"attrs":{"a":1,"b":-2},"by_day":{"2024-01-01":"x","19000":"y"},
                          "by_num":{"-5":true,"32767":false}})"));
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"attrs":{"a":"1"}})"),
            "column 'attrs[\"a\"]' (int): expected an integer, got string");
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"attrs":{"a":null}})"),
            "column 'attrs[\"a\"]': map values cannot be null");
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"by_num":{"40000":true}})"),
            "column 'by_num[\"40000\"]': key is not a smallint");
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"by_day":{"soon":"x"}})"), HasSubstr("key"));
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"attrs":[1]})"), HasSubstr("expected an object"));
}

TEST(JsonDecoder, ChecksStructsRecursively) {
  EXPECT_THAT(decodeError(decoder(), R"({"id":1,"addr":"Oslo"})"),
              HasSubstr("expected an object (struct)"));
  EXPECT_EQ(decodeError(decoder(), R"({"id":1,"addr":{"city":1}})"),
            "column 'addr.city' (string): expected a string, got number");
}

TEST(JsonDecoder, SurvivesRandomInput) {
  const std::string seed = R"({"id":1,"name":"x","tags":["a"],"attrs":{"k":1},"addr":{"city":"c"},)"
                           R"("v":[1,{"a":2}],"dec":"1.5"})";
  uint32_t state = 12345;
  auto next = [&] {
    state = state * 1103515245u + 12345u;
    return state >> 8;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string input = seed;
    for (int m = 0; m < 3; ++m) {
      const size_t at = next() % (input.size() + 1);
      switch (next() % 3) {
        case 0: input.insert(at, 1, static_cast<char>(next() & 0xFF)); break;
        case 1: if (at < input.size()) input.erase(at, 1); break;
        default: if (at < input.size()) input[at] = static_cast<char>(next() & 0xFF); break;
      }
    }
    std::string json;
    std::string error;
    if (decoder().decode(input, &json, &error)) {
      ASSERT_TRUE(nlohmann::json::accept(json)) << json;
    } else {
      ASSERT_FALSE(error.empty());
    }
  }
}

}  // namespace
}  // namespace zerobusd::fake
