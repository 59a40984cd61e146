// The PROTO record validator: valid records of every shape pass (encoded by DynamicMessage),
// each kind of malformation is refused with an error naming the field, and the verdicts agree
// with protobuf's own parser wherever the validator accepts.

#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/validate/record_validator.h"
#include "tests/validate/test_schemas.h"

namespace zerobusd::validate {
namespace {

using ::testing::HasSubstr;
using testing::lengthDelimited;
using testing::Schema;
using testing::tag;
using testing::varint;

class ProtoValidatorTest : public ::testing::Test {
 protected:
  ProtoValidatorTest()
      : schema_(testing::kTestProto),
        air_(makeProtoValidator(schema_.message("test.AirQuality"))),
        everything_(makeProtoValidator(schema_.message("test.Everything"))),
        recursive_(makeProtoValidator(schema_.message("test.Recursive"))) {}

  // Refused, with an error containing `expected`.
  void expectRefused(const RecordValidator& validator, const std::string& record,
                     const std::string& expected) {
    std::string error;
    EXPECT_FALSE(validator.validate(record, &error)) << expected;
    EXPECT_THAT(error, HasSubstr(expected));
    EXPECT_FALSE(validator.validate(record, nullptr));
  }

  // The smallest valid Everything: its required id.
  std::string minimal() { return schema_.encode("test.Everything", "id: 1"); }

