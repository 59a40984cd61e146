// compileProtoDecoder: checks a client's DescriptorProto against the table (stream creation)
// and compiles it into the index-based schema the wire walker uses.
//
// Proto type accepted per column type (a type fits when every value it can carry is a value of
// the column; narrow columns follow the protocol doc's "int32, range-checked by the server"):
//   TINYINT, SMALLINT            int32, sint32, sfixed32 (each value range-checked)
//   INT, DATE                    int32, sint32, sfixed32
//   BIGINT, TIMESTAMP(_NTZ)      int64, sint64, sfixed64, and the 32-bit int32, sint32,
//                                sfixed32, uint32, fixed32 (they widen losslessly)
//   FLOAT                        float
//   DOUBLE                       double, float (widens losslessly)
//   BOOLEAN                      bool
//   STRING                       string (UTF-8 checked per record)
//   VARIANT                      string holding one JSON value (checked per record)
//   DECIMAL(p,s)                 string holding a decimal literal that fits (checked per record)
//   BINARY                       bytes
//   ARRAY<T>                     repeated T (T not ARRAY or MAP; no proto form exists)
//   MAP<K,V>                     repeated map entry message: key = 1, value = 2, and either
//                                options.map_entry or a "*Entry" name with fields key and value;
//                                key a valid proto map key type fitting K, value fitting V
//                                (V not ARRAY or MAP)
//   STRUCT<...>                  a nested message checked recursively against the members
// uint64/fixed64 never fit (no unsigned 64-bit column). Enums and groups are refused: Delta has
// no enum type, and how the service maps them is unknown (protocol doc §17.6).
// Field names match column names case-insensitively; field numbers do not matter.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tools/zerobus-fake/proto_schema.h"
#include "tools/zerobus-fake/row_decoder.h"
#include "tools/zerobus-fake/value_text.h"

