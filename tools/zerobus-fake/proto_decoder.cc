// The PROTO stream RowDecoder: walks the protobuf wire format of one record against the
// compiled schema (no DynamicMessage, no reflection). Checking is one pass over the bytes that
// allocates nothing (except VARIANT columns, whose JSON text is parsed to be checked); the JSON
// rendering is a second pass over bytes already known to be valid.
//
// Where this is stricter or looser than a protobuf parser, deliberately:
// - unknown field numbers are refused (the service refuses fields that are not columns);
// - string columns must hold valid UTF-8 (proto2 does not check; Delta strings must be);
// - a 10-byte varint whose last byte carries more than bit 63 is refused;
// - 32-bit integer fields read the low 32 bits of a wider varint, as protobuf does;
// - a singular message field sent several times is merged for the JSON row (protobuf
//   semantics), but each occurrence is checked on its own, required fields included.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/zerobus-fake/proto_schema.h"
#include "tools/zerobus-fake/value_text.h"

namespace zerobusd::fake::detail {
namespace {

struct Chunk {
  const uint8_t* begin;
  const uint8_t* end;
};

// Reads one base-128 varint. Returns the position after it, or nullptr when the input ends
// inside it (`too_long` false) or it runs past 10 bytes / 64 bits (`too_long` true).
inline const uint8_t* readVarint(const uint8_t* p, const uint8_t* end, uint64_t& value,
                                 bool& too_long) {
  if (p < end && *p < 0x80) {
    value = *p;
    return p + 1;
  }
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (p >= end) {
      too_long = false;
      return nullptr;
    }
    const uint8_t byte = *p++;
    // The tenth byte may only carry bit 63; anything more is not a 64-bit value.
    if (i == 9 && byte > 1) {
      too_long = true;
      return nullptr;
    }
    result |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
    if (byte < 0x80) {
      value = result;
      return p;
    }
  }
  too_long = true;
  return nullptr;
}

inline uint32_t loadFixed32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

inline uint64_t loadFixed64(const uint8_t* p) {
  return static_cast<uint64_t>(loadFixed32(p)) | (static_cast<uint64_t>(loadFixed32(p + 4)) << 32);
}

inline int32_t zigzag32(uint32_t n) { return static_cast<int32_t>((n >> 1) ^ (0u - (n & 1u))); }
inline int64_t zigzag64(uint64_t n) {
  return static_cast<int64_t>((n >> 1) ^ (uint64_t{0} - (n & 1u)));
}

// The value of a varint or fixed field as the column sees it (protobuf semantics: 32-bit
// types take the low 32 bits of a varint).
int64_t signedValue(ProtoKind kind, uint64_t raw) {
  switch (kind) {
    case ProtoKind::Int32:
    case ProtoKind::SFixed32:
      return static_cast<int32_t>(static_cast<uint32_t>(raw));
    case ProtoKind::SInt32: return zigzag32(static_cast<uint32_t>(raw));
    case ProtoKind::SInt64: return zigzag64(raw);
    case ProtoKind::UInt32:
    case ProtoKind::Fixed32:
      return static_cast<int64_t>(static_cast<uint32_t>(raw));
    default: return static_cast<int64_t>(raw);
  }
}

const char* wireName(uint32_t wire) {
  switch (wire) {
    case 0: return "varint";
    case 1: return "fixed64";
    case 2: return "length-delimited";
    case 3: return "start-group";
    case 4: return "end-group";
    case 5: return "fixed32";
    default: return "invalid";
  }
}

// Presence bits for the fields a message must contain. Inline for up to 1024 such fields, so
// the check allocates nothing for any realistic table.
class PresenceBits {
 public:
  explicit PresenceBits(int32_t count) : words_(static_cast<size_t>(count + 63) / 64) {
    if (words_ > kInlineWords) {
      heap_ = std::make_unique<uint64_t[]>(words_);
      bits_ = heap_.get();
    }
    std::fill(bits_, bits_ + words_, uint64_t{0});
  }
  void set(int32_t slot) {
    const auto index = static_cast<size_t>(slot);
    bits_[index / 64] |= uint64_t{1} << (index % 64);
  }
  bool has(int32_t slot) const {
    const auto index = static_cast<size_t>(slot);
    return (bits_[index / 64] >> (index % 64)) & 1u;
  }

