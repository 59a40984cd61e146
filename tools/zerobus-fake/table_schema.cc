#include "tools/zerobus-fake/table_schema.h"

#include <cstddef>
#include <string>
#include <utility>

#include <absl/status/status.h>

#include "tools/zerobus-fake/value_text.h"

namespace zerobusd::fake {
namespace {

using detail::equalsIgnoreCase;

// Same cap as the UC-to-proto generators (protocol doc §10): deeper types are refused there, so
// a table we serve must not need them either. Counts enclosing complex types.
constexpr int kMaxTypeNesting = 100;
constexpr int kMaxDecimalPrecision = 38;

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isIdentChar(char c) { return isIdentStart(c) || (c >= '0' && c <= '9'); }

// Recursive descent over the Spark DDL type grammar. Errors are kept in error_ and reported
// with the byte position where parsing stopped, so a UC type_text typo is easy to find.
class TypeParser {
 public:
  explicit TypeParser(std::string_view text) : text_(text) {}

  absl::StatusOr<ColumnType> parse() {
    ColumnType type;
    if (!parseType(0, type)) return error_;
    skipSpace();
    if (pos_ != text_.size()) {
      fail("unexpected text after the type");
      return error_;
    }
    return type;
  }

 private:
  bool fail(std::string_view what) {
    error_ = absl::InvalidArgumentError("invalid type \"" + std::string(text_) + "\": " +
                                        std::string(what) + " at position " +
                                        std::to_string(pos_));
    return false;
  }

  void skipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
            text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool consume(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool expect(char c) {
    if (consume(c)) return true;
    return fail(std::string("expected '") + c + "'");
  }

  std::string_view word() {
    skipSpace();
    const size_t start = pos_;
    if (pos_ < text_.size() && isIdentStart(text_[pos_])) {
      while (pos_ < text_.size() && isIdentChar(text_[pos_])) ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  // Peeks for a keyword without consuming it unless it matches.
  bool consumeKeyword(std::string_view keyword) {
    const size_t saved = pos_;
    if (equalsIgnoreCase(word(), keyword)) return true;
    pos_ = saved;
    return false;
  }

  bool number(int& out) {
    skipSpace();
    const size_t start = pos_;
    long long value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      value = value * 10 + (text_[pos_] - '0');
      if (value > 1000000) return fail("number too large");
      ++pos_;
    }
    if (pos_ == start) return fail("expected a number");
    out = static_cast<int>(value);
    return true;
  }

  bool parseType(int depth, ColumnType& out) {
    skipSpace();
    const size_t start = pos_;
    const std::string_view name = word();
    if (name.empty()) return fail("expected a type name");
    auto is = [&](std::string_view keyword) { return equalsIgnoreCase(name, keyword); };

    if (is("tinyint") || is("byte")) return simple(out, TypeKind::Byte);
    if (is("smallint") || is("short")) return simple(out, TypeKind::Short);
    if (is("int") || is("integer")) return simple(out, TypeKind::Int);
    if (is("bigint") || is("long")) return simple(out, TypeKind::Long);
    if (is("float") || is("real")) return simple(out, TypeKind::Float);
    if (is("double")) return simple(out, TypeKind::Double);
    if (is("boolean")) return simple(out, TypeKind::Boolean);
    if (is("string")) return simple(out, TypeKind::String);
    if (is("binary")) return simple(out, TypeKind::Binary);
    if (is("date")) return simple(out, TypeKind::Date);
    // Spark's TIMESTAMP is the local-zone (LTZ) timestamp; timestamp_ltz is its explicit name.
    if (is("timestamp") || is("timestamp_ltz")) return simple(out, TypeKind::Timestamp);
    if (is("timestamp_ntz")) return simple(out, TypeKind::TimestampNtz);
    if (is("variant")) return simple(out, TypeKind::Variant);
    if (is("varchar") || is("char") || is("character")) {
      // Length limits are not enforced by Delta for ingestion here; the column is a string.
      int length = 0;
      if (!expect('(') || !number(length)) return false;
      if (length < 1) return fail("length must be positive");
      if (!expect(')')) return false;
      return simple(out, TypeKind::String);
    }
    if (is("decimal") || is("dec") || is("numeric")) return decimal(out);

    const bool complex = is("array") || is("map") || is("struct");
    if (!complex) {
      pos_ = start;
      return fail("unknown type '" + std::string(name) + "'");
    }
    if (depth + 1 > kMaxTypeNesting) {
      pos_ = start;
      return fail("nesting deeper than " + std::to_string(kMaxTypeNesting) + " levels");
    }
    if (!expect('<')) return false;
    if (is("array")) {
      out.kind = TypeKind::Array;
      out.children.resize(1);
      if (!parseType(depth + 1, out.children[0])) return false;
      return expect('>');
    }
    if (is("map")) {
      out.kind = TypeKind::Map;
      out.children.resize(2);
      if (!parseType(depth + 1, out.children[0]) || !expect(',') ||
          !parseType(depth + 1, out.children[1])) {
        return false;
      }
      return expect('>');
    }
    out.kind = TypeKind::Struct;
    if (consume('>')) return true;  // struct<> is legal Spark
    do {
      StructField field;
      if (!memberName(field.name)) return false;
      consume(':');  // Spark accepts both "a:int" and "a int"
      if (!parseType(depth + 1, field.type)) return false;
      if (!memberSuffix(field)) return false;
      out.fields.push_back(std::move(field));
    } while (consume(','));
    return expect('>');
  }

  static bool simple(ColumnType& out, TypeKind kind) {
    out.kind = kind;
    return true;
  }

  bool decimal(ColumnType& out) {
    out.kind = TypeKind::Decimal;
    out.precision = 10;  // Spark's default for a bare DECIMAL
    out.scale = 0;
    if (!consume('(')) return true;
    if (!number(out.precision)) return false;
    if (consume(',') && !number(out.scale)) return false;
    if (!expect(')')) return false;
    if (out.precision < 1 || out.precision > kMaxDecimalPrecision) {
      return fail("decimal precision must be 1.." + std::to_string(kMaxDecimalPrecision));
    }
    if (out.scale > out.precision) return fail("decimal scale exceeds precision");
    return true;
  }

  bool memberName(std::string& out) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '`') {
      ++pos_;
      while (true) {
        if (pos_ >= text_.size()) return fail("unterminated `quoted` name");
        if (text_[pos_] == '`') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '`') {
            out.push_back('`');
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        out.push_back(text_[pos_++]);
      }
      if (out.empty()) return fail("empty field name");
      return true;
    }
    const size_t start = pos_;
    while (pos_ < text_.size() && isIdentChar(text_[pos_])) ++pos_;
    if (pos_ == start) return fail("expected a field name");
    out.assign(text_.substr(start, pos_ - start));
    return true;
  }