namespace zerobusd::fake {
namespace {

using google::protobuf::DescriptorProto;
using google::protobuf::FieldDescriptorProto;
using detail::CompiledField;
using detail::CompiledMessage;
using detail::ProtoKind;
using detail::ValueCheck;
using detail::WireType;

constexpr char kFieldNotInTable[] = "FIELD_NOT_IN_TABLE";
constexpr char kMissingRequiredColumn[] = "MISSING_REQUIRED_COLUMN";
constexpr char kTypeIncompatible[] = "TYPE_INCOMPATIBLE";
// Not one of the service's documented causes: for descriptors that are broken on their own
// (bad or duplicate numbers, unresolvable type names), which protobuf itself would refuse.
constexpr char kInvalidDescriptor[] = "INVALID_DESCRIPTOR";

constexpr int64_t kMaxFieldNumber = (int64_t{1} << 29) - 1;
constexpr int64_t kFirstReservedNumber = 19000;  // protobuf's own range
constexpr int64_t kLastReservedNumber = 19999;
// nested_type trees deeper than this are not indexed; protobuf's parser stops at 100 anyway.
constexpr int kMaxIndexDepth = 200;

struct Member {
  const std::string* name;
  const ColumnType* type;
  bool nullable;
};

std::string join(const std::string& scope, const std::string& name) {
  return scope.empty() ? name : scope + "." + name;
}

bool endsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const FieldDescriptorProto* fieldByNumber(const DescriptorProto& message, int number) {
  for (const FieldDescriptorProto& field : message.field()) {
    if (field.number() == number) return &field;
  }
  return nullptr;
}

bool isMapEntry(const DescriptorProto& message) {
  const FieldDescriptorProto* key = fieldByNumber(message, 1);
  const FieldDescriptorProto* value = fieldByNumber(message, 2);
  if (message.field_size() != 2 || key == nullptr || value == nullptr) return false;
  if (message.options().map_entry()) return true;
  return endsWith(message.name(), "Entry") && key->name() == "key" && value->name() == "value";
}

const char* labelName(const FieldDescriptorProto& field) {
  switch (field.label()) {
    case FieldDescriptorProto::LABEL_REQUIRED: return "required";
    case FieldDescriptorProto::LABEL_REPEATED: return "repeated";
    default: return "optional";
  }
}

const char* kindName(ProtoKind kind) {
  switch (kind) {
    case ProtoKind::Int32: return "int32";
    case ProtoKind::Int64: return "int64";
    case ProtoKind::UInt32: return "uint32";
    case ProtoKind::UInt64: return "uint64";
    case ProtoKind::SInt32: return "sint32";
    case ProtoKind::SInt64: return "sint64";
    case ProtoKind::Fixed32: return "fixed32";
    case ProtoKind::Fixed64: return "fixed64";
    case ProtoKind::SFixed32: return "sfixed32";
    case ProtoKind::SFixed64: return "sfixed64";
    case ProtoKind::Float: return "float";
    case ProtoKind::Double: return "double";
    case ProtoKind::Bool: return "bool";
    case ProtoKind::String: return "string";
    case ProtoKind::Bytes: return "bytes";
    case ProtoKind::Message: return "message";
  }
  return "?";
}

WireType wireFor(ProtoKind kind) {
  switch (kind) {
    case ProtoKind::Fixed32:
    case ProtoKind::SFixed32:
    case ProtoKind::Float:
      return WireType::Fixed32;
    case ProtoKind::Fixed64:
    case ProtoKind::SFixed64:
    case ProtoKind::Double:
      return WireType::Fixed64;
    case ProtoKind::String:
    case ProtoKind::Bytes:
    case ProtoKind::Message:
      return WireType::LengthDelimited;
    default:
      return WireType::Varint;
  }
}

bool isSigned32(ProtoKind kind) {
  return kind == ProtoKind::Int32 || kind == ProtoKind::SInt32 || kind == ProtoKind::SFixed32;
}

bool scalarFits(ProtoKind kind, TypeKind column) {
  switch (column) {
    case TypeKind::Byte:
    case TypeKind::Short:
    case TypeKind::Int:
    case TypeKind::Date:
      return isSigned32(kind);
    case TypeKind::Long:
    case TypeKind::Timestamp:
    case TypeKind::TimestampNtz:
      return kind == ProtoKind::Int64 || kind == ProtoKind::SInt64 ||
             kind == ProtoKind::SFixed64 || isSigned32(kind) || kind == ProtoKind::UInt32 ||
             kind == ProtoKind::Fixed32;
    case TypeKind::Float: return kind == ProtoKind::Float;
    case TypeKind::Double: return kind == ProtoKind::Double || kind == ProtoKind::Float;
    case TypeKind::Boolean: return kind == ProtoKind::Bool;
    case TypeKind::String:
    case TypeKind::Variant:
    case TypeKind::Decimal:
      return kind == ProtoKind::String;
    case TypeKind::Binary: return kind == ProtoKind::Bytes;
    case TypeKind::Array:
    case TypeKind::Map:
    case TypeKind::Struct:
      return false;
  }
  return false;
}

bool isValidMapKey(ProtoKind kind) {
  return kind != ProtoKind::Float && kind != ProtoKind::Double && kind != ProtoKind::Bytes &&
         kind != ProtoKind::Message;
}

// A field's proto type after resolving type_name.
struct FieldType {
  ProtoKind kind = ProtoKind::Int32;
  const DescriptorProto* message = nullptr;  // kind == Message
  std::string message_path;                  // its path in the nested_type tree (its scope)
  std::string display;                       // "optional string", "repeated message Address"
};

class Compiler {
 public:
  Compiler(const DescriptorProto& root, const TableSchema& table) : root_(root), table_(table) {
    indexTypes(root, root.name(), 0);
  }

  DescriptorCheck run() {
    std::vector<Member> members;
    members.reserve(table_.columns.size());
    for (const Column& column : table_.columns) {
      members.push_back(Member{&column.name, &column.type, column.nullable});
    }
    compileMessage(root_, root_.name(), members, "", 0);

    DescriptorCheck check;
    if (causes_.empty()) {
      check.decoder = detail::makeProtoRowDecoder(std::move(schema_));
      return check;
    }
    for (const std::string& message : messages_) {
      if (!check.message.empty()) check.message += "; ";
      check.message += message;
    }
    check.causes = causes_;
    return check;
  }

 private:
  struct TypeEntry {
    const DescriptorProto* message = nullptr;  // null for an enum
  };