 private:
  static constexpr size_t kInlineWords = 16;
  size_t words_;
  uint64_t inline_[kInlineWords];
  uint64_t* bits_ = inline_;
  std::unique_ptr<uint64_t[]> heap_;
};

// One pass over a record: structure, wire types, known fields, value checks, presence.
class Validator {
 public:
  Validator(const CompiledSchema& schema, const uint8_t* base, std::string& error)
      : schema_(schema), base_(base), error_(error) {}

  bool message(const CompiledMessage& message, const uint8_t* p, const uint8_t* end,
               int depth) {
    PresenceBits present(message.required_count);
    while (p < end) {
      const uint8_t* tag_at = p;
      uint64_t tag = 0;
      bool too_long = false;
      p = readVarint(p, end, tag, too_long);
      if (p == nullptr) return varintError(nullptr, tag_at, too_long);
      if (tag > 0xFFFFFFFFu || (tag >> 3) == 0) {
        return fail("invalid tag " + std::to_string(tag) + " at byte " + offset(tag_at));
      }
      const auto number = static_cast<uint32_t>(tag >> 3);
      const auto wire = static_cast<uint32_t>(tag & 7);
      const CompiledField* field = message.find(number);
      if (field == nullptr) {
        return fail("unknown field number " + std::to_string(number) + " (wire type " +
                    std::to_string(wire) + ") at byte " + offset(tag_at));
      }
      if (wire == static_cast<uint32_t>(field->wire)) {
        p = value(*field, p, end, depth);
      } else if (wire == static_cast<uint32_t>(WireType::LengthDelimited) && field->packable) {
        p = packed(*field, p, end);
      } else {
        return fail(fieldName(*field) + "wire type " + std::to_string(wire) + ", expected " +
                    wireName(static_cast<uint32_t>(field->wire)) +
                    (field->packable ? " or length-delimited (packed)" : ""));
      }
      if (p == nullptr) return false;
      if (field->required_slot >= 0) present.set(field->required_slot);
    }
    for (int32_t slot = 0; slot < message.required_count; ++slot) {
      if (!present.has(slot)) return missing(message, slot);
    }
    return true;
  }

 private:
  // One unpacked value of `field`; returns the position after it or nullptr on error.
  const uint8_t* value(const CompiledField& field, const uint8_t* p, const uint8_t* end,
                       int depth) {
    bool too_long = false;
    switch (field.wire) {
      case WireType::Varint: {
        const uint8_t* at = p;
        uint64_t raw = 0;
        p = readVarint(p, end, raw, too_long);
        if (p == nullptr) {
          varintError(&field, at, too_long);
          return nullptr;
        }
        if (field.check == ValueCheck::Range && !inRange(field, raw, at)) return nullptr;
        return p;
      }
      case WireType::Fixed32:
        if (end - p < 4) return truncated(field, "fixed32", p);
        if (field.check == ValueCheck::Range && !inRange(field, loadFixed32(p), p)) {
          return nullptr;
        }
        return p + 4;
      case WireType::Fixed64:
        if (end - p < 8) return truncated(field, "fixed64", p);
        if (field.check == ValueCheck::Range && !inRange(field, loadFixed64(p), p)) {
          return nullptr;
        }
        return p + 8;
      case WireType::LengthDelimited: {
        const uint8_t* data = length(field, p, end);
        if (data == nullptr) return nullptr;
        const uint8_t* data_end = data + last_length_;
        return payload(field, data, data_end, depth) ? data_end : nullptr;
      }
      default:
        fail(fieldName(field) + "unsupported wire type");
        return nullptr;
    }
  }

  // Reads a length prefix; returns the payload start (its size in last_length_) or nullptr.
  const uint8_t* length(const CompiledField& field, const uint8_t* p, const uint8_t* end) {
    const uint8_t* at = p;
    uint64_t size = 0;
    bool too_long = false;
    p = readVarint(p, end, size, too_long);
    if (p == nullptr) {
      varintError(&field, at, too_long);
      return nullptr;
    }
    const auto left = static_cast<uint64_t>(end - p);
    if (size > left) {
      fail(fieldName(field) + "length " + std::to_string(size) + " at byte " + offset(at) +
           " exceeds the " + std::to_string(left) + " bytes left");
      return nullptr;
    }
    last_length_ = static_cast<size_t>(size);
    return p;
  }

