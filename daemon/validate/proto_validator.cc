// The PROTO record validator: the message compiled once into flat tables (one per message
// type reachable from the record's, indexed by field number), then each record's wire format
// walked against them. Measured at ~30-60 ns for a 100-byte record where a DynamicMessage
// parse costs ~300 ns (docs/architecture.md, "Costs"); a valid record allocates nothing.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "daemon/validate/record_validator.h"

namespace zerobusd::validate {

namespace {

namespace pb = google::protobuf;

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// What a field's value must look like on the wire.
enum class Kind : uint8_t { Varint, Fixed64, Fixed32, Bytes, String, Message, Group };

constexpr int kNoIndex = -1;
// Field numbers up to this get a direct lookup table (int32 per number); sparser messages
// binary-search their sorted fields.
constexpr uint32_t kMaxDenseNumber = 2048;

struct Field {
  uint32_t number = 0;
  Kind kind = Kind::Varint;
  bool packable = false;  // repeated scalar: a packed run (wire type 2) is accepted too
  int required_bit = kNoIndex;
  int message = kNoIndex;  // Message / Group: index of its type
  std::string name;
};

struct MessageType {
  std::string name;            // full name, for errors
  std::vector<Field> fields;   // sorted by number
  std::vector<int32_t> dense;  // number -> index in fields, or kNoIndex; empty when sparse
  int required_count = 0;

  const Field* find(uint32_t number) const {
    if (!dense.empty()) {
      if (number >= dense.size()) return nullptr;
      int32_t index = dense[number];
      return index == kNoIndex ? nullptr : &fields[static_cast<std::size_t>(index)];
    }
    auto it = std::lower_bound(fields.begin(), fields.end(), number,
                               [](const Field& f, uint32_t n) { return f.number < n; });
    return it != fields.end() && it->number == number ? &*it : nullptr;
  }
};

const char* wireTypeName(uint32_t wire_type) {
  switch (wire_type) {
    case kVarint:
      return "varint";
    case kFixed64:
      return "fixed64";
    case kLengthDelimited:
      return "length-delimited";
    case kStartGroup:
      return "start-group";
    case kEndGroup:
      return "end-group";
    case kFixed32:
      return "fixed32";
    default:
      return "invalid";
  }
}

const char* expectedName(Kind kind) {
  switch (kind) {
    case Kind::Varint:
      return "varint";
    case Kind::Fixed64:
      return "fixed64";
    case Kind::Fixed32:
      return "fixed32";
    case Kind::Bytes:
      return "length-delimited bytes";
    case Kind::String:
      return "length-delimited string";
    case Kind::Message:
      return "length-delimited message";
    case Kind::Group:
      return "group";
  }
  return "?";
}

Kind kindOf(const pb::FieldDescriptor& field) {
  switch (field.type()) {
    case pb::FieldDescriptor::TYPE_INT32:
    case pb::FieldDescriptor::TYPE_INT64:
    case pb::FieldDescriptor::TYPE_UINT32:
    case pb::FieldDescriptor::TYPE_UINT64:
    case pb::FieldDescriptor::TYPE_SINT32:
    case pb::FieldDescriptor::TYPE_SINT64:
    case pb::FieldDescriptor::TYPE_BOOL:
    case pb::FieldDescriptor::TYPE_ENUM:
      return Kind::Varint;
    case pb::FieldDescriptor::TYPE_FIXED64:
    case pb::FieldDescriptor::TYPE_SFIXED64:
    case pb::FieldDescriptor::TYPE_DOUBLE:
      return Kind::Fixed64;
    case pb::FieldDescriptor::TYPE_FIXED32:
    case pb::FieldDescriptor::TYPE_SFIXED32:
    case pb::FieldDescriptor::TYPE_FLOAT:
      return Kind::Fixed32;
    case pb::FieldDescriptor::TYPE_STRING:
      return Kind::String;
    case pb::FieldDescriptor::TYPE_BYTES:
      return Kind::Bytes;
    case pb::FieldDescriptor::TYPE_MESSAGE:
      return Kind::Message;
    case pb::FieldDescriptor::TYPE_GROUP:
      return Kind::Group;
  }
  return Kind::Bytes;
}

// What went wrong, gathered only when the caller asked for an error string.
struct Failure {
  const uint8_t* at = nullptr;
  const Field* field = nullptr;       // the field the problem is in, if any
  std::vector<const Field*> parents;  // message fields leading there, innermost first
  std::string what;
};

class ProtoValidator final : public RecordValidator {
 public:
  ProtoValidator(const pb::Descriptor& root, const ProtoValidatorOptions& options)
      : max_depth_(std::max(0, options.max_depth)) {
    std::map<const pb::Descriptor*, int> index;
    std::vector<const pb::Descriptor*> order{&root};
    index[&root] = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
      const pb::Descriptor& descriptor = *order[i];
      MessageType type;
      type.name = descriptor.full_name();
      for (int f = 0; f < descriptor.field_count(); ++f) {
        const pb::FieldDescriptor& fd = *descriptor.field(f);
        Field field;
        field.number = static_cast<uint32_t>(fd.number());
        field.kind = kindOf(fd);
        field.packable = fd.is_packable();
        field.name = fd.name();
        if (fd.is_required()) field.required_bit = type.required_count++;
        if (const pb::Descriptor* nested = fd.message_type()) {
          auto [it, fresh] = index.emplace(nested, static_cast<int>(order.size()));
          if (fresh) order.push_back(nested);
          field.message = it->second;
        }
        type.fields.push_back(std::move(field));
      }
      std::sort(type.fields.begin(), type.fields.end(),
                [](const Field& a, const Field& b) { return a.number < b.number; });
      const uint32_t max_number = type.fields.empty() ? 0 : type.fields.back().number;
      if (max_number <= kMaxDenseNumber) {
        type.dense.assign(max_number + 1, kNoIndex);
        for (std::size_t k = 0; k < type.fields.size(); ++k) {
          type.dense[type.fields[k].number] = static_cast<int32_t>(k);
        }
      }
      messages_.push_back(std::move(type));
    }
  }