  Schema schema_;
  std::unique_ptr<RecordValidator> air_;
  std::unique_ptr<RecordValidator> everything_;
  std::unique_ptr<RecordValidator> recursive_;
};

TEST_F(ProtoValidatorTest, AcceptsAirQualityRecords) {
  for (const char* text : {"", "device_name: 'sensor-1'", "temp: -40 humidity: 9000000000",
                           "device_name: 'x' temp: 2147483647 humidity: -1"}) {
    std::string error;
    EXPECT_TRUE(air_->validate(schema_.encode("test.AirQuality", text), &error)) << text << error;
  }
}

TEST_F(ProtoValidatorTest, AcceptsEveryFieldKind) {
  const std::string text = R"(
    i32: -1 i64: -9000000000 u32: 4000000000 u64: 18000000000000000000 s32: -5 s64: -6
    f32: 7 f64: 8 sf32: -9 sf64: -10 fl: 1.5 db: 2.25 b: true s: 'grüße' by: '\xff\x00'
    color: BLUE r_i32: [1, -2, 3] r_packed: [4, 5, 6] r_double: [1.0, 2.0] r_s: ['a', 'b']
    inner { host: 'h' pid: 2 child { host: 'c' } } r_inner { host: 'x' } r_inner { host: 'y' }
    counts { key: 'a' value: 1 } counts { key: 'b' value: 2 }
    by_id { key: 7 value { host: 'v' } }
    G { g: 1 gs: 'group' } c_s: 'chosen' r_f32: [1, 2] r_bool: [true, false] sparse: 3 id: 42)";
  const std::string record = schema_.encode("test.Everything", text);
  std::string error;
  EXPECT_TRUE(everything_->validate(record, &error)) << error;
  EXPECT_TRUE(schema_.referenceAccepts("test.Everything", record));
}

TEST_F(ProtoValidatorTest, AcceptsRandomRecordsOfEveryShape) {
  std::mt19937 random(20240611);
  for (int i = 0; i < 3000; ++i) {
    auto message = schema_.newMessage("test.Everything");
    testing::fillRandom(*message, random, 4);
    const std::string record = message->SerializeAsString();
    std::string error;
    ASSERT_TRUE(everything_->validate(record, &error)) << error << "\n" << message->DebugString();
  }
}

TEST_F(ProtoValidatorTest, AcceptsProto3RecordsWithDefaultPackedFields) {
  Schema proto3(testing::kTestProto3, "test3.proto");
  auto validator = makeProtoValidator(proto3.message("test3.Event"));
  const std::string record =
      proto3.encode("test3.Event",
                    "id: 1 kind: 'k' values: [1, 2, 300] note: '' attrs { key: 'a' value: 'b' } "
                    "source { host: 'h' pid: 3 }");
  std::string error;
  EXPECT_TRUE(validator->validate(record, &error)) << error;
  // Unpacked encoding of the same repeated field is accepted too (parsers must take both).
  EXPECT_TRUE(validator->validate(tag(3, 0) + varint(1) + tag(3, 0) + varint(2), &error)) << error;
}

TEST_F(ProtoValidatorTest, AcceptsPackedAndUnpackedForRepeatedScalars) {
  std::string error;
  // r_i32 (17) is declared unpacked: a packed run is accepted.
  EXPECT_TRUE(
      everything_->validate(minimal() + lengthDelimited(17, varint(1) + varint(300)), &error))
      << error;
  // r_packed (18) is declared packed: single elements are accepted.
  EXPECT_TRUE(everything_->validate(minimal() + tag(18, 0) + varint(5), &error)) << error;
  // Packed fixed-size elements.
  EXPECT_TRUE(everything_->validate(minimal() + lengthDelimited(28, std::string(8, '\1')), &error))
      << error;
  EXPECT_TRUE(everything_->validate(minimal() + lengthDelimited(19, std::string(16, '\0')), &error))
      << error;
  // An empty packed run.
  EXPECT_TRUE(everything_->validate(minimal() + lengthDelimited(17, ""), &error)) << error;
}

TEST_F(ProtoValidatorTest, AcceptsTenByteVarints) {
  std::string error;
  EXPECT_TRUE(air_->validate(tag(3, 0) + varint(~uint64_t{0}), &error)) << error;
  EXPECT_EQ(varint(~uint64_t{0}).size(), 10u);
}

TEST_F(ProtoValidatorTest, RefusesAWrongWireTypeNamingTheField) {
  expectRefused(*air_, lengthDelimited(2, "xx"),
                "field 'temp' (2): wire type 2 (length-delimited), expected varint");
  expectRefused(*air_, tag(1, 0) + varint(5), "field 'device_name' (1): wire type 0 (varint)");
  expectRefused(*everything_, minimal() + tag(7, 1) + std::string(8, '\0'),
                "field 'f32' (7): wire type 1 (fixed64), expected fixed32");
  expectRefused(*everything_, minimal() + tag(21, 0) + varint(1), "field 'inner' (21)");
  expectRefused(*everything_, minimal() + tag(25, 2) + varint(0), "field 'g' (25)");
}

TEST_F(ProtoValidatorTest, RefusesPackedRunsForSingularFields) {
  expectRefused(*air_, lengthDelimited(2, varint(1)), "field 'temp' (2): wire type 2");
}

TEST_F(ProtoValidatorTest, RefusesUnknownFieldNumbers) {
  expectRefused(*air_, tag(4, 0) + varint(1),
                "unknown field number 4 (varint) in message test.AirQuality (byte 0)");
  expectRefused(*everything_, minimal() + tag(19999, 0) + varint(1), "unknown field number 19999");
  expectRefused(*everything_, minimal() + tag(536870911, 0) + varint(1),
                "unknown field number 536870911");
  // In a nested message, with the path to it.
  expectRefused(*everything_,
                minimal() + lengthDelimited(21, lengthDelimited(1, "h") + tag(9, 0) + varint(1)),
                "in field 'inner': unknown field number 9");
  // In a map entry (only key 1 and value 2 exist).
  expectRefused(*everything_, minimal() + lengthDelimited(23, tag(3, 0) + varint(1)),
                "in field 'counts': unknown field number 3");
}

TEST_F(ProtoValidatorTest, RefusesMalformedTags) {
  expectRefused(*air_, tag(0, 0) + varint(1), "field number 0");
  expectRefused(*air_, std::string("\x0e\x01", 2), "invalid wire type 6");  // field 1, type 6
  expectRefused(*air_, std::string("\x17\x01", 2), "invalid wire type 7");  // field 2, type 7
  expectRefused(*air_, std::string("\x80\x80\x80\x80\x80\x01", 6), "malformed tag");  // 6 bytes
  expectRefused(*air_, std::string("\x80", 1), "malformed tag");                      // truncated
  expectRefused(*air_, std::string("\xff\xff\xff\xff\x7f", 5), "malformed tag");      // > 32 bits
}

TEST_F(ProtoValidatorTest, RefusesTruncatedAndOverlongVarints) {
  expectRefused(*air_, tag(2, 0), "field 'temp' (2): truncated or over-long varint");
  expectRefused(*air_, tag(2, 0) + "\x80\x80", "truncated or over-long varint");
  expectRefused(*air_, tag(2, 0) + std::string(10, '\x80') + "\x01", "over-long varint");
  expectRefused(*everything_, minimal() + lengthDelimited(17, "\x80"),
                "field 'r_i32' (17): truncated or over-long varint in packed run");
}

TEST_F(ProtoValidatorTest, RefusesLengthsOutOfBounds) {
  expectRefused(*air_, tag(1, 2) + varint(10) + "short", "field 'device_name' (1): bad length");
  expectRefused(*air_, tag(1, 2) + varint(uint64_t{1} << 40), "bad length");
  expectRefused(*air_, tag(1, 2), "bad length");
  // A nested message whose inner length overruns its own (but not the record's) bounds.
  std::string inner = tag(1, 2) + varint(5) + "ab";
  expectRefused(*everything_, minimal() + lengthDelimited(21, inner) + "xyz",
                "field 'inner.host' (1): bad length");
  expectRefused(*everything_, minimal() + tag(8, 1) + "1234567",
                "field 'f64' (8): truncated fixed64");
  expectRefused(*everything_, minimal() + tag(7, 5) + "123", "field 'f32' (7): truncated fixed32");
  expectRefused(*everything_, minimal() + lengthDelimited(19, std::string(12, '\0')),
                "field 'r_double' (19): packed length 12 is not a multiple of 8");
}

TEST_F(ProtoValidatorTest, RefusesInvalidUtf8InStringsOnly) {
  for (const char* bad : {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "abc\xe2\x82", "\x80"}) {
    expectRefused(*air_, lengthDelimited(1, bad),
                  "field 'device_name' (1): string is not valid UTF-8");
  }
  // Map keys are strings too.
  expectRefused(*everything_, minimal() + lengthDelimited(23, lengthDelimited(1, "\xff")),
                "field 'counts.key' (1): string is not valid UTF-8");
  // bytes fields take anything.
  std::string error;
  EXPECT_TRUE(everything_->validate(minimal() + lengthDelimited(15, "\xff\xc0\xaf"), &error))
      << error;
  // Valid multi-byte text, long enough for the fast path on both sides of it.
  EXPECT_TRUE(air_->validate(lengthDelimited(1, "abcdefghij€𝄞ü日本語abcdefghij"), &error)) << error;
}

TEST_F(ProtoValidatorTest, RefusesMissingRequiredFields) {
  expectRefused(*everything_, schema_.encode("test.Everything", "i32: 1"),
                "field 'id' (30): required but missing");
  expectRefused(*everything_, schema_.encode("test.Everything", "id: 1 inner { pid: 2 }"),
                "field 'inner.host' (1): required but missing");
  expectRefused(*everything_,
                schema_.encode("test.Everything", "id: 1 inner { host: 'a' child { child { } } }"),
                "field 'inner.child.child.host' (1): required but missing");
  expectRefused(*everything_, schema_.encode("test.Everything", "id: 1 by_id { key: 1 value { } }"),
                "field 'by_id.value.host' (1): required but missing");
  // A required field given twice is still just present.
  std::string error;
  EXPECT_TRUE(everything_->validate(minimal() + minimal(), &error)) << error;
}

TEST_F(ProtoValidatorTest, HandlesGroups) {
  std::string error;
  const std::string group = tag(25, 3) + tag(1, 0) + varint(5) + tag(25, 4);
  EXPECT_TRUE(everything_->validate(minimal() + group, &error)) << error;
  EXPECT_TRUE(schema_.referenceAccepts("test.Everything", minimal() + group));
  expectRefused(*everything_, minimal() + tag(25, 3) + tag(1, 0) + varint(5),
                "group 25 has no end-group tag");
  expectRefused(*everything_, minimal() + tag(25, 3) + tag(24, 4), "unexpected end-group tag");
  expectRefused(*air_, tag(2, 4), "unexpected end-group tag for field number 2");
  expectRefused(*everything_, minimal() + tag(25, 3) + tag(9, 0) + varint(1) + tag(25, 4),
                "in field 'g': unknown field number 9");
}

TEST_F(ProtoValidatorTest, AcceptsSparseFieldNumbers) {
  std::string error;
  EXPECT_TRUE(everything_->validate(minimal() + tag(20000, 0) + varint(1), &error)) << error;
}

// Binary search path: a message whose field numbers are too sparse for a direct table.
TEST_F(ProtoValidatorTest, HandlesVerySparseMessages) {
  Schema sparse(
      R"(syntax = "proto2"; message S { optional int32 a = 1; optional string z = 500000000;
                   required int32 m = 100000; })");
  auto validator = makeProtoValidator(sparse.message("S"));
  std::string error;
  EXPECT_TRUE(validator->validate(sparse.encode("S", "a: 1 z: 'x' m: 2"), &error)) << error;
  expectRefused(*validator, sparse.encode("S", "a: 1 z: 'x'"),
                "field 'm' (100000): required but missing");
  expectRefused(*validator, tag(100001, 0) + varint(1), "unknown field number 100001");
  expectRefused(*validator, tag(500000000, 0) + varint(1), "field 'z' (500000000): wire type 0");
}