  bool payload(const CompiledField& field, const uint8_t* data, const uint8_t* data_end,
               int depth) {
    const auto size = static_cast<size_t>(data_end - data);
    const auto* text = reinterpret_cast<const char*>(data);
    switch (field.kind) {
      case ProtoKind::String: {
        if (field.check == ValueCheck::Decimal) {
          if (isDecimalText(std::string_view(text, size), field.precision, field.scale)) {
            return true;
          }
          return fail(fieldName(field) + "not a decimal literal that fits " + field.column_type);
        }
        size_t bad = 0;
        if (!isValidUtf8(text, size, &bad)) {
          return fail(fieldName(field) + "invalid UTF-8 at byte " + offset(data + bad));
        }
        // A VARIANT travels as JSON text; the service parses it, so it must be one JSON value.
        if (field.check == ValueCheck::Variant && !nlohmann::json::accept(text, text + size)) {
          return fail(fieldName(field) + "not valid JSON for a variant");
        }
        return true;
      }
      case ProtoKind::Message: {
        if (depth + 1 > kMaxMessageDepth) {
          return fail(fieldName(field) + "nesting deeper than " +
                      std::to_string(kMaxMessageDepth) + " at byte " + offset(data));
        }
        const CompiledMessage& nested = schema_.messages[static_cast<size_t>(field.message)];
        if (message(nested, data, data_end, depth + 1)) return true;
        error_.insert(0, fieldName(field));
        return false;
      }
      default:
        return true;  // bytes: any content
    }
  }

  const uint8_t* packed(const CompiledField& field, const uint8_t* p, const uint8_t* end) {
    const uint8_t* data = length(field, p, end);
    if (data == nullptr) return nullptr;
    const uint8_t* data_end = data + last_length_;
    const bool check = field.check == ValueCheck::Range;
    switch (field.wire) {
      case WireType::Varint:
        while (data < data_end) {
          const uint8_t* at = data;
          uint64_t raw = 0;
          bool too_long = false;
          data = readVarint(data, data_end, raw, too_long);
          if (data == nullptr) {
            varintError(&field, at, too_long);
            return nullptr;
          }
          if (check && !inRange(field, raw, at)) return nullptr;
        }
        return data_end;
      case WireType::Fixed32:
      case WireType::Fixed64: {
        const size_t width = field.wire == WireType::Fixed32 ? 4 : 8;
        const auto size = static_cast<size_t>(data_end - data);
        if (size % width != 0) {
          fail(fieldName(field) + "packed length " + std::to_string(size) +
               " is not a multiple of " + std::to_string(width) + " at byte " + offset(p));
          return nullptr;
        }
        for (; check && data < data_end; data += width) {
          const uint64_t raw = width == 4 ? loadFixed32(data) : loadFixed64(data);
          if (!inRange(field, raw, data)) return nullptr;
        }
        return data_end;
      }
      default:
        fail(fieldName(field) + "cannot be packed");
        return nullptr;
    }
  }

  bool inRange(const CompiledField& field, uint64_t raw, const uint8_t* at) {
    const int64_t value = signedValue(field.kind, raw);
    if (value >= field.min && value <= field.max) return true;
    return fail(fieldName(field) + "value " + std::to_string(value) + " out of range for " +
                field.column_type + " at byte " + offset(at));
  }

  // Error helpers: only these build strings, so the success path allocates nothing.
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  std::string offset(const uint8_t* at) const { return std::to_string(at - base_); }

  static std::string fieldName(const CompiledField& field) {
    return "field '" + field.name + "' (" + std::to_string(field.number) + "): ";
  }

  bool varintError(const CompiledField* field, const uint8_t* at, bool too_long) {
    return fail((field != nullptr ? fieldName(*field) : std::string()) +
                (too_long ? "varint longer than 10 bytes at byte "
                          : "truncated varint at byte ") +
                offset(at));
  }

  const uint8_t* truncated(const CompiledField& field, const char* what, const uint8_t* at) {
    fail(fieldName(field) + "truncated " + what + " at byte " + offset(at));
    return nullptr;
  }

