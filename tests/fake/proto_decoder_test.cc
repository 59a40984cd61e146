// The PROTO RowDecoder: wire-format walking, value checks, JSON rendering, robustness.

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/fake/schema_test_util.h"
#include "tools/zerobus-fake/row_decoder.h"

namespace zerobusd::fake {
namespace {

using ::testing::HasSubstr;
using testing::decodeError;
using testing::decodeToJson;
using testing::fixed32;
using testing::lengthDelimited;
using testing::makeTable;
using testing::parseDescriptor;
using testing::RecordEncoder;
using testing::tag;
using testing::varint;

// A compiled decoder plus an encoder for the same descriptor.
struct Fixture {
  Fixture(const std::string& descriptor_text, const TableSchema& table,
          const std::string& package = "")
      : descriptor(parseDescriptor(descriptor_text)), encoder(descriptor, package) {
    DescriptorCheck check = compileProtoDecoder(descriptor, table);
    EXPECT_NE(check.decoder, nullptr) << check.message;
    decoder = std::move(check.decoder);
  }
  std::string json(const std::string& record_text) {
    return decodeToJson(*decoder, encoder.encode(record_text));
  }
  std::string error(const std::string& record_bytes) { return decodeError(*decoder, record_bytes); }

  google::protobuf::DescriptorProto descriptor;
  RecordEncoder encoder;
  std::unique_ptr<RowDecoder> decoder;
};

constexpr char kAirQuality[] = R"(name: "AirQuality"
  field { name: "device_name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
  field { name: "temp" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 }
  field { name: "humidity" number: 3 label: LABEL_OPTIONAL type: TYPE_INT64 })";

const TableSchema& airQualityTable() {
  static const TableSchema table =
      makeTable({{"device_name", "string"}, {"temp", "int"}, {"humidity", "bigint"}},
                "main.default.air_quality");
  return table;
}

Fixture airQuality() { return Fixture(kAirQuality, airQualityTable()); }

TEST(ProtoDecoder, RendersARecordAsCompactJsonInDeclarationOrder) {
  Fixture f = airQuality();
  EXPECT_EQ(f.json(R"(device_name: "sensor-1" temp: 21 humidity: 45)"),
            R"({"device_name":"sensor-1","temp":21,"humidity":45})");
  // Wire order does not matter: declaration order does.
  const std::string reordered = tag(3, 0) + varint(45) + tag(2, 0) + varint(21) +
                                lengthDelimited(1, "s");
  EXPECT_EQ(decodeToJson(*f.decoder, reordered), R"({"device_name":"s","temp":21,"humidity":45})");
}

TEST(ProtoDecoder, OmitsAbsentOptionalFieldsAndAcceptsAnEmptyRecord) {
  Fixture f = airQuality();
  EXPECT_EQ(f.json("temp: -7"), R"({"temp":-7})");
  EXPECT_EQ(decodeToJson(*f.decoder, ""), "{}");
}

TEST(ProtoDecoder, AppendsToTheJsonRowAndValidatesWithoutIt) {
  Fixture f = airQuality();
  const std::string record = f.encoder.encode("temp: 1");
  std::string row = "[";
  std::string error;
  ASSERT_TRUE(f.decoder->decode(record, &row, &error)) << error;
  EXPECT_EQ(row, R"([{"temp":1})");
  EXPECT_TRUE(f.decoder->decode(record, nullptr, &error));
  EXPECT_TRUE(f.decoder->decode(record, nullptr, nullptr));
  EXPECT_FALSE(f.decoder->decode(tag(9, 0) + varint(1), nullptr, nullptr));
}

TEST(ProtoDecoder, LastOccurrenceOfASingularFieldWins) {
  Fixture f = airQuality();
  const std::string record = tag(2, 0) + varint(1) + tag(3, 0) + varint(5) + tag(2, 0) + varint(2);
  EXPECT_EQ(decodeToJson(*f.decoder, record), R"({"temp":2,"humidity":5})");
}

constexpr char kAllTypes[] = R"(name: "AllTypes"
  field { name: "b" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 }
  field { name: "s" number: 2 label: LABEL_OPTIONAL type: TYPE_SINT32 }
  field { name: "i" number: 3 label: LABEL_OPTIONAL type: TYPE_SFIXED32 }
  field { name: "l" number: 4 label: LABEL_OPTIONAL type: TYPE_INT64 }
  field { name: "f" number: 5 label: LABEL_OPTIONAL type: TYPE_FLOAT }
  field { name: "d" number: 6 label: LABEL_OPTIONAL type: TYPE_DOUBLE }
  field { name: "ok" number: 7 label: LABEL_OPTIONAL type: TYPE_BOOL }
  field { name: "str" number: 8 label: LABEL_OPTIONAL type: TYPE_STRING }
  field { name: "bin" number: 9 label: LABEL_OPTIONAL type: TYPE_BYTES }
  field { name: "day" number: 10 label: LABEL_OPTIONAL type: TYPE_INT32 }
  field { name: "ts" number: 11 label: LABEL_OPTIONAL type: TYPE_INT64 }
  field { name: "ntz" number: 12 label: LABEL_OPTIONAL type: TYPE_SFIXED64 }
  field { name: "v" number: 13 label: LABEL_OPTIONAL type: TYPE_STRING }
  field { name: "dec" number: 14 label: LABEL_OPTIONAL type: TYPE_STRING }
  field { name: "big" number: 15 label: LABEL_OPTIONAL type: TYPE_SINT64 }
  field { name: "u" number: 16 label: LABEL_OPTIONAL type: TYPE_UINT32 }
  field { name: "fx" number: 17 label: LABEL_OPTIONAL type: TYPE_FIXED32 })";

const TableSchema& allTypesTable() {
  static const TableSchema table = makeTable({{"b", "tinyint"},
                                              {"s", "smallint"},
                                              {"i", "int"},
                                              {"l", "bigint"},
                                              {"f", "float"},
                                              {"d", "double"},
                                              {"ok", "boolean"},
                                              {"str", "string"},
                                              {"bin", "binary"},
                                              {"day", "date"},
                                              {"ts", "timestamp"},
                                              {"ntz", "timestamp_ntz"},
                                              {"v", "variant"},
                                              {"dec", "decimal(10,2)"},
                                              {"big", "bigint"},
                                              {"u", "bigint"},
                                              {"fx", "bigint"}});
  return table;
}

TEST(ProtoDecoder, DecodesEveryColumnTypeExactly) {
  Fixture f(kAllTypes, allTypesTable());
  EXPECT_EQ(
      f.json(R"(b: -5 s: -300 i: -70000 l: 9007199254740993 f: 0.1 d: 0.1 ok: true
               str: "h\"i\n\001\\\x7f\303\251" bin: "\000\377\020" day: 19000
               ts: 1700000000000000 ntz: -1 v: "{\"a\":[1,2]}" dec: "-12.50"
               big: -9223372036854775808 u: 4294967295 fx: 4000000000)"),
      R"({"b":-5,"s":-300,"i":-70000,"l":9007199254740993,"f":0.1,"d":0.1,"ok":true,)"
      R"("str":"h\"i\n\u0001\\)"
      "\x7f\xc3\xa9"
      R"(","bin":"AP8Q","day":19000,"ts":1700000000000000,"ntz":-1,"v":"{\"a\":[1,2]}",)"
      R"("dec":"-12.50","big":-9223372036854775808,"u":4294967295,"fx":4000000000})");
}

