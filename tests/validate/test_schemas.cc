#include "tests/validate/test_schemas.h"

#include <cstdlib>
#include <iostream>

#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

namespace zerobusd::validate::testing {

namespace pb = google::protobuf;

const char kTestProto[] = R"pb(
  syntax = "proto2"
  ;
package test;

message AirQuality {
  optional string device_name = 1;
  optional int32 temp = 2;
  optional int64 humidity = 3;
}

message Everything {
  enum Color { RED = 0; GREEN = 1; BLUE = 2; }
  message Inner {
    required string host = 1;
    optional int32 pid = 2;
    optional Inner child = 3;
  }
  optional int32 i32 = 1;
  optional int64 i64 = 2;
  optional uint32 u32 = 3;
  optional uint64 u64 = 4;
  optional sint32 s32 = 5;
  optional sint64 s64 = 6;
  optional fixed32 f32 = 7;
  optional fixed64 f64 = 8;
  optional sfixed32 sf32 = 9;
  optional sfixed64 sf64 = 10;
  optional float fl = 11;
  optional double db = 12;
  optional bool b = 13;
  optional string s = 14;
  optional bytes by = 15;
  optional Color color = 16;
  repeated int32 r_i32 = 17;
  repeated int64 r_packed = 18 [packed = true];
  repeated double r_double = 19 [packed = true];
  repeated string r_s = 20;
  optional Inner inner = 21;
  repeated Inner r_inner = 22;
  map<string, int64> counts = 23;
  map<int32, Inner> by_id = 24;
  optional group G = 25 { optional int32 g = 1; optional string gs = 2; }
  oneof choice { string c_s = 26; int64 c_i = 27; }
  repeated fixed32 r_f32 = 28;
  repeated bool r_bool = 29 [packed = true];
  optional int32 sparse = 20000;
  required int64 id = 30;
}

message Recursive {
  optional Recursive next = 1;
  optional int32 v = 2;
  optional group Rg = 3 { optional Recursive inside = 1; }
}
)pb";

const char kTestProto3[] = R"pb(
  syntax = "proto3"
  ;
package test3;

message Event {
  int64 id = 1;
  string kind = 2;
  repeated int64 values = 3;  // packed by default
  optional string note = 4;
  map<string, string> attrs = 5;
  Source source = 6;
  message Source { string host = 1; int32 pid = 2; }
}
)pb";

namespace {
class PrintErrors final : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    std::cerr << "test schema " << line + 1 << ":" << column + 1 << ": " << message << "\n";
  }
};
}  // namespace

Schema::Schema(std::string_view proto_text, std::string_view file_name) {
  // protobuf logs every proto2 string that is not UTF-8 while parsing; the tests make many.
  pb::SetLogHandler(nullptr);
  pb::io::ArrayInputStream input(proto_text.data(), static_cast<int>(proto_text.size()));
  PrintErrors errors;
  pb::io::Tokenizer tokenizer(&input, &errors);
  pb::compiler::Parser parser;
  parser.RecordErrorsTo(&errors);
  pb::FileDescriptorProto file;
  if (!parser.Parse(&tokenizer, &file)) std::abort();
  file.set_name(std::string(file_name));
  if (pool_.BuildFile(file) == nullptr) std::abort();
}

const pb::Descriptor& Schema::message(std::string_view full_name) const {
  const pb::Descriptor* descriptor = pool_.FindMessageTypeByName(std::string(full_name));
  if (descriptor == nullptr) {
    std::cerr << "no message " << full_name << "\n";
    std::abort();
  }
  return *descriptor;
}

std::unique_ptr<pb::Message> Schema::newMessage(std::string_view full_name) {
  return std::unique_ptr<pb::Message>(factory_.GetPrototype(&message(full_name))->New());
}