TEST_F(ProtoValidatorTest, ChecksMessagesWithHundredsOfRequiredFields) {
  std::string proto = "syntax = \"proto2\"; message Wide {";
  std::string all;
  for (int i = 1; i <= 300; ++i) {
    proto += " required int32 f" + std::to_string(i) + " = " + std::to_string(i) + ";";
  }
  proto += " }";
  Schema wide(proto);
  auto validator = makeProtoValidator(wide.message("Wide"));
  for (int i = 1; i <= 300; ++i) all += tag(static_cast<uint32_t>(i), 0) + varint(1);
  std::string error;
  EXPECT_TRUE(validator->validate(all, &error)) << error;
  // Drop field 257 (beyond the first 256 bits).
  std::string missing;
  for (int i = 1; i <= 300; ++i) {
    if (i != 257) missing += tag(static_cast<uint32_t>(i), 0) + varint(1);
  }
  expectRefused(*validator, missing, "field 'f257' (257): required but missing");
}

// Nesting limit: protobuf's default recursion limit (100), so the validator accepts exactly
// what the reference parser does at the boundary.
std::string nestedRecursive(int levels) {
  // Build inside out: sizes first, then write from the outside in.
  std::vector<std::size_t> sizes(static_cast<std::size_t>(levels) + 1, 0);
  const std::string leaf = tag(2, 0) + varint(7);
  sizes[0] = leaf.size();
  for (std::size_t k = 1; k < sizes.size(); ++k) {
    sizes[k] = tag(1, 2).size() + varint(sizes[k - 1]).size() + sizes[k - 1];
  }
  std::string out;
  out.reserve(sizes.back());
  for (std::size_t k = sizes.size() - 1; k > 0; --k) out += tag(1, 2) + varint(sizes[k - 1]);
  return out + leaf;
}