  void indexTypes(const DescriptorProto& message, const std::string& path, int depth) {
    if (depth > kMaxIndexDepth) return;
    types_.emplace(path, TypeEntry{&message});
    for (const auto& nested_enum : message.enum_type()) {
      types_.emplace(join(path, nested_enum.name()), TypeEntry{nullptr});
    }
    for (const DescriptorProto& nested : message.nested_type()) {
      indexTypes(nested, join(path, nested.name()), depth + 1);
    }
  }

  // Finds the nested type a type_name means. Relative names follow protobuf scoping (innermost
  // scope outward). Then, since the lone DescriptorProto has lost its file's package, leading
  // components are dropped until the rest is a path in the tree (".pkg.table_Orders.Address").
  // Last, a name that is the unique trailing path of one type is taken ("Address" used from a
  // scope that does not enclose it).
  const std::pair<const std::string, TypeEntry>* resolve(const std::string& type_name,
                                                         const std::string& scope) const {
    if (type_name.empty()) return nullptr;
    if (type_name[0] != '.') {
      std::string current = scope;
      while (true) {
        if (auto it = types_.find(join(current, type_name)); it != types_.end()) return &*it;
        if (current.empty()) break;
        const size_t dot = current.rfind('.');
        current = dot == std::string::npos ? std::string() : current.substr(0, dot);
      }
    }
    std::string rest = type_name[0] == '.' ? type_name.substr(1) : type_name;
    const std::string full = rest;
    while (true) {
      if (auto it = types_.find(rest); it != types_.end()) return &*it;
      const size_t dot = rest.find('.');
      if (dot == std::string::npos) break;
      rest = rest.substr(dot + 1);
    }
    const std::pair<const std::string, TypeEntry>* unique = nullptr;
    for (const auto& entry : types_) {
      if (entry.first == full || endsWith(entry.first, "." + full)) {
        if (unique != nullptr) return nullptr;  // ambiguous
        unique = &entry;
      }
    }
    return unique;
  }

  void violation(const char* cause, std::string message) {
    bool known = false;
    for (const std::string& existing : causes_) known = known || existing == cause;
    if (!known) causes_.emplace_back(cause);
    messages_.push_back(std::move(message));
  }

  bool incompatible(const std::string& path, const FieldType& type, const ColumnType& column,
                    std::string_view detail = {}) {
    std::string message = "Field '" + path + "' (" + type.display +
                          ") is incompatible with column type " + typeText(column);
    if (!detail.empty()) message += ": " + std::string(detail);
    violation(kTypeIncompatible, std::move(message));
    return false;
  }

  bool fieldType(const FieldDescriptorProto& field, const std::string& scope,
                 const std::string& path, FieldType& out) {
    const std::string label = labelName(field);
    auto refuse = [&](const std::string& what) {
      violation(kTypeIncompatible, "Field '" + path + "' is " + what +
                                       ", which no column type accepts");
      return false;
    };
    auto message = [&](const std::pair<const std::string, TypeEntry>* entry) {
      if (entry == nullptr) {
        violation(kInvalidDescriptor, "Field '" + path + "' has type '" + field.type_name() +
                                          "', which is not in the descriptor's nested types");
        return false;
      }
      if (entry->second.message == nullptr) return refuse("an enum (" + field.type_name() + ")");
      out.kind = ProtoKind::Message;
      out.message = entry->second.message;
      out.message_path = entry->first;
      out.display = label + " message " + entry->first;
      return true;
    };

    if (!field.has_type()) {
      // descriptor.proto allows type_name alone; it then names a message or an enum.
      if (!field.has_type_name()) {
        violation(kInvalidDescriptor, "Field '" + path + "' has no type");
        return false;
      }
      return message(resolve(field.type_name(), scope));
    }
    switch (field.type()) {
      case FieldDescriptorProto::TYPE_GROUP: return refuse("a group");
      case FieldDescriptorProto::TYPE_ENUM: return refuse("an enum");
      case FieldDescriptorProto::TYPE_MESSAGE: return message(resolve(field.type_name(), scope));
      case FieldDescriptorProto::TYPE_DOUBLE: out.kind = ProtoKind::Double; break;
      case FieldDescriptorProto::TYPE_FLOAT: out.kind = ProtoKind::Float; break;
      case FieldDescriptorProto::TYPE_INT64: out.kind = ProtoKind::Int64; break;
      case FieldDescriptorProto::TYPE_UINT64: out.kind = ProtoKind::UInt64; break;
      case FieldDescriptorProto::TYPE_INT32: out.kind = ProtoKind::Int32; break;
      case FieldDescriptorProto::TYPE_FIXED64: out.kind = ProtoKind::Fixed64; break;
      case FieldDescriptorProto::TYPE_FIXED32: out.kind = ProtoKind::Fixed32; break;
      case FieldDescriptorProto::TYPE_BOOL: out.kind = ProtoKind::Bool; break;
      case FieldDescriptorProto::TYPE_STRING: out.kind = ProtoKind::String; break;
      case FieldDescriptorProto::TYPE_BYTES: out.kind = ProtoKind::Bytes; break;
      case FieldDescriptorProto::TYPE_UINT32: out.kind = ProtoKind::UInt32; break;
      case FieldDescriptorProto::TYPE_SFIXED32: out.kind = ProtoKind::SFixed32; break;
      case FieldDescriptorProto::TYPE_SFIXED64: out.kind = ProtoKind::SFixed64; break;
      case FieldDescriptorProto::TYPE_SINT32: out.kind = ProtoKind::SInt32; break;
      case FieldDescriptorProto::TYPE_SINT64: out.kind = ProtoKind::SInt64; break;
      default:
        violation(kInvalidDescriptor, "Field '" + path + "' has an unknown type");
        return false;
    }
    out.display = label + " " + kindName(out.kind);
    return true;
  }