  bool validate(std::string_view record, std::string* error) const override {
    const auto* begin = reinterpret_cast<const uint8_t*>(record.data());
    const auto* end = begin + record.size();
    if (error == nullptr) return walk(messages_[0], begin, end, 0, 0, nullptr) == end;
    Failure failure;
    if (walk(messages_[0], begin, end, 0, 0, &failure) == end) return true;
    *error = describe(failure, begin);
    return false;
  }

 private:
  // Walks one message in [p, end). Returns where it stopped: `end` for a length-delimited
  // message, just past its END_GROUP for a group (group_number != 0); nullptr on a problem.
  const uint8_t* walk(const MessageType& type, const uint8_t* p, const uint8_t* end, int depth,
                      uint32_t group_number, Failure* failure) const {
    // Required fields seen: one word covers all but exotic messages; > 256 required fields
    // (never generated from a table) cost an allocation.
    uint64_t small[4] = {0, 0, 0, 0};
    std::vector<uint64_t> large;
    uint64_t* seen = small;
    if (type.required_count > 256) {
      large.assign(static_cast<std::size_t>(type.required_count + 63) / 64, 0);
      seen = large.data();
    }
    while (p < end) {
      const uint8_t* tag_at = p;
      uint32_t tag;
      if (*p < 0x80) {
        tag = *p++;
      } else {
        uint64_t wide;
        p = readVarint(p, end, &wide);
        if (p == nullptr || p - tag_at > 5 || wide > std::numeric_limits<uint32_t>::max()) {
          return fail(failure, tag_at, nullptr, "malformed tag");
        }
        tag = static_cast<uint32_t>(wide);
      }
      const uint32_t number = tag >> 3;
      const uint32_t wire_type = tag & 7;
      if (wire_type == kEndGroup) {
        if (group_number != 0 && number == group_number) return finish(type, seen, p, failure);
        return fail(failure, tag_at, nullptr,
                    fmt::format("unexpected end-group tag for field number {}", number));
      }
      if (number == 0) return fail(failure, tag_at, nullptr, "field number 0");
      const Field* field = type.find(number);
      if (field == nullptr) {
        return fail(failure, tag_at, nullptr,
                    fmt::format("unknown field number {} ({}) in message {}", number,
                                wireTypeName(wire_type), type.name));
      }
      if (field->required_bit >= 0) {
        const auto bit = static_cast<unsigned>(field->required_bit);
        seen[bit / 64] |= uint64_t{1} << (bit % 64);
      }
      p = value(*field, wire_type, tag_at, p, end, depth, failure);
      if (p == nullptr) return nullptr;
    }
    if (group_number != 0) {
      return fail(failure, end, nullptr,
                  fmt::format("group {} has no end-group tag", group_number));
    }
    return finish(type, seen, p, failure);
  }