TEST(ProtoDecoder, RendersFloatsWithRoundTripPrecisionAndNonFiniteAsStrings) {
  Fixture f(kAllTypes, allTypesTable());
  EXPECT_EQ(f.json("f: 3.4028235e38 d: 2.2250738585072014e-308"),
            R"({"f":3.4028235e+38,"d":2.2250738585072014e-308})");
  EXPECT_EQ(f.json("f: nan d: -inf"), R"({"f":"NaN","d":"-Infinity"})");
  EXPECT_EQ(f.json("f: inf d: 1e300"), R"({"f":"Infinity","d":1e+300})");
  EXPECT_EQ(f.json("d: 0.30000000000000004 f: -0"), R"({"f":-0,"d":0.30000000000000004})");
  const std::string json = f.json("d: 0.1 f: 16777217");
  const auto parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed["d"].get<double>(), 0.1);
  EXPECT_EQ(parsed["f"].get<double>(), 16777216.0);
}

TEST(ProtoDecoder, RendersBytesAsBase64WithPadding) {
  Fixture f(kAllTypes, allTypesTable());
  EXPECT_EQ(f.json(R"(bin: "")"), R"({"bin":""})");
  EXPECT_EQ(f.json(R"(bin: "f")"), R"({"bin":"Zg=="})");
  EXPECT_EQ(f.json(R"(bin: "fo")"), R"({"bin":"Zm8="})");
  EXPECT_EQ(f.json(R"(bin: "foo")"), R"({"bin":"Zm9v"})");
  EXPECT_EQ(f.json(R"(bin: "foob")"), R"({"bin":"Zm9vYg=="})");
}