  void startField(const FieldDescriptorProto& field, const ColumnType& column,
                  CompiledField& out) {
    out.number = static_cast<uint32_t>(field.number());
    out.name = field.name();
    out.json_key.clear();
    detail::appendJsonString(out.json_key, field.name());
    out.json_key += ':';
    out.column_type = typeText(column);
  }

  // One value of column type `column` carried by a field of type `type` (a whole field, an
  // array element, a map key or value). `out.repeated` is already set.
  bool compileValue(const FieldType& type, const ColumnType& column, const std::string& path,
                    int depth, CompiledField& out) {
    if (column.kind == TypeKind::Struct) {
      if (type.kind != ProtoKind::Message) return incompatible(path, type, column);
      if (type.message->options().map_entry()) {
        return incompatible(path, type, column, "a map cannot fill a struct");
      }
      if (depth + 1 > detail::kMaxMessageDepth) {
        violation(kInvalidDescriptor, "Field '" + path + "' nests messages deeper than " +
                                          std::to_string(detail::kMaxMessageDepth) + " levels");
        return false;
      }
      std::vector<Member> members;
      members.reserve(column.fields.size());
      for (const StructField& member : column.fields) {
        members.push_back(Member{&member.name, &member.type, member.nullable});
      }
      out.kind = ProtoKind::Message;
      out.wire = WireType::LengthDelimited;
      out.message = compileMessage(*type.message, type.message_path, members, path + ".",
                                   depth + 1);
      return true;
    }
    if (type.kind == ProtoKind::Message || !scalarFits(type.kind, column.kind)) {
      return incompatible(path, type, column);
    }
    out.kind = type.kind;
    out.wire = wireFor(type.kind);
    out.packable = out.repeated && out.wire != WireType::LengthDelimited;
    out.column_type = typeText(column);
    switch (column.kind) {
      case TypeKind::Byte:
        out.check = ValueCheck::Range;
        out.min = -128;
        out.max = 127;
        break;
      case TypeKind::Short:
        out.check = ValueCheck::Range;
        out.min = -32768;
        out.max = 32767;
        break;
      case TypeKind::String: out.check = ValueCheck::Utf8; break;
      case TypeKind::Variant: out.check = ValueCheck::Variant; break;
      case TypeKind::Decimal:
        out.check = ValueCheck::Decimal;
        out.precision = column.precision;
        out.scale = column.scale;
        break;
      default: break;
    }
    return true;
  }

