#pragma once
// Per-record validation on the daemon's hot path. A record that the service would refuse must
// be rejected alone, with its own error back to its producer, before it reaches a shared
// stream: there, one bad record fails the whole stream and every producer's in-flight data.
//
// - Proto tables: the record's wire format is walked against a compiled, index-based form of
//   the table's message (no DynamicMessage, nothing allocated for a valid record): every tag
//   must be a field of the message (the service refuses fields that are not columns) with the
//   field's wire type (packed also accepted for repeated scalars), lengths within bounds,
//   varints of at most 10 bytes, nested messages and groups recursively up to max_depth,
//   proto2 required fields present, strings valid UTF-8 (proto2 does not demand it, but the
//   service writes them to Delta string columns). Map entries are nested messages.
// - JSON tables: the record must be exactly one JSON object (RFC 8259 syntax throughout,
//   UTF-8, no lone surrogate escapes, numbers finite as doubles, nesting up to max_depth),
//   without building a DOM.
//   Column names and value types are not checked (the daemon does not know JSON tables'
//   columns); duplicate keys are not detected.
//
// Thread affinity: a validator is immutable after construction; validate() is const and may
// run on any number of threads at once. It keeps no reference to the Descriptor it was made
// from.
// Error contract: validate() returns false for a record to refuse and, when `error` is not
// null, says why, naming the field path and number (`field 'source.pid' (2): wire type 2,
// expected varint (byte 17)`) or the byte offset (JSON). It never throws and never reads
// outside `record`.

#include <memory>
#include <string>
#include <string_view>

#include <google/protobuf/descriptor.h>

namespace zerobusd::validate {

class RecordValidator {
 public:
  virtual ~RecordValidator();
  // True when `record` may go to the table's stream. On false, sets *error when not null.
  virtual bool validate(std::string_view record, std::string* error) const = 0;
};

struct ProtoValidatorOptions {
  // Levels of messages (and groups) nested below the record's own: protobuf's default
  // recursion limit, so nothing accepted here fails the service's parser for depth.
  int max_depth = 100;
};

std::unique_ptr<RecordValidator> makeProtoValidator(const google::protobuf::Descriptor& message,
                                                    const ProtoValidatorOptions& options = {});

struct JsonValidatorOptions {
  // Nested objects and arrays, the record's own object included: one below serde_json's
  // recursion limit (128), so no parser with that common limit refuses what passes here.
  int max_depth = 127;
};

std::unique_ptr<RecordValidator> makeJsonValidator(const JsonValidatorOptions& options = {});

// True when bytes [data, data + size) are well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF). On false, *bad_offset (when not null) is the first bad byte.
bool isValidUtf8(const unsigned char* data, std::size_t size, std::size_t* bad_offset = nullptr);

}  // namespace zerobusd::validate