  bool missing(const CompiledMessage& message, int32_t slot) {
    for (const CompiledField& field : message.fields) {
      if (field.required_slot == slot) return fail("missing required field '" + field.name + "'");
    }
    return fail("missing required field");
  }

  const CompiledSchema& schema_;
  const uint8_t* base_;
  std::string& error_;
  size_t last_length_ = 0;
};

// Renders a record already accepted by the Validator as one compact JSON object.
class Emitter {
 public:
  Emitter(const CompiledSchema& schema, std::string& out) : schema_(schema), out_(out) {}

  // A message made of one or more chunks: several chunks are several occurrences of one
  // singular message field, which protobuf merges (their concatenation parses as one message).
  void message(const CompiledMessage& type, const Chunk* chunks, size_t count) {
    if (count == 1) {
      const size_t start = out_.size();
      if (inOrder(type, chunks[0])) return;
      out_.resize(start);
    }
    gathered(type, chunks, count);
  }

 private:
  struct Occurrence {
    int32_t field;
    WireType wire;
    uint64_t raw;
    const uint8_t* data;
    size_t size;
  };

  // Calls fn(field_index, occurrence) for each field in `chunk`; stops early when fn returns
  // false (and then returns false).
  template <class Fn>
  static bool forEachField(const CompiledMessage& type, Chunk chunk, Fn&& fn) {
    const uint8_t* p = chunk.begin;
    while (p < chunk.end) {
      uint64_t tag = 0;
      bool too_long = false;
      p = readVarint(p, chunk.end, tag, too_long);
      if (p == nullptr) return true;  // cannot happen after validation; stop quietly
      const CompiledField* field = type.find(static_cast<uint32_t>(tag >> 3));
      if (field == nullptr) return true;
      Occurrence occurrence{static_cast<int32_t>(field - type.fields.data()),
                            static_cast<WireType>(tag & 7), 0, nullptr, 0};
      switch (occurrence.wire) {
        case WireType::Varint:
          p = readVarint(p, chunk.end, occurrence.raw, too_long);
          break;
        case WireType::Fixed32:
          if (chunk.end - p < 4) return true;
          occurrence.raw = loadFixed32(p);
          p += 4;
          break;
        case WireType::Fixed64:
          if (chunk.end - p < 8) return true;
          occurrence.raw = loadFixed64(p);
          p += 8;
          break;
        case WireType::LengthDelimited: {
          uint64_t size = 0;
          p = readVarint(p, chunk.end, size, too_long);
          if (p == nullptr || size > static_cast<uint64_t>(chunk.end - p)) return true;
          occurrence.data = p;
          occurrence.size = static_cast<size_t>(size);
          p += size;
          break;
        }
        default:
          return true;
      }
      if (p == nullptr) return true;
      if (!fn(occurrence)) return false;
    }
    return true;
  }

  // Fast path for the usual layout: fields in declaration order, each singular field once,
  // repeated occurrences adjacent, no maps. Returns false (output to be discarded) otherwise.
  bool inOrder(const CompiledMessage& type, Chunk chunk) {
    out_ += '{';
    int32_t last = -1;
    bool in_array = false;
    size_t elements = 0;
    const bool ok = forEachField(type, chunk, [&](const Occurrence& occurrence) {
      const CompiledField& field = type.fields[static_cast<size_t>(occurrence.field)];
      if (field.is_map || occurrence.field < last) return false;
      if (occurrence.field == last && !field.repeated) return false;
      if (occurrence.field != last) {
        if (in_array) out_ += ']';
        if (last >= 0) out_ += ',';
        out_ += field.json_key;
        in_array = field.repeated;
        if (in_array) out_ += '[';
        elements = 0;
        last = occurrence.field;
      }
      if (field.repeated) {
        elements += arrayElements(field, occurrence, elements);
      } else {
        value(field, occurrence);
      }
      return true;
    });
    if (!ok) return false;
    if (in_array) out_ += ']';
    out_ += '}';
    return true;
  }