TEST(ProtoDecoder, RangeChecksNarrowIntegerColumns) {
  Fixture f(kAllTypes, allTypesTable());
  EXPECT_EQ(f.json("b: 127 s: 32767"), R"({"b":127,"s":32767})");
  EXPECT_EQ(f.json("b: -128 s: -32768"), R"({"b":-128,"s":-32768})");
  EXPECT_EQ(f.error(f.encoder.encode("b: 128")),
            "field 'b' (1): value 128 out of range for tinyint at byte 1");
  EXPECT_THAT(f.error(f.encoder.encode("b: -129")), HasSubstr("value -129 out of range"));
  EXPECT_THAT(f.error(f.encoder.encode("s: 32768")), HasSubstr("out of range for smallint"));
  EXPECT_THAT(f.error(f.encoder.encode("s: -32769")), HasSubstr("value -32769"));
}

TEST(ProtoDecoder, AcceptsNegativeInt32AsTenByteVarint) {
  Fixture f = airQuality();
  const std::string record = f.encoder.encode("temp: -1");
  EXPECT_EQ(record.size(), 11u);  // tag + 10-byte sign-extended varint
  EXPECT_EQ(decodeToJson(*f.decoder, record), R"({"temp":-1})");
}

TEST(ProtoDecoder, ChecksDecimalAndVariantText) {
  Fixture f(kAllTypes, allTypesTable());
  EXPECT_EQ(f.json(R"(dec: "12345678.12")"), R"({"dec":"12345678.12"})");
  EXPECT_EQ(f.json(R"(dec: "1.230")"), R"({"dec":"1.230"})");
  EXPECT_EQ(f.json(R"(dec: "007")"), R"({"dec":"007"})");
  for (const char* bad : {"123456789.1", "1.234", "abc", "", "1e5", "--1", "."}) {
    EXPECT_THAT(f.error(f.encoder.encode(std::string("dec: \"") + bad + "\"")),
                HasSubstr("not a decimal literal that fits decimal(10,2)"))
        << bad;
  }
  EXPECT_EQ(f.json(R"(v: "[1, \"x\", null]")"), R"({"v":"[1, \"x\", null]"})");
  EXPECT_EQ(f.json(R"(v: "42")"), R"({"v":"42"})");
  EXPECT_THAT(f.error(f.encoder.encode(R"(v: "{bad")")), HasSubstr("not valid JSON for a variant"));
}

TEST(ProtoDecoder, RefusesInvalidUtf8InStringColumns) {
  Fixture f = airQuality();
  EXPECT_EQ(f.error(lengthDelimited(1, "ab\xc3\x28")),
            "field 'device_name' (1): invalid UTF-8 at byte 4");
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\xe2\x82",
                          "\x80"}) {
    EXPECT_THAT(f.error(lengthDelimited(1, bad)), HasSubstr("invalid UTF-8")) << bad;
  }
  EXPECT_EQ(decodeToJson(*f.decoder, lengthDelimited(1, "\xf0\x9f\x98\x80 caf\xc3\xa9")),
            "{\"device_name\":\"\xf0\x9f\x98\x80 caf\xc3\xa9\"}");
  // bytes columns take any bytes.
  Fixture all(kAllTypes, allTypesTable());
  EXPECT_EQ(decodeToJson(*all.decoder, lengthDelimited(9, "\xc3\x28")), R"({"bin":"wyg="})");
}

TEST(ProtoDecoder, RefusesUnknownFieldNumber) {
  Fixture f = airQuality();
  EXPECT_EQ(f.error(tag(2, 0) + varint(1) + tag(7, 0) + varint(1)),
            "unknown field number 7 (wire type 0) at byte 2");
  EXPECT_EQ(f.error(tag(0, 0) + varint(1)), "invalid tag 0 at byte 0");
}

TEST(ProtoDecoder, RefusesWrongWireTypes) {
  Fixture f = airQuality();
  EXPECT_EQ(f.error(lengthDelimited(2, "x")), "field 'temp' (2): wire type 2, expected varint");
  EXPECT_EQ(f.error(tag(1, 0) + varint(3)),
            "field 'device_name' (1): wire type 0, expected length-delimited");
  EXPECT_EQ(f.error(tag(3, 5) + fixed32(1)), "field 'humidity' (3): wire type 5, expected varint");
  EXPECT_EQ(f.error(tag(2, 3) + tag(2, 4)), "field 'temp' (2): wire type 3, expected varint");
  EXPECT_EQ(f.error(tag(2, 7)), "field 'temp' (2): wire type 7, expected varint");
}

TEST(ProtoDecoder, RefusesTruncatedInput) {
  Fixture f = airQuality();
  EXPECT_EQ(f.error(std::string("\x10\x80", 2)), "field 'temp' (2): truncated varint at byte 1");
  EXPECT_EQ(f.error(std::string("\x80", 1)), "truncated varint at byte 0");
  EXPECT_EQ(f.error(tag(1, 2) + varint(10) + "short"),
            "field 'device_name' (1): length 10 at byte 1 exceeds the 5 bytes left");
  EXPECT_EQ(f.error(tag(1, 2)), "field 'device_name' (1): truncated varint at byte 1");
  Fixture all(kAllTypes, allTypesTable());
  EXPECT_EQ(all.error(tag(3, 5) + "\x01\x02"), "field 'i' (3): truncated fixed32 at byte 1");
  EXPECT_EQ(all.error(tag(6, 1) + "\x01\x02\x03"), "field 'd' (6): truncated fixed64 at byte 1");
  // Every strict prefix of a record that ends inside a field is refused.
  const std::string record = f.encoder.encode(R"(device_name: "sensor-1" temp: -3 humidity: 300)");
  for (size_t size : {1u, 5u, 11u, 13u, 22u, 23u}) {
    ASSERT_LT(size, record.size());
    std::string error;
    EXPECT_FALSE(f.decoder->decode(std::string_view(record).substr(0, size), nullptr, &error))
        << size;
  }
}

TEST(ProtoDecoder, RefusesOverlongVarints) {
  Fixture f = airQuality();
  const std::string eleven = tag(3, 0) + std::string(10, '\xff') + "\x01";
  EXPECT_EQ(f.error(eleven), "field 'humidity' (3): varint longer than 10 bytes at byte 1");
  // Ten bytes, but the last one carries bits beyond 64.
  const std::string overflow = tag(3, 0) + std::string(9, '\xff') + "\x02";
  EXPECT_EQ(f.error(overflow), "field 'humidity' (3): varint longer than 10 bytes at byte 1");
  const std::string max = tag(3, 0) + std::string(9, '\xff') + "\x01";
  EXPECT_EQ(decodeToJson(*f.decoder, max), R"({"humidity":-1})");
  EXPECT_THAT(f.error(std::string(11, '\xff')), HasSubstr("varint longer than 10 bytes at byte 0"));
}

TEST(ProtoDecoder, RefusesGarbageBytes) {
  Fixture f = airQuality();
  for (const std::string& garbage :
       {std::string("\xff\xff\xff"), std::string("hello world"), std::string("\x00\x00", 2),
        std::string("{\"temp\":1}"), std::string("\x0a\xff\xff\xff\xff\x0f")}) {
    std::string error;
    EXPECT_FALSE(f.decoder->decode(garbage, nullptr, &error)) << garbage;
    EXPECT_FALSE(error.empty());
  }
}

constexpr char kRepeated[] = R"(name: "R"
  field { name: "ids" number: 1 label: LABEL_REPEATED type: TYPE_INT64 }
  field { name: "tags" number: 2 label: LABEL_REPEATED type: TYPE_STRING }
  field { name: "small" number: 3 label: LABEL_REPEATED type: TYPE_INT32 options { packed: true } }
  field { name: "ratios" number: 4 label: LABEL_REPEATED type: TYPE_DOUBLE
          options { packed: true } }
  field { name: "flags" number: 5 label: LABEL_REPEATED type: TYPE_BOOL }
  field { name: "codes" number: 6 label: LABEL_REPEATED type: TYPE_SFIXED32 })";