  bool compileField(const FieldDescriptorProto& field, const std::string& scope,
                    const Member& member, const std::string& path, int depth,
                    CompiledField& out) {
    FieldType type;
    if (!fieldType(field, scope, path, type)) return false;
    const ColumnType& column = *member.type;
    startField(field, column, out);
    const bool repeated = field.label() == FieldDescriptorProto::LABEL_REPEATED;

    if (column.kind == TypeKind::Array) {
      if (!repeated) return incompatible(path, type, column, "an array needs a repeated field");
      if (column.children.empty()) return incompatible(path, type, column);
      const ColumnType& element = column.children[0];
      if (element.kind == TypeKind::Array || element.kind == TypeKind::Map) {
        return incompatible(path, type, column, "arrays of arrays or maps have no proto form");
      }
      if (type.message != nullptr && type.message->options().map_entry()) {
        return incompatible(path, type, column, "a map cannot fill an array");
      }
      out.repeated = true;
      return compileValue(type, element, path, depth, out);
    }
    if (column.kind == TypeKind::Map) {
      if (!repeated || type.message == nullptr || !isMapEntry(*type.message)) {
        return incompatible(path, type, column,
                            "a map needs a map field (entry key = 1, value = 2)");
      }
      if (depth + 1 > detail::kMaxMessageDepth) {
        violation(kInvalidDescriptor, "Field '" + path + "' nests messages deeper than " +
                                          std::to_string(detail::kMaxMessageDepth) + " levels");
        return false;
      }
      out.repeated = true;
      out.is_map = true;
      out.kind = ProtoKind::Message;
      out.wire = WireType::LengthDelimited;
      out.message = compileMapEntry(*type.message, type.message_path, column, path, depth + 1);
      return out.message >= 0;
    }
    if (repeated) return incompatible(path, type, column, "only array and map columns repeat");
    return compileValue(type, column, path, depth, out);
  }

  // A map entry message: key (1) against the map's key type, value (2) against its value type.
  // Returns -1 after recording violations.
  int compileMapEntry(const DescriptorProto& entry, const std::string& entry_path,
                      const ColumnType& column, const std::string& path, int depth) {
    if (column.children.size() != 2) return -1;
    const ColumnType& key_type = column.children[0];
    const ColumnType& value_type = column.children[1];
    const FieldDescriptorProto& key_field = *fieldByNumber(entry, 1);
    const FieldDescriptorProto& value_field = *fieldByNumber(entry, 2);

    CompiledMessage compiled;
    bool ok = true;
    const std::string key_path = path + ".key";
    FieldType key;
    if (!fieldType(key_field, entry_path, key_path, key)) {
      ok = false;
    } else if (key_field.label() == FieldDescriptorProto::LABEL_REPEATED ||
               !isValidMapKey(key.kind)) {
      ok = incompatible(key_path, key, key_type, "not a valid map key");
    } else if (key_type.kind == TypeKind::Array || key_type.kind == TypeKind::Map ||
               key_type.kind == TypeKind::Struct) {
      ok = incompatible(key_path, key, key_type, "map keys must be scalars");
    } else {
      CompiledField field;
      startField(key_field, key_type, field);
      if (compileValue(key, key_type, key_path, depth, field)) {
        if (key_field.label() == FieldDescriptorProto::LABEL_REQUIRED) {
          field.required_slot = compiled.required_count++;
        }
        compiled.fields.push_back(std::move(field));
      } else {
        ok = false;
      }
    }

    const std::string value_path = path + ".value";
    FieldType value;
    if (!fieldType(value_field, entry_path, value_path, value)) {
      ok = false;
    } else if (value_field.label() == FieldDescriptorProto::LABEL_REPEATED) {
      ok = incompatible(value_path, value, value_type, "map values cannot repeat");
    } else if (value_type.kind == TypeKind::Array || value_type.kind == TypeKind::Map) {
      ok = incompatible(value_path, value, value_type, "map values cannot be arrays or maps");
    } else {
      CompiledField field;
      startField(value_field, value_type, field);
      if (compileValue(value, value_type, value_path, depth, field)) {
        if (value_field.label() == FieldDescriptorProto::LABEL_REQUIRED) {
          field.required_slot = compiled.required_count++;
        }
        compiled.fields.push_back(std::move(field));
      } else {
        ok = false;
      }
    }
    if (!ok) return -1;
    compiled.buildIndex();
    schema_.messages.push_back(std::move(compiled));
    return static_cast<int>(schema_.messages.size() - 1);
  }