TEST_F(ProtoValidatorTest, AgreesWithProtobufOnTheNestingLimit) {
  std::string error;
  const std::string at_limit = nestedRecursive(100);
  EXPECT_TRUE(schema_.referenceAccepts("test.Recursive", at_limit));
  EXPECT_TRUE(recursive_->validate(at_limit, &error)) << error;
  const std::string beyond = nestedRecursive(101);
  EXPECT_FALSE(schema_.referenceAccepts("test.Recursive", beyond));
  expectRefused(*recursive_, beyond, "messages nested deeper than 100 levels");
}

TEST_F(ProtoValidatorTest, RefusesANestingBombWithoutRecursingIntoIt) {
  // 200 000 levels of messages: refused at level 100, without walking further.
  expectRefused(*recursive_, nestedRecursive(200000), "nested deeper than 100 levels");
  // A group opened and never closed.
  expectRefused(*recursive_, tag(3, 3) + tag(1, 2) + varint(0), "group 3 has no end-group tag");
  auto shallow = makeProtoValidator(schema_.message("test.Recursive"), ProtoValidatorOptions{3});
  expectRefused(*shallow, nestedRecursive(4), "nested deeper than 3 levels");
  std::string error;
  EXPECT_TRUE(shallow->validate(nestedRecursive(3), &error)) << error;
}

TEST_F(ProtoValidatorTest, ReportsTheByteOffset) {
  const std::string prefix = schema_.encode("test.AirQuality", "device_name: 'abc' temp: 1");
  std::string error;
  EXPECT_FALSE(air_->validate(prefix + tag(9, 0) + varint(1), &error));
  EXPECT_THAT(error, HasSubstr("(byte " + std::to_string(prefix.size()) + ")"));
}

TEST_F(ProtoValidatorTest, OutlivesItsDescriptor) {
  std::unique_ptr<RecordValidator> validator;
  {
    Schema temporary(testing::kTestProto);
    validator = makeProtoValidator(temporary.message("test.AirQuality"));
  }
  std::string error;
  EXPECT_TRUE(validator->validate(schema_.encode("test.AirQuality", "temp: 3"), &error)) << error;
  expectRefused(*validator, lengthDelimited(2, "x"), "field 'temp' (2)");
}

TEST_F(ProtoValidatorTest, AcceptsTheEmptyRecord) {
  std::string error;
  EXPECT_TRUE(air_->validate("", &error)) << error;
  expectRefused(*everything_, "", "field 'id' (30): required but missing");
}

}  // namespace
}  // namespace zerobusd::validate
