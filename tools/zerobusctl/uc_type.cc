#include "tools/zerobusctl/uc_type.h"

#include <cctype>
#include <utility>

#include <fmt/format.h>

namespace zerobusd::ctl {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Recursive descent over the type text; `depth` counts nesting so hostile input cannot
// exhaust the stack.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<UcType> parseAll() {
    auto type = parseType(0);
    if (!type.ok()) return type;
    skipSpace();
    if (pos_ != text_.size()) return error("unexpected text");
    return type;
  }

 private:
  absl::Status error(std::string_view what) const {
    return absl::InvalidArgumentError(
        fmt::format("type '{}': {} at position {}", text_, what, pos_ + 1));
  }
  absl::Status unsupported(std::string_view type, std::string_view why) const {
    return absl::InvalidArgumentError(
        fmt::format("type '{}': {} has no proto2 mapping ({})", text_, type, why));
  }

  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) {
      ++pos_;
    }
  }
  std::string_view word() {
    skipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() && isWordChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool peek(char c) {
    skipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  absl::Status expect(char c) {
    if (!peek(c)) return error(fmt::format("expected '{}'", c));
    ++pos_;
    return absl::OkStatus();
  }
  // "(n)" or "(p,s)" after varchar/char/decimal: digits and commas only.
  absl::Status skipParameters() {
    if (!peek('(')) return absl::OkStatus();
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != ')') {
      const char c = text_[pos_];
      if (std::isdigit(static_cast<unsigned char>(c)) == 0 && c != ',' && c != ' ') {
        return error("expected digits in parameters");
      }
      ++pos_;
    }
    return expect(')');
  }

  absl::StatusOr<UcType> parseType(int depth) {
    if (depth > kMaxTypeDepth) {
      return error(fmt::format("nested more than {} levels", kMaxTypeDepth));
    }
    const size_t start = pos_;
    const std::string name = lower(word());
    if (name.empty()) return error("expected a type");
    UcType type;
    if (name == "array") {
      type.kind = UcKind::kArray;
      if (auto s = expect('<'); !s.ok()) return s;
      auto element = parseType(depth + 1);
      if (!element.ok()) return element.status();
      type.children.push_back(std::move(*element));
      if (auto s = expect('>'); !s.ok()) return s;
      return type;
    }
    if (name == "map") {
      type.kind = UcKind::kMap;
      if (auto s = expect('<'); !s.ok()) return s;
      auto key = parseType(depth + 1);
      if (!key.ok()) return key.status();
      if (auto s = expect(','); !s.ok()) return s;
      auto value = parseType(depth + 1);
      if (!value.ok()) return value.status();
      type.children.push_back(std::move(*key));
      type.children.push_back(std::move(*value));
      if (auto s = expect('>'); !s.ok()) return s;
      return type;
    }
    if (name == "struct") return parseStruct(depth);
    static const std::pair<const char*, UcKind> kScalars[] = {
        {"tinyint", UcKind::kByte},
        {"byte", UcKind::kByte},
        {"smallint", UcKind::kShort},
        {"short", UcKind::kShort},
        {"int", UcKind::kInt},
        {"integer", UcKind::kInt},
        {"bigint", UcKind::kLong},
        {"long", UcKind::kLong},
        {"float", UcKind::kFloat},
        {"double", UcKind::kDouble},
        {"boolean", UcKind::kBoolean},
        {"string", UcKind::kString},
        {"binary", UcKind::kBinary},
        {"date", UcKind::kDate},
        {"timestamp", UcKind::kTimestamp},
        {"timestamp_ntz", UcKind::kTimestampNtz},
        {"variant", UcKind::kVariant},
    };
    for (const auto& [text, kind] : kScalars) {
      if (name == text) {
        type.kind = kind;
        return type;
      }
    }
    if (name == "varchar") {  // the Python tool writes VARCHAR(n) as string
      if (auto s = skipParameters(); !s.ok()) return s;
      type.kind = UcKind::kString;
      return type;
    }
    pos_ = start;
    if (name == "decimal" || name == "dec" || name == "numeric") {
      return unsupported("DECIMAL",
                         "generate_proto refuses it; store it as DOUBLE or STRING, "
                         "or write this table in JSON mode");
    }
    if (name == "char") return unsupported("CHAR", "generate_proto refuses it; use STRING");
    if (name == "interval" || name == "void" || name == "time" || name == "geography" ||
        name == "geometry" || name == "object") {
      return unsupported(name, "the Zerobus type mapping does not cover it");
    }
    return error(fmt::format("unknown type '{}'", name));
  }

  absl::StatusOr<UcType> parseStruct(int depth) {
    UcType type;
    type.kind = UcKind::kStruct;
    if (auto s = expect('<'); !s.ok()) return s;
    if (peek('>')) {
      ++pos_;
      return type;
    }
    while (true) {
      auto name = fieldName();
      if (!name.ok()) return name.status();
      if (auto s = expect(':'); !s.ok()) return s;
      auto member = parseType(depth + 1);
      if (!member.ok()) return member.status();
      if (auto s = skipConstraints(); !s.ok()) return s;
      type.fields.push_back(UcField{std::move(*name), std::move(*member)});
      if (peek(',')) {
        ++pos_;
        continue;
      }
      if (auto s = expect('>'); !s.ok()) return s;
      return type;
    }
  }

  // A struct member's name: `quoted` (`` escapes a backtick) or the text up to ':'.
  absl::StatusOr<std::string> fieldName() {
    skipSpace();
    std::string name;
    if (pos_ < text_.size() && text_[pos_] == '`') {
      ++pos_;
      while (true) {
        if (pos_ >= text_.size()) return error("unterminated `name`");
        if (text_[pos_] == '`') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '`') {
            name += '`';
            pos_ += 2;
            continue;
          }
          ++pos_;
          return name;
        }
        name += text_[pos_++];
      }
    }
    while (pos_ < text_.size() && text_[pos_] != ':' && text_[pos_] != ',' && text_[pos_] != '<' &&
           text_[pos_] != '>' && std::isspace(static_cast<unsigned char>(text_[pos_])) == 0) {
      name += text_[pos_++];
    }
    if (name.empty()) return error("expected a field name");
    return name;
  }

  // " NOT NULL" and " COMMENT '...'" may follow a member's type; neither changes the mapping
  // (every STRUCT member becomes an optional field).
  absl::Status skipConstraints() {
    while (true) {
      const size_t start = pos_;
      const std::string next = lower(word());
      if (next == "not") {
        if (lower(word()) != "null") return error("expected NULL after NOT");
      } else if (next == "comment") {
        skipSpace();
        if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
          return error("expected a quoted comment");
        }
        const char quote = text_[pos_++];
        while (pos_ < text_.size() && text_[pos_] != quote) {
          if (text_[pos_] == '\\') ++pos_;
          ++pos_;
        }
        if (pos_ >= text_.size()) return error("unterminated comment");
        ++pos_;
      } else {
        pos_ = start;
        return absl::OkStatus();
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<UcType> parseUcTypeText(std::string_view text) { return Parser(text).parseAll(); }

bool isScalar(UcKind kind) {
  return kind != UcKind::kArray && kind != UcKind::kMap && kind != UcKind::kStruct;
}

const char* kindName(UcKind kind) {
  switch (kind) {
    case UcKind::kByte:
      return "tinyint";
    case UcKind::kShort:
      return "smallint";
    case UcKind::kInt:
      return "int";
    case UcKind::kLong:
      return "bigint";
    case UcKind::kFloat:
      return "float";
    case UcKind::kDouble:
      return "double";
    case UcKind::kBoolean:
      return "boolean";
    case UcKind::kString:
      return "string";
    case UcKind::kBinary:
      return "binary";
    case UcKind::kDate:
      return "date";
    case UcKind::kTimestamp:
      return "timestamp";
    case UcKind::kTimestampNtz:
      return "timestamp_ntz";
    case UcKind::kVariant:
      return "variant";
    case UcKind::kArray:
      return "array";
    case UcKind::kMap:
      return "map";
    case UcKind::kStruct:
      return "struct";
  }
  return "?";
}

}  // namespace zerobusd::ctl
