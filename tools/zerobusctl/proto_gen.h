#pragma once
// gen-proto's core: a Unity Catalog table description (the JSON body of GET
// /api/2.1/unity-catalog/tables/<name>) to a proto2 file, with the type mapping and the
// generation rules of the official SDK's generate_proto tool (zerobus-protocol.md §10):
//   - one field per column, in column order, numbered 1, 2, ... skipping 19000-19999;
//   - `required` when the column is NOT NULL, else `optional`; ARRAY is `repeated`, MAP is a
//     proto map (no label);
//   - a STRUCT becomes a message nested in its parent, named PascalCase(field name)
//     (`Struct<n>` when that is empty), all its members `optional` and numbered 1.. within it;
//   - names must be letters, digits and '_', not start with a digit, not a proto keyword;
//   - ARRAY<ARRAY>, ARRAY<MAP>, MAP values that are ARRAY or MAP, and map keys other than
//     integral, boolean or string types are refused;
//   - the message is named `message_name` (default: the table part of the name), no package.
//
// Pure functions on values; thread-safe.
// Error contract: InvalidArgument naming the column (and member path) and why.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace zerobusd::ctl {

// Unity Catalog answers larger than this are refused (a table with thousands of columns is a
// few hundred KiB).
inline constexpr size_t kMaxUcAnswerBytes = 16 * 1024 * 1024;

struct UcColumn {
  std::string name;
  std::string type_text;
  bool nullable = true;  // absent in the answer means nullable
};

struct UcTable {
  std::string full_name;  // as the answer names it (may be empty)
  std::string name;       // the table part
  std::vector<UcColumn> columns;
};

// Parses the tables API answer. InvalidArgument when it is not a JSON object with a
// `columns` array whose entries carry string `name` and `type_text`.
[[nodiscard]] absl::StatusOr<UcTable> parseUcTable(std::string_view body);

struct ProtoGenOptions {
  std::string message_name;         // empty: the table part of the name
  std::vector<std::string> header;  // comment lines put at the top (each without "//")
};

[[nodiscard]] absl::StatusOr<std::string> generateProto(const UcTable& table,
                                                        const ProtoGenOptions& options);

// "device_info" -> "DeviceInfo": the first letter of every '_'-separated part upper-cased.
std::string pascalCase(std::string_view name);
// Letters, digits and '_', not starting with a digit, not a proto keyword.
bool isValidProtoName(std::string_view name);

}  // namespace zerobusd::ctl