const TableSchema& repeatedTable() {
  static const TableSchema table = makeTable({{"ids", "array<bigint>"},
                                              {"tags", "array<string>"},
                                              {"small", "array<tinyint>"},
                                              {"ratios", "array<double>"},
                                              {"flags", "array<boolean>"},
                                              {"codes", "array<smallint>"}});
  return table;
}

TEST(ProtoDecoder, DecodesPackedAndUnpackedRepeatedFields) {
  Fixture f(kRepeated, repeatedTable());
  const std::string record = f.encoder.encode(
      R"(ids: 1 ids: -2 tags: "a" tags: "" small: 1 small: -128 small: 127
         ratios: 0.5 ratios: -1 flags: true flags: false codes: -32768 codes: 7)");
  EXPECT_EQ(decodeToJson(*f.decoder, record),
            R"({"ids":[1,-2],"tags":["a",""],"small":[1,-128,127],"ratios":[0.5,-1],)"
            R"("flags":[true,false],"codes":[-32768,7]})");
  // Packed where the descriptor did not ask for it, and unpacked where it did: both accepted.
  const std::string mixed = lengthDelimited(1, varint(5) + varint(6)) + tag(3, 0) + varint(9) +
                            lengthDelimited(6, fixed32(1) + fixed32(2));
  EXPECT_EQ(decodeToJson(*f.decoder, mixed), R"({"ids":[5,6],"small":[9],"codes":[1,2]})");
  EXPECT_EQ(decodeToJson(*f.decoder, lengthDelimited(1, "")), R"({"ids":[]})");
}

