#pragma once
// The compiled form of a client's DescriptorProto checked against a table: what the wire walker
// in proto_decoder.cc needs per field, indexed by field number, resolved once at stream
// creation (descriptor_check.cc builds it). Internal to zerobus_fake_schema. Immutable once
// built; shared read-only between threads.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tools/zerobus-fake/row_decoder.h"

namespace zerobusd::fake::detail {

enum class WireType : uint8_t {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
};

// The proto scalar type of a field, which decides both the wire type and how a value reads.
enum class ProtoKind : uint8_t {
  Int32, Int64, UInt32, UInt64, SInt32, SInt64, Fixed32, Fixed64, SFixed32, SFixed64,
  Float, Double, Bool, String, Bytes, Message,
};

// What the column type adds on top of the proto type.
enum class ValueCheck : uint8_t {
  None,
  Range,    // integer must lie in [min, max] (TINYINT, SMALLINT)
  Utf8,     // STRING: valid UTF-8
  Variant,  // VARIANT: valid UTF-8 holding one JSON value
  Decimal,  // DECIMAL(p,s): a decimal literal that fits
};

constexpr int kMaxMessageDepth = 100;

struct CompiledField {
  uint32_t number = 0;
  ProtoKind kind = ProtoKind::Int32;
  WireType wire = WireType::Varint;  // wire type of one unpacked value
  ValueCheck check = ValueCheck::None;
  bool repeated = false;
  bool packable = false;  // repeated numeric: a length-delimited run of values is accepted too
  bool is_map = false;    // repeated map entry message, rendered as a JSON object
  int32_t required_slot = -1;  // presence bit when the field must be present, else -1
  int32_t message = -1;        // CompiledSchema::messages index for Message fields
  int64_t min = 0;             // Range
  int64_t max = 0;
  int precision = 0;  // Decimal
  int scale = 0;
  std::string name;          // the proto field name (errors, JSON keys)
  std::string json_key;      // "\"name\":", pre-escaped
  std::string column_type;   // column type text, for range errors
};

struct CompiledMessage {
  std::vector<CompiledField> fields;  // declaration order
  // Field number -> index into `fields`: dense table when numbers are small (the common case,
  // numbers 1..columns), otherwise a sorted (number, index) list searched by bisection.
  std::vector<int32_t> dense;
  std::vector<std::pair<uint32_t, int32_t>> sparse;
  int32_t required_count = 0;

  const CompiledField* find(uint32_t number) const {
    if (number < dense.size()) {
      const int32_t index = dense[number];
      return index < 0 ? nullptr : &fields[static_cast<size_t>(index)];
    }
    size_t low = 0;
    size_t high = sparse.size();
    while (low < high) {
      const size_t mid = low + (high - low) / 2;
      if (sparse[mid].first < number) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    if (low < sparse.size() && sparse[low].first == number) {
      return &fields[static_cast<size_t>(sparse[low].second)];
    }
    return nullptr;
  }

  // Fills `dense` or `sparse` from `fields`.
  void buildIndex();
};

struct CompiledSchema {
  std::vector<CompiledMessage> messages;  // messages[0] is the record's message
};

std::unique_ptr<RowDecoder> makeProtoRowDecoder(CompiledSchema schema);

}  // namespace zerobusd::fake::detail