  void gathered(const CompiledMessage& type, const Chunk* chunks, size_t count) {
    std::vector<Occurrence> occurrences;
    for (size_t i = 0; i < count; ++i) {
      forEachField(type, chunks[i], [&](const Occurrence& occurrence) {
        occurrences.push_back(occurrence);
        return true;
      });
    }
    // Stable: within one field, wire order is kept (array order, last-wins for singulars).
    std::stable_sort(occurrences.begin(), occurrences.end(),
                     [](const Occurrence& a, const Occurrence& b) { return a.field < b.field; });
    out_ += '{';
    for (size_t i = 0; i < occurrences.size();) {
      size_t j = i;
      while (j < occurrences.size() && occurrences[j].field == occurrences[i].field) ++j;
      const CompiledField& field = type.fields[static_cast<size_t>(occurrences[i].field)];
      if (i > 0) out_ += ',';
      out_ += field.json_key;
      if (field.is_map) {
        map(field, occurrences.data() + i, occurrences.data() + j);
      } else if (field.repeated) {
        out_ += '[';
        size_t elements = 0;
        for (size_t k = i; k < j; ++k) elements += arrayElements(field, occurrences[k], elements);
        out_ += ']';
      } else if (field.kind == ProtoKind::Message) {
        std::vector<Chunk> parts;
        for (size_t k = i; k < j; ++k) {
          parts.push_back(Chunk{occurrences[k].data, occurrences[k].data + occurrences[k].size});
        }
        message(schema_.messages[static_cast<size_t>(field.message)], parts.data(), parts.size());
      } else {
        value(field, occurrences[j - 1]);
      }
      i = j;
    }
    out_ += '}';
  }

  // Emits the array elements one occurrence holds (several when packed), each preceded by a
  // comma unless it is the array's first. Returns how many it emitted.
  size_t arrayElements(const CompiledField& field, const Occurrence& occurrence,
                       size_t already) {
    if (!(field.packable && occurrence.wire == WireType::LengthDelimited)) {
      if (already > 0) out_ += ',';
      value(field, occurrence);
      return 1;
    }
    size_t emitted = 0;
    const uint8_t* p = occurrence.data;
    const uint8_t* end = p + occurrence.size;
    while (p < end) {
      Occurrence element{occurrence.field, field.wire, 0, nullptr, 0};
      if (field.wire == WireType::Varint) {
        bool too_long = false;
        p = readVarint(p, end, element.raw, too_long);
        if (p == nullptr) break;
      } else if (field.wire == WireType::Fixed32 && end - p >= 4) {
        element.raw = loadFixed32(p);
        p += 4;
      } else if (field.wire == WireType::Fixed64 && end - p >= 8) {
        element.raw = loadFixed64(p);
        p += 8;
      } else {
        break;
      }
      if (already + emitted > 0) out_ += ',';
      value(field, element);
      ++emitted;
    }
    return emitted;
  }

  void value(const CompiledField& field, const Occurrence& occurrence) {
    const uint64_t raw = occurrence.raw;
    switch (field.kind) {
      case ProtoKind::Int32:
      case ProtoKind::SFixed32:
      case ProtoKind::SInt32:
      case ProtoKind::Int64:
      case ProtoKind::SFixed64:
      case ProtoKind::SInt64:
        appendInt(out_, signedValue(field.kind, raw));
        return;
      case ProtoKind::UInt32:
      case ProtoKind::Fixed32:
        appendUInt(out_, static_cast<uint32_t>(raw));
        return;
      case ProtoKind::UInt64:
      case ProtoKind::Fixed64:
        appendUInt(out_, raw);
        return;
      case ProtoKind::Float: {
        float number = 0;
        const auto bits = static_cast<uint32_t>(raw);
        std::memcpy(&number, &bits, sizeof number);
        appendFloat(out_, number);
        return;
      }
      case ProtoKind::Double: {
        double number = 0;
        std::memcpy(&number, &raw, sizeof number);
        appendDouble(out_, number);
        return;
      }
      case ProtoKind::Bool:
        out_ += raw != 0 ? "true" : "false";
        return;
      case ProtoKind::String:
        appendJsonString(out_, std::string_view(reinterpret_cast<const char*>(occurrence.data),
                                                occurrence.size));
        return;
      case ProtoKind::Bytes:
        out_ += '"';
        appendBase64(out_, std::string_view(reinterpret_cast<const char*>(occurrence.data),
                                            occurrence.size));
        out_ += '"';
        return;
      case ProtoKind::Message: {
        const Chunk chunk{occurrence.data, occurrence.data + occurrence.size};
        message(schema_.messages[static_cast<size_t>(field.message)], &chunk, 1);
        return;
      }
    }
  }