TEST(ProtoDecoder, GathersNonContiguousRepeatedOccurrences) {
  Fixture f(kRepeated, repeatedTable());
  const std::string record = tag(1, 0) + varint(1) + lengthDelimited(2, "x") + tag(1, 0) +
                             varint(2) + lengthDelimited(1, varint(3) + varint(4)) +
                             lengthDelimited(2, "y");
  EXPECT_EQ(decodeToJson(*f.decoder, record), R"({"ids":[1,2,3,4],"tags":["x","y"]})");
}

TEST(ProtoDecoder, ChecksPackedRunsElementByElement) {
  Fixture f(kRepeated, repeatedTable());
  EXPECT_EQ(f.error(lengthDelimited(3, varint(1) + varint(200))),
            "field 'small' (3): value 200 out of range for tinyint at byte 3");
  EXPECT_EQ(f.error(lengthDelimited(1, "\x80")), "field 'ids' (1): truncated varint at byte 2");
  EXPECT_EQ(f.error(lengthDelimited(4, "1234567")),
            "field 'ratios' (4): packed length 7 is not a multiple of 8 at byte 1");
  EXPECT_EQ(f.error(lengthDelimited(6, fixed32(40000))),
            "field 'codes' (6): value 40000 out of range for smallint at byte 2");
  // Strings are never packed.
  EXPECT_EQ(f.error(tag(2, 0) + varint(1)),
            "field 'tags' (2): wire type 0, expected length-delimited");
}

constexpr char kOrders[] = R"(name: "table_Orders"
  field { name: "id" number: 1 label: LABEL_REQUIRED type: TYPE_INT64 }
  field { name: "ship_to" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE
          type_name: ".orders.table_Orders.Address" }
  field { name: "items" number: 3 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: "Item" }
  field { name: "attrs" number: 4 label: LABEL_REPEATED type: TYPE_MESSAGE
          type_name: "AttrsEntry" }
  field { name: "stock" number: 5 label: LABEL_REPEATED type: TYPE_MESSAGE
          type_name: "table_Orders.StockEntry" }
  field { name: "note" number: 6 label: LABEL_OPTIONAL type: TYPE_STRING }
  nested_type { name: "Address"
    field { name: "city" number: 1 label: LABEL_REQUIRED type: TYPE_STRING }
    field { name: "zip" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "geo" number: 3 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: "Geo" }
    nested_type { name: "Geo"
      field { name: "lat" number: 1 label: LABEL_OPTIONAL type: TYPE_DOUBLE }
      field { name: "lon" number: 2 label: LABEL_OPTIONAL type: TYPE_DOUBLE } } }
  nested_type { name: "Item"
    field { name: "sku" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "qty" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 } }
  nested_type { name: "AttrsEntry"
    field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING }
    options { map_entry: true } }
  nested_type { name: "StockEntry"
    field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_INT32 }
    field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: "Item" }
    options { map_entry: true } })";