  int compileMessage(const DescriptorProto& message, const std::string& scope,
                     const std::vector<Member>& members, const std::string& prefix, int depth) {
    const size_t index = schema_.messages.size();
    schema_.messages.emplace_back();  // claim the slot; nested messages take later ones
    CompiledMessage compiled;
    std::vector<bool> member_seen(members.size(), false);
    std::set<int> numbers;
    std::set<std::string> names;
    const bool is_root = prefix.empty();

    for (const FieldDescriptorProto& field : message.field()) {
      const std::string path = prefix + field.name();
      const int64_t number = field.number();
      if (number < 1 || number > kMaxFieldNumber ||
          (number >= kFirstReservedNumber && number <= kLastReservedNumber)) {
        violation(kInvalidDescriptor,
                  "Field '" + path + "' has invalid number " + std::to_string(number));
        continue;
      }
      if (!numbers.insert(field.number()).second) {
        violation(kInvalidDescriptor,
                  "Field '" + path + "' reuses number " + std::to_string(number));
        continue;
      }
      if (!names.insert(detail::toLowerAscii(field.name())).second) {
        violation(kInvalidDescriptor,
                  "Field '" + path + "' names the same column as an earlier field");
        continue;
      }
      size_t found = members.size();
      for (size_t i = 0; i < members.size(); ++i) {
        if (detail::equalsIgnoreCase(*members[i].name, field.name())) {
          found = i;
          break;
        }
      }
      if (found == members.size()) {
        violation(kFieldNotInTable,
                  is_root ? "Field '" + path + "' is not a column of table " + table_.full_name
                          : "Field '" + path + "' is not a member of struct column '" +
                                prefix.substr(0, prefix.size() - 1) + "'");
        continue;
      }
      member_seen[found] = true;
      CompiledField compiled_field;
      if (!compileField(field, scope, members[found], path, depth, compiled_field)) continue;
      // NOT NULL is enforced per record even when the field is declared optional: the service
      // writes every record, and a NOT NULL column cannot take NULL.
      const bool must_be_present = field.label() == FieldDescriptorProto::LABEL_REQUIRED ||
                                   !members[found].nullable;
      if (!compiled_field.repeated && must_be_present) {
        compiled_field.required_slot = compiled.required_count++;
      }
      compiled.fields.push_back(std::move(compiled_field));
    }

    for (size_t i = 0; i < members.size(); ++i) {
      if (member_seen[i] || members[i].nullable) continue;
      violation(kMissingRequiredColumn,
                is_root ? "Column '" + *members[i].name +
                              "' is NOT NULL but missing from the descriptor"
                        : "Struct member '" + prefix + *members[i].name +
                              "' is NOT NULL but missing from the descriptor");
    }
    compiled.buildIndex();
    schema_.messages[index] = std::move(compiled);
    return static_cast<int>(index);
  }

  const DescriptorProto& root_;
  const TableSchema& table_;
  std::map<std::string, TypeEntry> types_;  // nested_type tree by path ("Root.Address")
  detail::CompiledSchema schema_;
  std::vector<std::string> causes_;    // deduplicated, first occurrence order
  std::vector<std::string> messages_;  // one per violation
};

}  // namespace

namespace detail {

void CompiledMessage::buildIndex() {
  // Dense when the largest number is small relative to the field count: 1..N numbering (the
  // generators' scheme, gaps at most 1000 for position + 1) costs a few KiB at most.
  constexpr uint32_t kDenseSlack = 1024;
  uint32_t max_number = 0;
  for (const CompiledField& field : fields) max_number = std::max(max_number, field.number);
  dense.clear();
  sparse.clear();
  if (max_number <= kDenseSlack + 4 * static_cast<uint32_t>(fields.size())) {
    dense.assign(static_cast<size_t>(max_number) + 1, -1);
    for (size_t i = 0; i < fields.size(); ++i) dense[fields[i].number] = static_cast<int32_t>(i);
    return;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    sparse.emplace_back(fields[i].number, static_cast<int32_t>(i));
  }
  std::sort(sparse.begin(), sparse.end());
}

}  // namespace detail

DescriptorCheck compileProtoDecoder(const google::protobuf::DescriptorProto& descriptor,
                                    const TableSchema& table) {
  return Compiler(descriptor, table).run();
}

}  // namespace zerobusd::fake
