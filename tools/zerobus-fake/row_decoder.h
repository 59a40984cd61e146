#pragma once
// Decoding and checking one record against a table, the way the service does before a record
// may land. One decoder per stream, built at stream creation: for PROTO streams from the
// DescriptorProto the client sent (after checking it against the table), for JSON streams from
// the table's columns. Immutable after construction; decode() is const and thread-safe.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.pb.h>

#include "tools/zerobus-fake/table_schema.h"

namespace zerobusd::fake {

class RowDecoder {
 public:
  virtual ~RowDecoder() = default;
  // Checks one record. On success returns true and, when `json_row` is not null, appends the
  // decoded row as one compact JSON object (no newline). On failure returns false and sets
  // `error` to a short reason (field name and what is wrong); `json_row` may hold partial text.
  // With json_row == nullptr this must be cheap: no allocation per record.
  virtual bool decode(std::string_view record, std::string* json_row, std::string* error) const = 0;
};

// Outcome of checking a client's descriptor against the table (stream creation).
struct DescriptorCheck {
  std::unique_ptr<RowDecoder> decoder;  // set when the descriptor is acceptable
  std::string message;                  // why not, for the INVALID_ARGUMENT status
  // ErrorInfo causes: FIELD_NOT_IN_TABLE, MISSING_REQUIRED_COLUMN, TYPE_INCOMPATIBLE, ...
  std::vector<std::string> causes;
};

// PROTO streams: `descriptor` is the one message the client sent. Nested types (STRUCT, map
// entries) are looked up among its nested_type tree; a type_name may be relative ("Address")
// or fully qualified with a package the lone DescriptorProto does not carry
// (".pkg.table_Orders.Address"): match the trailing path. Checks: every field names a column
// (or a struct member), its proto type fits the column type, every NOT NULL column is present.
// The decoder walks the wire format: each tag a known field of the right wire type, lengths in
// bounds, nested messages recursively, proto2 `required` fields present; unknown fields refused.
DescriptorCheck compileProtoDecoder(const google::protobuf::DescriptorProto& descriptor,
                                    const TableSchema& table);

// JSON streams: a record must be one JSON object whose keys are columns, with every NOT NULL
// column present and non-null, and each value of a kind the column type accepts.
std::unique_ptr<RowDecoder> makeJsonDecoder(const TableSchema& table);

}  // namespace zerobusd::fake