const TableSchema& ordersTable() {
  static const TableSchema table = makeTable(
      {{"id", "bigint", false},
       {"ship_to", "struct<city:string not null,zip:string,geo:struct<lat:double,lon:double>>"},
       {"items", "array<struct<sku:string,qty:smallint>>"},
       {"attrs", "map<string,string>"},
       {"stock", "map<int,struct<sku:string,qty:int>>"},
       {"note", "string", false}},
      "main.sales.orders");
  return table;
}

Fixture orders() { return Fixture(kOrders, ordersTable(), "orders"); }

TEST(ProtoDecoder, DecodesNestedMessagesArraysOfStructsAndMaps) {
  Fixture f = orders();
  EXPECT_EQ(f.json(R"(id: 7 note: "n"
                     ship_to { city: "Oslo" geo { lat: 59.9 lon: 10.75 } }
                     items { sku: "a" qty: 2 } items { sku: "b" }
                     attrs { key: "color" value: "red" } attrs { key: "q\"uote" value: "" }
                     stock { key: 3 value { sku: "c" qty: 1 } } stock { key: -1 value { } })"),
            R"({"id":7,"ship_to":{"city":"Oslo","geo":{"lat":59.9,"lon":10.75}},)"
            R"("items":[{"sku":"a","qty":2},{"sku":"b"}],)"
            R"("attrs":{"color":"red","q\"uote":""},)"
            R"("stock":{"3":{"sku":"c","qty":1},"-1":{}},"note":"n"})");
}

TEST(ProtoDecoder, RendersMapsWithLastEntryWinningAndDefaultsForMissingParts) {
  Fixture f = orders();
  const std::string base = tag(1, 0) + varint(1) + lengthDelimited(6, "n");
  const std::string entries =
      lengthDelimited(4, lengthDelimited(1, "k") + lengthDelimited(2, "v1")) +
      lengthDelimited(4, lengthDelimited(1, "other") + lengthDelimited(2, "o")) +
      lengthDelimited(4, lengthDelimited(1, "k") + lengthDelimited(2, "v2")) +
      lengthDelimited(4, lengthDelimited(2, "no key")) + lengthDelimited(4, "") +
      lengthDelimited(5, tag(1, 0) + varint(5));
  EXPECT_EQ(decodeToJson(*f.decoder, base + entries),
            R"({"id":1,"attrs":{"k":"v2","other":"o","":""},"stock":{"5":{}},"note":"n"})");
}

TEST(ProtoDecoder, MergesRepeatedOccurrencesOfASingularMessageField) {
  Fixture f = orders();
  const std::string record = tag(1, 0) + varint(1) + lengthDelimited(6, "n") +
                             lengthDelimited(2, lengthDelimited(1, "A") + lengthDelimited(2, "1")) +
                             lengthDelimited(2, lengthDelimited(1, "B"));
  EXPECT_EQ(decodeToJson(*f.decoder, record),
            R"({"id":1,"ship_to":{"city":"B","zip":"1"},"note":"n"})");
}

TEST(ProtoDecoder, RequiresProto2RequiredFieldsAlsoInNestedMessages) {
  Fixture f = orders();
  EXPECT_EQ(f.error(f.encoder.encode(R"(note: "n")")), "missing required field 'id'");
  EXPECT_EQ(f.error(f.encoder.encode(R"(id: 1 note: "n" ship_to { zip: "0150" })")),
            "field 'ship_to' (2): missing required field 'city'");
}

TEST(ProtoDecoder, RequiresNotNullColumnsDeclaredOptional) {
  // `note` is NOT NULL in the table but optional in the descriptor: each record must set it.
  Fixture f = orders();
  EXPECT_EQ(f.error(f.encoder.encode("id: 1")), "missing required field 'note'");
}

