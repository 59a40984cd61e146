#include "tools/zerobusctl/proto_gen.h"

#include <cctype>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tools/zerobusctl/json_depth.h"
#include "tools/zerobusctl/uc_type.h"

namespace zerobusd::ctl {
namespace {

// The names generate_proto refuses (zerobus-protocol.md §10).
const std::set<std::string, std::less<>> kKeywords = {
    "syntax",  "import",   "option",   "package", "message", "enum",   "service",
    "rpc",     "returns",  "reserved", "to",      "max",     "double", "float",
    "int32",   "int64",    "uint32",   "uint64",  "sint32",  "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool",    "string",  "bytes"};

// JSON nesting allowed in a Unity Catalog answer: the document is flat apart from type_json
// strings, so this is generous.
constexpr int kMaxAnswerDepth = 64;

int nextFieldNumber(int number) {
  ++number;
  return number >= 19000 && number <= 19999 ? 20000 : number;  // protobuf's reserved range
}

const char* scalarProtoType(UcKind kind) {
  switch (kind) {
    case UcKind::kByte:
    case UcKind::kShort:
    case UcKind::kInt:
    case UcKind::kDate:  // days since 1970-01-01
      return "int32";
    case UcKind::kLong:
    case UcKind::kTimestamp:  // microseconds since the epoch
    case UcKind::kTimestampNtz:
      return "int64";
    case UcKind::kFloat:
      return "float";
    case UcKind::kDouble:
      return "double";
    case UcKind::kBoolean:
      return "bool";
    case UcKind::kString:
    case UcKind::kVariant:  // JSON text
      return "string";
    case UcKind::kBinary:
      return "bytes";
    case UcKind::kArray:
    case UcKind::kMap:
    case UcKind::kStruct:
      break;
  }
  return nullptr;
}

bool isMapKey(UcKind kind) {
  return kind == UcKind::kByte || kind == UcKind::kShort || kind == UcKind::kInt ||
         kind == UcKind::kLong || kind == UcKind::kBoolean || kind == UcKind::kString;
}

struct MessageDef {
  std::string name;
  std::vector<std::string> fields;  // rendered field lines
  std::vector<MessageDef> nested;
  std::set<std::string, std::less<>> taken;  // field and nested message names in this scope
};

class Generator {
 public:
  // Claims the field names of one message before any field is added, so a nested message
  // never takes a name a later field needs.
  static absl::Status reserveFieldNames(MessageDef& message, const std::vector<std::string>& names,
                                        const std::string& what) {
    for (const std::string& name : names) {
      if (!message.taken.insert(name).second) {
        return absl::InvalidArgumentError(fmt::format("{}: duplicate name '{}'", what, name));
      }
    }
    return absl::OkStatus();
  }

  // Adds field `name` of `type` to `parent`; `what` names it in errors.
  absl::Status addField(MessageDef& parent, const std::string& name, const UcType& type,
                        const char* label, int number, const std::string& what) {
    if (!isValidProtoName(name)) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: '{}' is not a usable proto field name (letters, digits and '_', not starting "
          "with a digit, not a proto keyword)",
          what, name));
    }
    switch (type.kind) {
      case UcKind::kStruct: {
        auto message = nestedMessage(parent, name, type, number, what);
        if (!message.ok()) return message.status();
        return line(parent, fmt::format("{} {} {} = {};", label, *message, name, number));
      }
      case UcKind::kArray: {
        const UcType& element = type.children.at(0);
        if (element.kind == UcKind::kArray || element.kind == UcKind::kMap) {
          return absl::InvalidArgumentError(
              fmt::format("{}: ARRAY<{}> is not supported (arrays of arrays or maps have no proto2 "
                          "mapping)",
                          what, kindName(element.kind)));
        }
        auto element_type = elementType(parent, name, element, number, what);
        if (!element_type.ok()) return element_type.status();
        return line(parent, fmt::format("repeated {} {} = {};", *element_type, name, number));
      }
      case UcKind::kMap: {
        const UcType& key = type.children.at(0);
        const UcType& value = type.children.at(1);
        if (!isMapKey(key.kind)) {
          return absl::InvalidArgumentError(fmt::format(
              "{}: MAP keys of type {} are not supported (integral, boolean or string only)", what,
              kindName(key.kind)));
        }
        if (value.kind == UcKind::kArray || value.kind == UcKind::kMap) {
          return absl::InvalidArgumentError(
              fmt::format("{}: MAP values of type {} are not supported (scalars or structs only)",
                          what, kindName(value.kind)));
        }
        auto value_type = elementType(parent, name, value, number, what);
        if (!value_type.ok()) return value_type.status();
        return line(parent, fmt::format("map<{}, {}> {} = {};", scalarProtoType(key.kind),
                                        *value_type, name, number));
      }
      default:
        return line(parent,
                    fmt::format("{} {} {} = {};", label, scalarProtoType(type.kind), name, number));
    }
  }

 private:
  static absl::Status line(MessageDef& parent, std::string text) {
    parent.fields.push_back(std::move(text));
    return absl::OkStatus();
  }

  // The proto type of an array element or map value: a scalar, or a nested message.
  absl::StatusOr<std::string> elementType(MessageDef& parent, const std::string& name,
                                          const UcType& type, int number, const std::string& what) {
    if (type.kind == UcKind::kStruct) return nestedMessage(parent, name, type, number, what);
    return std::string(scalarProtoType(type.kind));
  }