  // " not null" and " comment '...'" after a struct member's type, in either order.
  bool memberSuffix(StructField& field) {
    while (true) {
      if (consumeKeyword("not")) {
        if (!consumeKeyword("null")) return fail("expected NULL after NOT");
        field.nullable = false;
        continue;
      }
      if (consumeKeyword("comment")) {
        skipSpace();
        if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
          return fail("expected a quoted comment");
        }
        const char quote = text_[pos_++];
        while (pos_ < text_.size() && text_[pos_] != quote) {
          if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
          ++pos_;
        }
        if (pos_ >= text_.size()) return fail("unterminated comment");
        ++pos_;
        continue;
      }
      return true;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  absl::Status error_;
};

bool isPlainName(const std::string& name) {
  if (name.empty() || !isIdentStart(name[0])) return false;
  for (char c : name) {
    if (!isIdentChar(c)) return false;
  }
  return true;
}

void appendTypeText(const ColumnType& type, std::string& out) {
  switch (type.kind) {
    case TypeKind::Byte: out += "tinyint"; return;
    case TypeKind::Short: out += "smallint"; return;
    case TypeKind::Int: out += "int"; return;
    case TypeKind::Long: out += "bigint"; return;
    case TypeKind::Float: out += "float"; return;
    case TypeKind::Double: out += "double"; return;
    case TypeKind::Boolean: out += "boolean"; return;
    case TypeKind::String: out += "string"; return;
    case TypeKind::Binary: out += "binary"; return;
    case TypeKind::Date: out += "date"; return;
    case TypeKind::Timestamp: out += "timestamp"; return;
    case TypeKind::TimestampNtz: out += "timestamp_ntz"; return;
    case TypeKind::Variant: out += "variant"; return;
    case TypeKind::Decimal:
      out += "decimal(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
      return;
    case TypeKind::Array:
      out += "array<";
      if (!type.children.empty()) appendTypeText(type.children[0], out);
      out += ">";
      return;
    case TypeKind::Map:
      out += "map<";
      if (type.children.size() == 2) {
        appendTypeText(type.children[0], out);
        out += ",";
        appendTypeText(type.children[1], out);
      }
      out += ">";
      return;
    case TypeKind::Struct: {
      out += "struct<";
      bool first = true;
      for (const StructField& field : type.fields) {
        if (!first) out += ",";
        first = false;
        if (isPlainName(field.name)) {
          out += field.name;
        } else {
          out += '`';
          for (char c : field.name) {
            if (c == '`') out += '`';
            out += c;
          }
          out += '`';
        }
        out += ":";
        appendTypeText(field.type, out);
        if (!field.nullable) out += " not null";
      }
      out += ">";
      return;
    }
  }
}

// Templated so that the UC rendering can use ordered_json and keep Spark's key order
// (name, type, nullable, metadata) inside the type_json string, while typeJson() returns the
// plain nlohmann::json the header promises.
template <class Json>
Json sparkFieldJson(const std::string& name, const ColumnType& type, bool nullable);

template <class Json>
Json sparkTypeJson(const ColumnType& type) {
  switch (type.kind) {
    case TypeKind::Byte: return "byte";
    case TypeKind::Short: return "short";
    case TypeKind::Int: return "integer";
    case TypeKind::Long: return "long";
    case TypeKind::Float: return "float";
    case TypeKind::Double: return "double";
    case TypeKind::Boolean: return "boolean";
    case TypeKind::String: return "string";
    case TypeKind::Binary: return "binary";
    case TypeKind::Date: return "date";
    case TypeKind::Timestamp: return "timestamp";
    case TypeKind::TimestampNtz: return "timestamp_ntz";
    case TypeKind::Variant: return "variant";
    case TypeKind::Decimal:
      return "decimal(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    case TypeKind::Array: {
      Json json = Json::object();
      json["type"] = "array";
      json["elementType"] =
          type.children.empty() ? Json("string") : sparkTypeJson<Json>(type.children[0]);
      json["containsNull"] = true;
      return json;
    }
    case TypeKind::Map: {
      Json json = Json::object();
      json["type"] = "map";
      const bool ok = type.children.size() == 2;
      json["keyType"] = ok ? sparkTypeJson<Json>(type.children[0]) : Json("string");
      json["valueType"] = ok ? sparkTypeJson<Json>(type.children[1]) : Json("string");
      json["valueContainsNull"] = true;
      return json;
    }
    case TypeKind::Struct: {
      Json json = Json::object();
      json["type"] = "struct";
      Json fields = Json::array();
      for (const StructField& field : type.fields) {
        fields.push_back(sparkFieldJson<Json>(field.name, field.type, field.nullable));
      }
      json["fields"] = std::move(fields);
      return json;
    }
  }
  return "string";
}

template <class Json>
Json sparkFieldJson(const std::string& name, const ColumnType& type, bool nullable) {
  Json json = Json::object();
  json["name"] = name;
  json["type"] = sparkTypeJson<Json>(type);
  json["nullable"] = nullable;
  json["metadata"] = Json::object();
  return json;
}

}  // namespace

absl::StatusOr<ColumnType> parseTypeText(std::string_view text) {
  return TypeParser(text).parse();
}

std::string typeText(const ColumnType& type) {
  std::string out;
  appendTypeText(type, out);
  return out;
}

std::string typeName(const ColumnType& type) {
  switch (type.kind) {
    case TypeKind::Byte: return "BYTE";
    case TypeKind::Short: return "SHORT";
    case TypeKind::Int: return "INT";
    case TypeKind::Long: return "LONG";
    case TypeKind::Float: return "FLOAT";
    case TypeKind::Double: return "DOUBLE";
    case TypeKind::Boolean: return "BOOLEAN";
    case TypeKind::String: return "STRING";
    case TypeKind::Binary: return "BINARY";
    case TypeKind::Date: return "DATE";
    case TypeKind::Timestamp: return "TIMESTAMP";
    case TypeKind::TimestampNtz: return "TIMESTAMP_NTZ";
    case TypeKind::Variant: return "VARIANT";
    case TypeKind::Decimal: return "DECIMAL";
    case TypeKind::Array: return "ARRAY";
    case TypeKind::Map: return "MAP";
    case TypeKind::Struct: return "STRUCT";
  }
  return "STRING";
}

nlohmann::json typeJson(const ColumnType& type) { return sparkTypeJson<nlohmann::json>(type); }

const Column* TableSchema::findColumn(std::string_view name) const {
  for (const Column& column : columns) {
    if (equalsIgnoreCase(column.name, name)) return &column;
  }
  return nullptr;
}

nlohmann::json unityCatalogTableJson(const TableSchema& table) {
  // full_name is catalog.schema.table; table names never contain dots (§13), so split on the
  // first two. A malformed name still renders, with the missing parts empty.
  std::string catalog;
  std::string schema;
  std::string name = table.full_name;
  if (const size_t first = table.full_name.find('.'); first != std::string::npos) {
    catalog = table.full_name.substr(0, first);
    const size_t second = table.full_name.find('.', first + 1);
    if (second != std::string::npos) {
      schema = table.full_name.substr(first + 1, second - first - 1);
      name = table.full_name.substr(second + 1);
    } else {
      name = table.full_name.substr(first + 1);
    }
  }

  nlohmann::json columns = nlohmann::json::array();
  for (const Column& column : table.columns) {
    nlohmann::json json = nlohmann::json::object();
    json["name"] = column.name;
    json["type_text"] = typeText(column.type);
    json["type_name"] = typeName(column.type);
    json["type_json"] =
        sparkFieldJson<nlohmann::ordered_json>(column.name, column.type, column.nullable).dump();
    // UC reports precision and scale on every column, 0 when they do not apply.
    const bool is_decimal = column.type.kind == TypeKind::Decimal;
    json["type_precision"] = is_decimal ? column.type.precision : 0;
    json["type_scale"] = is_decimal ? column.type.scale : 0;
    json["nullable"] = column.nullable;
    json["position"] = column.position;
    columns.push_back(std::move(json));
  }

  nlohmann::json body = nlohmann::json::object();
  body["name"] = name;
  body["catalog_name"] = catalog;
  body["schema_name"] = schema;
  body["full_name"] = table.full_name;
  body["table_type"] = "MANAGED";
  body["data_source_format"] = "DELTA";
  body["columns"] = std::move(columns);
  return body;
}

}  // namespace zerobusd::fake