  // One value of `field` starting at p (just after its tag).
  const uint8_t* value(const Field& field, uint32_t wire_type, const uint8_t* tag_at,
                       const uint8_t* p, const uint8_t* end, int depth, Failure* failure) const {
    switch (field.kind) {
      case Kind::Varint:
        if (wire_type == kVarint) {
          uint64_t ignored;
          const uint8_t* next = readVarint(p, end, &ignored);
          return next != nullptr ? next : fail(failure, p, &field, "truncated or over-long varint");
        }
        if (wire_type == kLengthDelimited && field.packable)
          return packed(field, p, end, 0, failure);
        break;
      case Kind::Fixed64:
        if (wire_type == kFixed64) {
          return end - p >= 8 ? p + 8 : fail(failure, p, &field, "truncated fixed64");
        }
        if (wire_type == kLengthDelimited && field.packable)
          return packed(field, p, end, 8, failure);
        break;
      case Kind::Fixed32:
        if (wire_type == kFixed32) {
          return end - p >= 4 ? p + 4 : fail(failure, p, &field, "truncated fixed32");
        }
        if (wire_type == kLengthDelimited && field.packable)
          return packed(field, p, end, 4, failure);
        break;
      case Kind::Bytes:
      case Kind::String:
      case Kind::Message: {
        if (wire_type != kLengthDelimited) break;
        const uint8_t* body = p;
        std::size_t length = 0;
        if (!readLength(&body, end, &length)) {
          return fail(failure, p, &field, "bad length: over-long, or past the end of the record");
        }
        const uint8_t* body_end = body + length;
        if (field.kind == Kind::String) {
          std::size_t bad = 0;
          if (!isValidUtf8(body, length, &bad)) {
            return fail(failure, body + bad, &field, "string is not valid UTF-8");
          }
        } else if (field.kind == Kind::Message) {
          if (depth >= max_depth_) {
            return fail(failure, tag_at, &field,
                        fmt::format("messages nested deeper than {} levels", max_depth_));
          }
          const MessageType& nested = messages_[static_cast<std::size_t>(field.message)];
          if (walk(nested, body, body_end, depth + 1, 0, failure) == nullptr) {
            if (failure != nullptr) failure->parents.push_back(&field);
            return nullptr;
          }
        }
        return body_end;
      }
      case Kind::Group:
        if (wire_type != kStartGroup) break;
        if (depth >= max_depth_) {
          return fail(failure, tag_at, &field,
                      fmt::format("messages nested deeper than {} levels", max_depth_));
        }
        {
          const MessageType& nested = messages_[static_cast<std::size_t>(field.message)];
          const uint8_t* next = walk(nested, p, end, depth + 1, field.number, failure);
          if (next == nullptr && failure != nullptr) failure->parents.push_back(&field);
          return next;
        }
    }
    if (wire_type > kFixed32)
      return fail(failure, tag_at, &field, fmt::format("invalid wire type {}", wire_type));
    return fail(failure, tag_at, &field,
                fmt::format("wire type {} ({}), expected {}", wire_type, wireTypeName(wire_type),
                            expectedName(field.kind)));
  }