  // What an absent map key or value reads as in protobuf: the type's default.
  void defaultValue(const CompiledField& field) {
    switch (field.kind) {
      case ProtoKind::Bool: out_ += "false"; return;
      case ProtoKind::String:
      case ProtoKind::Bytes:
        out_ += "\"\"";
        return;
      case ProtoKind::Message: {
        const Chunk empty{nullptr, nullptr};
        message(schema_.messages[static_cast<size_t>(field.message)], &empty, 1);
        return;
      }
      default: out_ += '0'; return;
    }
  }

  // A map field as a JSON object: keys as strings, the last entry for a key wins (protobuf
  // semantics), in order of first appearance.
  void map(const CompiledField& field, const Occurrence* begin, const Occurrence* end) {
    const CompiledMessage& entry = schema_.messages[static_cast<size_t>(field.message)];
    const CompiledField* key_field = entry.find(1);
    const CompiledField* value_field = entry.find(2);
    std::vector<std::pair<std::string, std::string>> entries;
    std::unordered_map<std::string, size_t> index;
    for (const Occurrence* occurrence = begin; occurrence != end; ++occurrence) {
      const Occurrence* key = nullptr;
      const Occurrence* value_occurrence = nullptr;
      std::vector<Chunk> value_parts;
      std::vector<Occurrence> fields;
      forEachField(entry, Chunk{occurrence->data, occurrence->data + occurrence->size},
                   [&](const Occurrence& part) {
                     fields.push_back(part);
                     return true;
                   });
      for (const Occurrence& part : fields) {
        const CompiledField& part_field = entry.fields[static_cast<size_t>(part.field)];
        if (&part_field == key_field) key = &part;
        if (&part_field == value_field) {
          value_occurrence = &part;
          value_parts.push_back(Chunk{part.data, part.data + part.size});
        }
      }

      std::string key_text;
      {
        Emitter sub(schema_, key_text);
        if (key != nullptr) {
          sub.value(*key_field, *key);
        } else {
          sub.defaultValue(*key_field);
        }
      }
      if (key_field->kind != ProtoKind::String) key_text = '"' + key_text + '"';

      std::string value_text;
      {
        Emitter sub(schema_, value_text);
        if (value_occurrence == nullptr) {
          sub.defaultValue(*value_field);
        } else if (value_field->kind == ProtoKind::Message) {
          sub.message(schema_.messages[static_cast<size_t>(value_field->message)],
                      value_parts.data(), value_parts.size());
        } else {
          sub.value(*value_field, *value_occurrence);
        }
      }

      if (auto it = index.find(key_text); it != index.end()) {
        entries[it->second].second = std::move(value_text);
      } else {
        index.emplace(key_text, entries.size());
        entries.emplace_back(std::move(key_text), std::move(value_text));
      }
    }
    out_ += '{';
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out_ += ',';
      out_ += entries[i].first;
      out_ += ':';
      out_ += entries[i].second;
    }
    out_ += '}';
  }

  const CompiledSchema& schema_;
  std::string& out_;
};

class ProtoRowDecoder final : public RowDecoder {
 public:
  explicit ProtoRowDecoder(CompiledSchema schema) : schema_(std::move(schema)) {}

  bool decode(std::string_view record, std::string* json_row, std::string* error) const override {
    std::string scratch;  // no allocation unless an error is written to it
    std::string& error_text = error != nullptr ? *error : scratch;
    try {
      const auto* begin = reinterpret_cast<const uint8_t*>(record.data());
      const uint8_t* end = begin + record.size();
      Validator validator(schema_, begin, error_text);
      if (!validator.message(schema_.messages[0], begin, end, 0)) return false;
      if (json_row != nullptr) {
        const Chunk whole{begin, end};
        Emitter(schema_, *json_row).message(schema_.messages[0], &whole, 1);
      }
      return true;
    } catch (const std::exception& e) {  // allocation failure: report, never throw
      error_text = std::string("internal error: ") + e.what();
      return false;
    }
  }

 private:
  CompiledSchema schema_;
};

}  // namespace

std::unique_ptr<RowDecoder> makeProtoRowDecoder(CompiledSchema schema) {
  return std::make_unique<ProtoRowDecoder>(std::move(schema));
}

}  // namespace zerobusd::fake::detail
