#pragma once
// Unity Catalog table schemas as the fake service knows them: column types parsed from Spark /
// Delta type text ("bigint", "array<struct<a:int,b:string>>", "decimal(10,2)"), and their
// rendering as the Unity Catalog tables API returns them (type_text, type_name, type_json).
// Pure values; thread-compatible (immutable once built, shared between threads read-only).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

namespace zerobusd::fake {

enum class TypeKind {
  Byte, Short, Int, Long, Float, Double, Boolean, String, Binary, Date, Timestamp,
  TimestampNtz, Variant, Decimal, Array, Map, Struct,
};

struct StructField;

// A column's type. Array: children[0] is the element type. Map: children[0] key, children[1]
// value. Struct: `fields` in declaration order.
struct ColumnType {
  TypeKind kind = TypeKind::String;
  int precision = 0;  // Decimal only
  int scale = 0;      // Decimal only
  std::vector<ColumnType> children;
  std::vector<StructField> fields;
};

struct StructField {
  std::string name;
  ColumnType type;
  bool nullable = true;
};

// Parses Spark/Delta type text, case-insensitive, with optional whitespace:
// tinyint|byte, smallint|short, int|integer, bigint|long, float, double, boolean, string,
// varchar(n), char(n) (both as string), binary, date, timestamp, timestamp_ntz, variant,
// decimal(p,s), array<T>, map<K,V>, struct<name:T,...> (a member may end in " not null").
// InvalidArgument naming the position on anything else.
absl::StatusOr<ColumnType> parseTypeText(std::string_view text);

std::string typeText(const ColumnType& type);  // canonical lower-case text, e.g. "array<int>"
std::string typeName(const ColumnType& type);  // UC type_name: "LONG", "INT", "STRUCT", ...
nlohmann::json typeJson(const ColumnType& type);  // the Spark JSON type (value of "type")

struct Column {
  std::string name;
  ColumnType type;
  bool nullable = true;
  int position = 0;  // 0-based
};

struct TableSchema {
  std::string full_name;  // catalog.schema.table
  std::vector<Column> columns;

  const Column* findColumn(std::string_view name) const;  // exact, case-insensitive match
};

// The body of GET /api/2.1/unity-catalog/tables/<full_name> for this table: name,
// catalog_name, schema_name, full_name, table_type MANAGED, data_source_format DELTA, and per
// column name, type_text, type_name, type_json (a JSON string of the StructField JSON),
// nullable, position.
nlohmann::json unityCatalogTableJson(const TableSchema& table);

}  // namespace zerobusd::fake