  // A packed run of varints (element_size 0) or fixed-size elements.
  const uint8_t* packed(const Field& field, const uint8_t* p, const uint8_t* end,
                        std::size_t element_size, Failure* failure) const {
    const uint8_t* body = p;
    std::size_t length = 0;
    if (!readLength(&body, end, &length)) {
      return fail(failure, p, &field,
                  "bad packed length: over-long, or past the end of the record");
    }
    const uint8_t* body_end = body + length;
    if (element_size != 0) {
      if (length % element_size != 0) {
        return fail(failure, p, &field,
                    fmt::format("packed length {} is not a multiple of {}", length, element_size));
      }
      return body_end;
    }
    while (body < body_end) {
      uint64_t ignored;
      const uint8_t* next = readVarint(body, body_end, &ignored);
      if (next == nullptr)
        return fail(failure, body, &field, "truncated or over-long varint in packed run");
      body = next;
    }
    return body_end;
  }

  const uint8_t* finish(const MessageType& type, const uint64_t* seen, const uint8_t* p,
                        Failure* failure) const {
    if (type.required_count == 0) return p;
    for (const Field& field : type.fields) {
      if (field.required_bit < 0) continue;
      const auto bit = static_cast<unsigned>(field.required_bit);
      if ((seen[bit / 64] & (uint64_t{1} << (bit % 64))) == 0) {
        return fail(failure, p, &field, "required but missing");
      }
    }
    return p;
  }

  // At most 10 bytes; nullptr when truncated or longer.
  static const uint8_t* readVarint(const uint8_t* p, const uint8_t* end, uint64_t* out) {
    uint64_t result = 0;
    for (unsigned shift = 0; shift < 70 && p < end; shift += 7) {
      const uint8_t byte = *p++;
      result |= static_cast<uint64_t>(byte & 0x7F) << shift;  // the 10th byte's high bits drop
      if (byte < 0x80) {
        *out = result;
        return p;
      }
    }
    return nullptr;
  }

  // A length prefix at *p whose body fits before `end`; *p moves past the prefix. As strict
  // as protobuf's own parser: at most 5 bytes and below 2^31 - 16, so a redundant encoding
  // such as 80 80 80 80 80 80 00 (a 7-byte zero) is refused here as it is there.
  static bool readLength(const uint8_t** p, const uint8_t* end, std::size_t* length) {
    uint64_t value;
    const uint8_t* body = readVarint(*p, end, &value);
    if (body == nullptr || body - *p > 5 || value > static_cast<uint64_t>(end - body) ||
        value > static_cast<uint64_t>(std::numeric_limits<int32_t>::max() - 16)) {
      return false;
    }
    *p = body;
    *length = static_cast<std::size_t>(value);
    return true;
  }

  static const uint8_t* fail(Failure* failure, const uint8_t* at, const Field* field,
                             std::string what) {
    if (failure != nullptr) {
      failure->at = at;
      failure->field = field;
      failure->what = std::move(what);
    }
    return nullptr;
  }

  // "field 'source.pid' (2): wire type 2 (length-delimited), expected varint (byte 17)".
  static std::string describe(const Failure& failure, const uint8_t* begin) {
    std::string path;
    for (auto it = failure.parents.rbegin(); it != failure.parents.rend(); ++it) {
      path += (*it)->name;
      path += '.';
    }
    const auto offset = static_cast<std::size_t>(failure.at - begin);
    if (failure.field != nullptr) {
      return fmt::format("field '{}{}' ({}): {} (byte {})", path, failure.field->name,
                         failure.field->number, failure.what, offset);
    }
    if (!path.empty()) {
      path.pop_back();
      return fmt::format("in field '{}': {} (byte {})", path, failure.what, offset);
    }
    return fmt::format("{} (byte {})", failure.what, offset);
  }

  std::vector<MessageType> messages_;  // [0]: the record's message
  int max_depth_;
};

}  // namespace

std::unique_ptr<RecordValidator> makeProtoValidator(const pb::Descriptor& message,
                                                    const ProtoValidatorOptions& options) {
  return std::make_unique<ProtoValidator>(message, options);
}

}  // namespace zerobusd::validate