  // Declares the message for STRUCT `type` inside `parent` and returns its name.
  absl::StatusOr<std::string> nestedMessage(MessageDef& parent, const std::string& field_name,
                                            const UcType& type, int number,
                                            const std::string& what) {
    std::string base = pascalCase(field_name);
    if (base.empty()) base = fmt::format("Struct{}", number);
    // A name already used in this scope (a field, or another struct's message) gets a suffix,
    // so the file still compiles.
    std::string name = base;
    for (int suffix = 2; parent.taken.contains(name); ++suffix) {
      name = fmt::format("{}{}", base, suffix);
    }
    parent.taken.insert(name);
    MessageDef message;
    message.name = name;
    std::vector<std::string> member_names;
    for (const UcField& member : type.fields) member_names.push_back(member.name);
    if (auto reserved = reserveFieldNames(message, member_names, what); !reserved.ok()) {
      return reserved;
    }
    int member_number = 1;
    for (const UcField& member : type.fields) {
      auto added = addField(message, member.name, member.type, "optional", member_number,
                            fmt::format("{} member '{}'", what, member.name));
      if (!added.ok()) return added;
      member_number = nextFieldNumber(member_number);
    }
    parent.nested.push_back(std::move(message));
    return name;
  }
};

void render(const MessageDef& message, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  out += fmt::format("{}message {} {{\n", pad, message.name);
  for (const std::string& field : message.fields) out += fmt::format("{}  {}\n", pad, field);
  for (const MessageDef& nested : message.nested) {
    out += '\n';
    render(nested, indent + 2, out);
  }
  out += fmt::format("{}}}\n", pad);
}

}  // namespace

std::string pascalCase(std::string_view name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

bool isValidProtoName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front())) != 0) return false;
  for (char c : name) {
    const bool word =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!word) return false;
  }
  return !kKeywords.contains(name);
}

absl::StatusOr<UcTable> parseUcTable(std::string_view body) {
  if (body.size() > kMaxUcAnswerBytes) {
    return absl::InvalidArgumentError(fmt::format("the answer is {} bytes, over the {} byte limit",
                                                  body.size(), kMaxUcAnswerBytes));
  }
  if (!jsonDepthWithin(body, kMaxAnswerDepth)) {
    return absl::InvalidArgumentError(
        fmt::format("the answer nests JSON deeper than {} levels", kMaxAnswerDepth));
  }
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InvalidArgumentError("the answer is not valid JSON");
  if (!json.is_object()) return absl::InvalidArgumentError("the answer is not a JSON object");
  UcTable table;
  if (auto it = json.find("full_name"); it != json.end() && it->is_string()) {
    table.full_name = it->get<std::string>();
  }
  if (auto it = json.find("name"); it != json.end() && it->is_string()) {
    table.name = it->get<std::string>();
  }
  const auto columns = json.find("columns");
  if (columns == json.end() || !columns->is_array()) {
    return absl::InvalidArgumentError("the answer has no 'columns' array");
  }
  for (size_t i = 0; i < columns->size(); ++i) {
    const nlohmann::json& entry = (*columns)[i];
    const auto name = entry.is_object() ? entry.find("name") : entry.end();
    const auto type = entry.is_object() ? entry.find("type_text") : entry.end();
    if (name == entry.end() || !name->is_string() || type == entry.end() || !type->is_string()) {
      return absl::InvalidArgumentError(
          fmt::format("columns[{}] lacks a string 'name' or 'type_text'", i));
    }
    UcColumn column{name->get<std::string>(), type->get<std::string>(), true};
    if (auto nullable = entry.find("nullable"); nullable != entry.end()) {
      if (!nullable->is_boolean()) {
        return absl::InvalidArgumentError(fmt::format("columns[{}].nullable is not a boolean", i));
      }
      column.nullable = nullable->get<bool>();
    }
    table.columns.push_back(std::move(column));
  }
  return table;
}

absl::StatusOr<std::string> generateProto(const UcTable& table, const ProtoGenOptions& options) {
  std::string message_name = options.message_name;
  if (message_name.empty()) {
    message_name = table.name;
    if (message_name.empty()) {
      const size_t dot = table.full_name.rfind('.');
      message_name = dot == std::string::npos ? table.full_name : table.full_name.substr(dot + 1);
    }
  }
  if (!isValidProtoName(message_name)) {
    return absl::InvalidArgumentError(fmt::format(
        "'{}' is not a usable message name (letters, digits and '_', not starting with a "
        "digit, not a proto keyword): pick one with --message",
        message_name));
  }
  if (table.columns.empty()) return absl::InvalidArgumentError("the table has no columns");

  MessageDef root;
  root.name = message_name;
  std::vector<std::string> names;
  for (const UcColumn& column : table.columns) names.push_back(column.name);
  if (auto reserved = Generator::reserveFieldNames(root, names, "columns"); !reserved.ok()) {
    return reserved;
  }
  Generator generator;
  int number = 1;
  for (const UcColumn& column : table.columns) {
    const std::string what = fmt::format("column '{}' ({})", column.name, column.type_text);
    auto type = parseUcTypeText(column.type_text);
    if (!type.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("column '{}': {}", column.name, std::string(type.status().message())));
    }
    auto added = generator.addField(root, column.name, *type,
                                    column.nullable ? "optional" : "required", number, what);
    if (!added.ok()) return added;
    number = nextFieldNumber(number);
  }

  std::string out;
  for (const std::string& line : options.header) {
    out += line.empty() ? "//\n" : "// " + line + "\n";
  }
  out += "syntax = \"proto2\";\n\n";
  render(root, 0, out);
  return out;
}

}  // namespace zerobusd::ctl
