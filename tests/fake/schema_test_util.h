#pragma once
// Helpers for the zerobus_fake_schema tests: tables from type text, DescriptorProtos from
// protobuf text format, records encoded through DynamicMessage (tests may use reflection; the
// decoder under test may not), and hand-made wire bytes for malformed input.

#include "tests/support/allocation_counter.h"
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>

#include "tools/zerobus-fake/row_decoder.h"
#include "tools/zerobus-fake/table_schema.h"

namespace zerobusd::fake::testing {

struct ColumnSpec {
  std::string name;
  std::string type_text;
  bool nullable = true;
};

inline TableSchema makeTable(const std::vector<ColumnSpec>& specs,
                             std::string full_name = "main.default.t") {
  TableSchema table;
  table.full_name = std::move(full_name);
  int position = 0;
  for (const ColumnSpec& spec : specs) {
    auto type = parseTypeText(spec.type_text);
    EXPECT_TRUE(type.ok()) << spec.type_text << ": " << type.status();
    table.columns.push_back(Column{spec.name, type.ok() ? *type : ColumnType{}, spec.nullable,
                                   position++});
  }
  return table;
}

inline google::protobuf::DescriptorProto parseDescriptor(const std::string& text) {
  google::protobuf::DescriptorProto descriptor;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &descriptor)) << text;
  return descriptor;
}

// Encodes records of one message type given as text format (missing required fields allowed,
// so tests can produce records the decoder must refuse).
class RecordEncoder {
 public:
  explicit RecordEncoder(const google::protobuf::DescriptorProto& descriptor,
                         const std::string& package = "") {
    google::protobuf::FileDescriptorProto file;
    file.set_name("record.proto");
    file.set_syntax("proto2");
    if (!package.empty()) file.set_package(package);
    *file.add_message_type() = descriptor;
    const google::protobuf::FileDescriptor* built = pool_.BuildFile(file);
    EXPECT_NE(built, nullptr) << "descriptor does not build";
    if (built != nullptr) message_ = built->message_type(0);
  }

  std::string encode(const std::string& text) {
    if (message_ == nullptr) return {};
    std::unique_ptr<google::protobuf::Message> record(factory_.GetPrototype(message_)->New());
    google::protobuf::TextFormat::Parser parser;
    parser.AllowPartialMessage(true);
    EXPECT_TRUE(parser.ParseFromString(text, record.get())) << text;
    return record->SerializePartialAsString();
  }

 private:
  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_;
  const google::protobuf::Descriptor* message_ = nullptr;
};

// Wire-format building blocks for hand-made (often malformed) records.
inline std::string varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}

inline std::string tag(uint32_t number, uint32_t wire) {
  return varint((static_cast<uint64_t>(number) << 3) | wire);
}

// Built by appending: GCC 12 misreports -Wrestrict on chained operator+ here.
inline std::string lengthDelimited(uint32_t number, std::string_view payload) {
  std::string out = tag(number, 2);
  out += varint(payload.size());
  out.append(payload.data(), payload.size());
  return out;
}

inline std::string fixed32(uint32_t value) {
  std::string out;
  for (int i = 0; i < 4; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}

inline std::string fixed64(uint64_t value) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}

// Decodes and returns the JSON row, failing the test with the decoder's error otherwise.
inline std::string decodeToJson(const RowDecoder& decoder, std::string_view record) {
  std::string json;
  std::string error;
  EXPECT_TRUE(decoder.decode(record, &json, &error)) << error;
  return json;
}

// Decodes expecting refusal; returns the error text.
inline std::string decodeError(const RowDecoder& decoder, std::string_view record) {
  std::string json;
  std::string error;
  EXPECT_FALSE(decoder.decode(record, &json, &error)) << "accepted, row " << json;
  EXPECT_FALSE(error.empty());
  return error;
}

// Global operator new calls so far (tests/support/allocation_counter.cc replaces it).
using zerobusd::testing::allocationCount;

}  // namespace zerobusd::fake::testing