TEST(ProtoDecoder, NamesTheNestedFieldInErrors) {
  Fixture f = orders();
  const std::string base = tag(1, 0) + varint(1) + lengthDelimited(6, "n");
  EXPECT_EQ(f.error(base + lengthDelimited(3, tag(2, 0) + varint(40000))),
            "field 'items' (3): field 'qty' (2): value 40000 out of range for smallint at byte 8");
  EXPECT_EQ(f.error(base + lengthDelimited(2, lengthDelimited(1, "x") +
                                                  lengthDelimited(3, tag(1, 0) + varint(1)))),
            "field 'ship_to' (2): field 'geo' (3): field 'lat' (1): wire type 0, expected fixed64");
  EXPECT_EQ(f.error(base + lengthDelimited(4, lengthDelimited(1, "k") + tag(2, 0) + varint(1))),
            "field 'attrs' (4): field 'value' (2): wire type 0, expected length-delimited");
  EXPECT_EQ(f.error(base + lengthDelimited(4, lengthDelimited(3, "k"))),
            "field 'attrs' (4): unknown field number 3 (wire type 2) at byte 7");
}

TEST(ProtoDecoder, RefusesANestingBombQuickly) {
  Fixture f = orders();
  std::string bomb = tag(2, 0) + varint(1);
  for (int i = 0; i < 5000; ++i) bomb = lengthDelimited(3, bomb);
  bomb = tag(1, 0) + varint(1) + lengthDelimited(6, "n") + lengthDelimited(2, bomb);
  std::string error;
  EXPECT_FALSE(f.decoder->decode(bomb, nullptr, &error));
  EXPECT_THAT(error, HasSubstr("field 'ship_to' (2): field 'geo' (3)"));
}

TEST(ProtoDecoder, DecodesHundredNestedStructLevels) {
  // Messages M1..M100 are siblings (protobuf caps nested declarations at 32 levels); each
  // holds the next, so a record nests 100 messages deep.
  ColumnType type;
  type.kind = TypeKind::Int;
  std::string descriptor_text = "name: \"T\" field { name: \"c\" number: 1 label: LABEL_OPTIONAL "
                                "type: TYPE_MESSAGE type_name: \"M1\" }";
  constexpr int kLevels = 100;
  for (int i = 0; i < kLevels; ++i) {
    ColumnType outer;
    outer.kind = TypeKind::Struct;
    outer.fields.push_back(StructField{"c", type, true});
    type = outer;
  }
  for (int i = 1; i <= kLevels; ++i) {
    descriptor_text += " nested_type { name: \"M" + std::to_string(i) +
                       "\" field { name: \"c\" number: 1 label: LABEL_OPTIONAL ";
    descriptor_text += i < kLevels
                           ? "type: TYPE_MESSAGE type_name: \"M" + std::to_string(i + 1) + "\" } }"
                           : std::string("type: TYPE_INT32 } }");
  }
  TableSchema table;
  table.full_name = "main.default.deep";
  table.columns.push_back(Column{"c", type, true, 0});
  Fixture f(descriptor_text, table);
  std::string record = tag(1, 0) + varint(42);
  std::string expected = "42";
  for (int i = 0; i < kLevels; ++i) {
    record = lengthDelimited(1, record);
    expected = "{\"c\":" + expected + "}";
  }
  expected = "{\"c\":" + expected + "}";  // the record's own object
  EXPECT_EQ(decodeToJson(*f.decoder, record), expected);
}

TEST(ProtoDecoder, ResolvesPackageQualifiedTypeNamesWhenDecoding) {
  // kOrders uses ".orders.table_Orders.Address" (package the lone descriptor does not carry),
  // "Item" (relative) and "table_Orders.StockEntry" (partly qualified).
  Fixture f = orders();
  EXPECT_EQ(f.json(R"(id: 2 note: "" ship_to { city: "X" } items { qty: 1 } stock { key: 1 })"),
            R"({"id":2,"ship_to":{"city":"X"},"items":[{"qty":1}],"stock":{"1":{}},"note":""})");
}