std::string Schema::encode(std::string_view full_name, std::string_view text_format) {
  auto message = newMessage(full_name);
  pb::TextFormat::Parser parser;
  parser.AllowPartialMessage(true);
  if (!parser.ParseFromString(std::string(text_format), message.get())) {
    std::cerr << "bad text format for " << full_name << ": " << text_format << "\n";
    std::abort();
  }
  return message->SerializePartialAsString();
}

bool Schema::referenceAccepts(std::string_view full_name, std::string_view bytes) {
  auto message = newMessage(full_name);
  return message->ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
         message->IsInitialized();
}

namespace {

std::string randomText(std::mt19937& random) {
  static const char* kSamples[] = {"",
                                   "a",
                                   "sensor-17",
                                   "température",
                                   "日本語テキスト",
                                   "emoji 🙂",
                                   ("a much longer string value that goes past the eight byte "
                                    "fast path several times over")};
  return kSamples[random() % std::size(kSamples)];
}

void setScalar(pb::Message& message, const pb::FieldDescriptor& field, std::mt19937& random,
               int depth) {
  const pb::Reflection& r = *message.GetReflection();
  const bool repeated = field.is_repeated();
  auto wide = [&] { return (static_cast<uint64_t>(random()) << 32) | random(); };
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      auto v = static_cast<int32_t>(wide());
      repeated ? r.AddInt32(&message, &field, v) : r.SetInt32(&message, &field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      auto v = static_cast<int64_t>(wide());
      repeated ? r.AddInt64(&message, &field, v) : r.SetInt64(&message, &field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      auto v = static_cast<uint32_t>(random());
      repeated ? r.AddUInt32(&message, &field, v) : r.SetUInt32(&message, &field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      auto v = wide();
      repeated ? r.AddUInt64(&message, &field, v) : r.SetUInt64(&message, &field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
      double v = static_cast<double>(random()) / 7.0;
      repeated ? r.AddDouble(&message, &field, v) : r.SetDouble(&message, &field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      float v = static_cast<float>(random() % 100000) / 3.0f;
      repeated ? r.AddFloat(&message, &field, v) : r.SetFloat(&message, &field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      bool v = (random() & 1) != 0;
      repeated ? r.AddBool(&message, &field, v) : r.SetBool(&message, &field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = field.enum_type();
      const auto* v =
          e->value(static_cast<int>(random() % static_cast<unsigned>(e->value_count())));
      repeated ? r.AddEnum(&message, &field, v) : r.SetEnum(&message, &field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string v = randomText(random);
      if (field.type() == pb::FieldDescriptor::TYPE_BYTES && (random() & 1) != 0) {
        v = std::string("\xff\x00\xfe\x80", 4);  // bytes need not be UTF-8
      }
      repeated ? r.AddString(&message, &field, v) : r.SetString(&message, &field, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      pb::Message* child =
          repeated ? r.AddMessage(&message, &field) : r.MutableMessage(&message, &field);
      fillRandom(*child, random, depth - 1);
      break;
    }
  }
}

}  // namespace

void fillRandom(pb::Message& message, std::mt19937& random, int depth) {
  const pb::Descriptor& d = *message.GetDescriptor();
  for (int i = 0; i < d.field_count(); ++i) {
    const pb::FieldDescriptor& field = *d.field(i);
    const bool nested = field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE;
    // Required fields always (the record must be valid), map entries whole (they serialize
    // key and value, set or not); others half the time.
    const bool always = field.is_required() || d.options().map_entry();
    if (nested && depth <= 0 && !always) continue;
    if (!always && (random() & 1) != 0) continue;
    const int count = field.is_repeated() ? static_cast<int>(random() % 4) : 1;
    for (int k = 0; k < count; ++k) setScalar(message, field, random, depth);
  }
}

std::string varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}

std::string tag(uint32_t number, uint32_t wire_type) {
  return varint(uint64_t{number} << 3 | wire_type);
}

std::string lengthDelimited(uint32_t number, std::string_view body) {
  return tag(number, 2) + varint(body.size()) + std::string(body);
}

}  // namespace zerobusd::validate::testing
