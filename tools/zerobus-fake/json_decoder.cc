// The JSON stream RowDecoder: one JSON object per record, keys matched to columns
// case-insensitively, values checked against the column types.
//
// Accepted value kinds per column type (protocol doc §11; null only for nullable columns and
// struct members, never inside arrays or as map values, which the proto form cannot carry):
//   TINYINT..BIGINT     integer numbers within the type's range
//   FLOAT, DOUBLE       numbers (FLOAT: finite values within float range), or the strings
//                       "NaN", "Infinity", "-Infinity" (as the proto decoder renders them)
//   BOOLEAN             true / false
//   STRING              strings
//   DATE                "yyyy-mm-dd" or integer days since 1970-01-01 (int32)
//   TIMESTAMP(_NTZ)     ISO-8601 text or integer microseconds since the epoch
//   DECIMAL(p,s)        a decimal string that fits, or a number whose integral part fits
//   BINARY              base64 string
//   VARIANT             any JSON value (nesting at most 1000 deep)
//   ARRAY, MAP, STRUCT  arrays and objects, checked recursively (map keys are converted from
//                       their string form to the key type)

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/zerobus-fake/row_decoder.h"
#include "tools/zerobus-fake/value_text.h"

namespace zerobusd::fake {
namespace {

// ordered_json keeps the client's key order in the re-serialized row.
using Json = nlohmann::ordered_json;

constexpr int kMaxVariantDepth = 1000;

// The table's types prepared for lookups: struct members sorted by lower-cased name.
struct Node {
  TypeKind kind = TypeKind::Struct;
  int precision = 0;
  int scale = 0;
  std::string text;                // type text, for error messages
  std::vector<Node> children;      // Array: element; Map: key, value; Struct: members
  std::vector<std::string> names;  // Struct members
  std::vector<char> nullable;      // Struct members
  std::vector<uint32_t> sorted;    // member indices ordered by case-insensitive name