TEST(ProtoDecoder, ValidatesWithoutAllocating) {
  Fixture f = airQuality();
  const std::string record = f.encoder.encode("device_name: \"sensor-" + std::string(80, '0') +
                                              "1\" temp: 21 humidity: 45");
  ASSERT_GE(record.size(), 90u);
  std::string error;
  ASSERT_TRUE(f.decoder->decode(record, nullptr, &error)) << error;
  Fixture o = orders();
  const std::string nested = o.encoder.encode(
      R"(id: 7 note: "n" ship_to { city: "Oslo" geo { lat: 1 } } items { sku: "a" qty: 2 }
         attrs { key: "k" value: "v" } stock { key: 3 value { sku: "c" } })");

  const long before = testing::allocationCount();
  bool all_ok = true;
  for (int i = 0; i < 1000; ++i) {
    all_ok = f.decoder->decode(record, nullptr, &error) && all_ok;
    all_ok = o.decoder->decode(nested, nullptr, &error) && all_ok;
    all_ok = f.decoder->decode(record, nullptr, nullptr) && all_ok;
  }
  const long after = testing::allocationCount();
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(after - before, 0);
}

// Mutates valid records of a rich schema and checks the decoder never crashes, renders valid
// JSON whenever it accepts, and agrees with itself with and without the JSON output.
TEST(ProtoDecoder, SurvivesRandomAndMutatedInput) {
  Fixture f = orders();
  Fixture all(kAllTypes, allTypesTable());
  Fixture rep(kRepeated, repeatedTable());
  struct Target {
    Fixture* fixture;
    std::string seed;
  };
  std::vector<Target> targets = {
      {&f, f.encoder.encode(R"(id: 7 note: "n"
                              ship_to { city: "Oslo" zip: "1" geo { lat: 1 lon: 2 } }
                              items { sku: "a" qty: 2 } items { sku: "b" }
                              attrs { key: "k" value: "v" } stock { key: 3 value { sku: "c" } })")},
      {&all, all.encoder.encode(R"(b: 1 s: 2 i: 3 l: 4 f: 5 d: 6 ok: true str: "s" bin: "b"
                                  day: 1 ts: 2 ntz: 3 v: "[1]" dec: "1.5" big: 1 u: 2 fx: 3)")},
      {&rep, rep.encoder.encode(R"(ids: 1 ids: 300 tags: "x" small: 1 small: 2 ratios: 1.5
                                  flags: true codes: 5)")},
  };
  std::mt19937 rng(20240611);
  auto pick = [&](size_t n) {
    return static_cast<size_t>(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  };
  int accepted = 0;
  int refused = 0;
  for (int round = 0; round < 6000; ++round) {
    const Target& target = targets[static_cast<size_t>(round) % targets.size()];
    std::string input = target.seed;
    const size_t mutations = 1 + pick(4);
    for (size_t m = 0; m < mutations; ++m) {
      const size_t kind = round % 7 == 0 ? 0 : 1 + pick(4);
      switch (kind) {
        case 0:  // fully random bytes (every 7th round only)
          input.resize(pick(64));
          for (char& c : input) c = static_cast<char>(pick(256));
          break;
        case 1:  // flip a bit
          if (!input.empty()) input[pick(input.size())] ^= static_cast<char>(1 << pick(8));
          break;
        case 2:  // truncate
          input.resize(input.empty() ? 0 : pick(input.size()));
          break;
        case 3:  // insert a random byte
          input.insert(input.begin() + static_cast<std::ptrdiff_t>(pick(input.size() + 1)),
                       static_cast<char>(pick(256)));
          break;
        default:  // overwrite a byte
          if (!input.empty()) input[pick(input.size())] = static_cast<char>(pick(256));
          break;
      }
    }
    std::string json;
    std::string error;
    const bool with_json = target.fixture->decoder->decode(input, &json, &error);
    std::string error_only;
    const bool without_json = target.fixture->decoder->decode(input, nullptr, &error_only);
    ASSERT_EQ(with_json, without_json) << round;
    if (with_json) {
      ++accepted;
      ASSERT_TRUE(nlohmann::json::accept(json)) << round << ": " << json;
    } else {
      ++refused;
      ASSERT_FALSE(error.empty());
      ASSERT_EQ(error, error_only);
    }
  }
  EXPECT_GT(accepted, 100);
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace zerobusd::fake
