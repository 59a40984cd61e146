#pragma once
// Unity Catalog column types as zerobusctl gen-proto reads them: the `type_text` of a column
// (Spark/Delta type text, e.g. "bigint", "array<struct<a:int,b:string>>", "map<string,int>")
// parsed into a tree, case-insensitively, the way the official SDK's generate_proto tool
// matches types (zerobus-protocol.md §10). Only types that have a proto2 mapping parse;
// DECIMAL, CHAR, INTERVAL and the rest are refused here with a message saying so.
//
// Pure functions on values; thread-safe.
// Error contract: InvalidArgument naming the offending text and, for syntax errors, the
// character position. Nesting deeper than kMaxTypeDepth is refused (bounded recursion on
// input that comes from the network).

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace zerobusd::ctl {

enum class UcKind {
  kByte,
  kShort,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBoolean,
  kString,
  kBinary,
  kDate,
  kTimestamp,
  kTimestampNtz,
  kVariant,
  kArray,
  kMap,
  kStruct,
};

struct UcField;

// Array: children[0] is the element type. Map: children[0] key, children[1] value.
// Struct: `fields` in declaration order.
struct UcType {
  UcKind kind = UcKind::kString;
  std::vector<UcType> children;
  std::vector<UcField> fields;
};

struct UcField {
  std::string name;
  UcType type;
};

// The generate_proto tool refuses nesting over 100 levels; so do we.
inline constexpr int kMaxTypeDepth = 100;

[[nodiscard]] absl::StatusOr<UcType> parseUcTypeText(std::string_view text);

bool isScalar(UcKind kind);
// Lower-case name for messages: "bigint", "array", "struct", ...
const char* kindName(UcKind kind);

}  // namespace zerobusd::ctl