  int find(std::string_view key) const {
    size_t low = 0;
    size_t high = sorted.size();
    while (low < high) {
      const size_t mid = low + (high - low) / 2;
      if (detail::compareIgnoreCase(names[sorted[mid]], key) < 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    if (low < sorted.size() && detail::equalsIgnoreCase(names[sorted[low]], key)) {
      return static_cast<int>(sorted[low]);
    }
    return -1;
  }

  void sortMembers() {
    sorted.resize(names.size());
    for (size_t i = 0; i < names.size(); ++i) sorted[i] = static_cast<uint32_t>(i);
    std::sort(sorted.begin(), sorted.end(), [&](uint32_t a, uint32_t b) {
      return detail::compareIgnoreCase(names[a], names[b]) < 0;
    });
  }
};

Node buildNode(const ColumnType& type) {
  Node node;
  node.kind = type.kind;
  node.precision = type.precision;
  node.scale = type.scale;
  node.text = typeText(type);
  if (type.kind == TypeKind::Struct) {
    for (const StructField& field : type.fields) {
      node.names.push_back(field.name);
      node.nullable.push_back(field.nullable ? 1 : 0);
      node.children.push_back(buildNode(field.type));
    }
    node.sortMembers();
  } else {
    for (const ColumnType& child : type.children) node.children.push_back(buildNode(child));
  }
  return node;
}

bool withinDepth(const Json& value, int depth) {
  if (depth > kMaxVariantDepth) return false;
  if (value.is_array() || value.is_object()) {
    for (const Json& child : value) {
      if (!withinDepth(child, depth + 1)) return false;
    }
  }
  return true;
}

template <class T>
bool parseWhole(std::string_view text, T& value) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

class JsonRowDecoder final : public RowDecoder {
 public:
  explicit JsonRowDecoder(const TableSchema& table) : table_name_(table.full_name) {
    for (const Column& column : table.columns) {
      root_.names.push_back(column.name);
      root_.nullable.push_back(column.nullable ? 1 : 0);
      root_.children.push_back(buildNode(column.type));
    }
    root_.sortMembers();
  }

  bool decode(std::string_view record, std::string* json_row, std::string* error) const override {
    std::string scratch;
    std::string& error_text = error != nullptr ? *error : scratch;
    try {
      const Json document = Json::parse(record.begin(), record.end(), nullptr, false);
      if (document.is_discarded()) {
        error_text = "record is not valid JSON";
        return false;
      }
      if (!document.is_object()) {
        error_text = std::string("record is a JSON ") + document.type_name() + ", not an object";
        return false;
      }
      std::string path;
      if (!object(root_, document, path, error_text)) return false;
      if (json_row != nullptr) {
        json_row->append(document.dump(-1, ' ', false, Json::error_handler_t::replace));
      }
      return true;
    } catch (const std::exception& e) {  // allocation failure: report, never throw
      error_text = std::string("internal error: ") + e.what();
      return false;
    }
  }

 private:
  // The record itself (path empty) or a struct value at `path`.
  bool object(const Node& node, const Json& value, std::string& path, std::string& error) const {
    const bool is_root = path.empty();
    std::vector<char> seen(node.names.size(), 0);
    for (const auto& item : value.items()) {
      const std::string& key = item.key();
      const int index = node.find(key);
      if (index < 0) {
        error = is_root ? "key '" + key + "' is not a column of table " + table_name_
                        : "key '" + path + "." + key + "' is not a member of struct column '" +
                              path + "'";
        return false;
      }
      const auto member = static_cast<size_t>(index);
      const size_t mark = path.size();
      if (!is_root) path += '.';
      path += node.names[member];
      if (seen[member] != 0) {
        error = "column '" + path + "' appears twice (keys differ only in case)";
        return false;
      }
      seen[member] = 1;
      if (item.value().is_null()) {
        if (node.nullable[member] == 0) {
          error = "column '" + path + "' is NOT NULL but null";
          return false;
        }
      } else if (!check(node.children[member], item.value(), path, error)) {
        return false;
      }
      path.resize(mark);
    }
    for (size_t i = 0; i < node.names.size(); ++i) {
      if (seen[i] == 0 && node.nullable[i] == 0) {
        error = "missing NOT NULL column '" + (is_root ? "" : path + ".") + node.names[i] + "'";
        return false;
      }
    }
    return true;
  }

  static bool mismatch(const Node& node, const Json& value, const std::string& path,
                       std::string& error, const char* expected) {
    error = "column '" + path + "' (" + node.text + "): expected " + expected + ", got " +
            value.type_name();
    return false;
  }

  static bool outOfRange(const Node& node, const Json& value, const std::string& path,
                         std::string& error) {
    error = "column '" + path + "': " + value.dump() + " is out of range for " + node.text;
    return false;
  }

  static bool integerIn(const Json& value, int64_t min, int64_t max) {
    if (value.is_number_unsigned()) return value.get<uint64_t>() <= static_cast<uint64_t>(max);
    const auto number = value.get<int64_t>();
    return number >= min && number <= max;
  }

  static bool integer(const Node& node, const Json& value, const std::string& path,
                      std::string& error, int64_t min, int64_t max) {
    if (!value.is_number_integer()) return mismatch(node, value, path, error, "an integer");
    if (!integerIn(value, min, max)) return outOfRange(node, value, path, error);
    return true;
  }

  static bool isNonFiniteText(const Json& value) {
    if (!value.is_string()) return false;
    const auto& text = value.get_ref<const std::string&>();
    return text == "NaN" || text == "Infinity" || text == "-Infinity";
  }

  bool check(const Node& node, const Json& value, std::string& path, std::string& error) const {
    constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
    constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
    constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
    constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
    switch (node.kind) {
      case TypeKind::Byte: return integer(node, value, path, error, -128, 127);
      case TypeKind::Short: return integer(node, value, path, error, -32768, 32767);
      case TypeKind::Int: return integer(node, value, path, error, kInt32Min, kInt32Max);
      case TypeKind::Long: return integer(node, value, path, error, kInt64Min, kInt64Max);
      case TypeKind::Float:
      case TypeKind::Double:
        if (isNonFiniteText(value)) return true;
        if (!value.is_number()) return mismatch(node, value, path, error, "a number");
        if (node.kind == TypeKind::Float && value.is_number_float() &&
            std::fabs(value.get<double>()) > std::numeric_limits<float>::max()) {
          return outOfRange(node, value, path, error);
        }
        return true;
      case TypeKind::Boolean:
        return value.is_boolean() || mismatch(node, value, path, error, "a boolean");
      case TypeKind::String:
        return value.is_string() || mismatch(node, value, path, error, "a string");
      case TypeKind::Date:
        if (value.is_string()) {
          return detail::isDateText(value.get_ref<const std::string&>()) ||
                 mismatch(node, value, path, error, "a yyyy-mm-dd date");
        }
        if (!value.is_number_integer()) {
          return mismatch(node, value, path, error, "a date string or integer days");
        }
        return integerIn(value, kInt32Min, kInt32Max) || outOfRange(node, value, path, error);
      case TypeKind::Timestamp:
      case TypeKind::TimestampNtz:
        if (value.is_string()) {
          return detail::isTimestampText(value.get_ref<const std::string&>()) ||
                 mismatch(node, value, path, error, "an ISO-8601 timestamp");
        }
        if (!value.is_number_integer()) {
          return mismatch(node, value, path, error,
                          "a timestamp string or integer microseconds");
        }
        return integerIn(value, kInt64Min, kInt64Max) || outOfRange(node, value, path, error);
      case TypeKind::Decimal:
        if (value.is_string()) {
          return detail::isDecimalText(value.get_ref<const std::string&>(), node.precision,
                                       node.scale) ||
                 mismatch(node, value, path, error, "a decimal literal that fits");
        }
        if (!value.is_number()) return mismatch(node, value, path, error, "a decimal");
        return detail::decimalNumberFits(value.get<double>(), node.precision, node.scale) ||
               outOfRange(node, value, path, error);
      case TypeKind::Binary:
        if (value.is_string() && detail::isBase64(value.get_ref<const std::string&>())) {
          return true;
        }
        return mismatch(node, value, path, error, "a base64 string");
      case TypeKind::Variant:
        if (withinDepth(value, 0)) return true;
        error = "column '" + path + "': variant nested deeper than " +
                std::to_string(kMaxVariantDepth);
        return false;
      case TypeKind::Array: {
        if (!value.is_array()) return mismatch(node, value, path, error, "an array");
        const size_t mark = path.size();
        size_t i = 0;
        for (const Json& element : value) {
          path += "[" + std::to_string(i++) + "]";
          if (element.is_null()) {
            error = "column '" + path + "': array elements cannot be null";
            return false;
          }
          if (!check(node.children[0], element, path, error)) return false;
          path.resize(mark);
        }
        return true;
      }
      case TypeKind::Map: {
        if (!value.is_object()) return mismatch(node, value, path, error, "an object (map)");
        const size_t mark = path.size();
        for (const auto& item : value.items()) {
          path += "[\"" + item.key() + "\"]";
          if (!mapKey(node.children[0], item.key())) {
            error = "column '" + path + "': key is not a " + node.children[0].text;
            return false;
          }
          if (item.value().is_null()) {
            error = "column '" + path + "': map values cannot be null";
            return false;
          }
          if (!check(node.children[1], item.value(), path, error)) return false;
          path.resize(mark);
        }
        return true;
      }
      case TypeKind::Struct:
        if (!value.is_object()) return mismatch(node, value, path, error, "an object (struct)");
        return object(node, value, path, error);
    }
    return false;
  }

  // JSON object keys are strings; a map key must read as the map's key type.
  static bool mapKey(const Node& node, std::string_view key) {
    int64_t integral = 0;
    double number = 0;
    switch (node.kind) {
      case TypeKind::Byte: return parseWhole(key, integral) && integral >= -128 && integral <= 127;
      case TypeKind::Short:
        return parseWhole(key, integral) && integral >= -32768 && integral <= 32767;
      case TypeKind::Int: {
        int32_t value = 0;
        return parseWhole(key, value);
      }
      case TypeKind::Long: return parseWhole(key, integral);
      case TypeKind::Float:
      case TypeKind::Double:
        return parseWhole(key, number) || key == "NaN" || key == "Infinity" ||
               key == "-Infinity";
      case TypeKind::Boolean: return key == "true" || key == "false";
      case TypeKind::Date: {
        int32_t days = 0;
        return detail::isDateText(key) || parseWhole(key, days);
      }
      case TypeKind::Timestamp:
      case TypeKind::TimestampNtz:
        return detail::isTimestampText(key) || parseWhole(key, integral);
      case TypeKind::Decimal: return detail::isDecimalText(key, node.precision, node.scale);
      case TypeKind::Binary: return detail::isBase64(key);
      case TypeKind::String:
      case TypeKind::Variant:
        return true;
      default: return false;  // complex keys have no JSON object form
    }
  }

  std::string table_name_;
  Node root_;
};

}  // namespace

std::unique_ptr<RowDecoder> makeJsonDecoder(const TableSchema& table) {
  return std::make_unique<JsonRowDecoder>(table);
}

}  // namespace zerobusd::fake
