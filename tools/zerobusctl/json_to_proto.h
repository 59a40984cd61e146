#pragma once
// send --format json-to-proto: one JSON object per line to the serialized bytes of the table's
// protobuf message, with protobuf's JSON mapping (util::JsonStringToMessage) against the
// message compiled by the daemon's own schema loader (daemon/config/proto_schema.h), so the
// descriptor here is the one the daemon validates with when given the same .proto file.
//
// Thread affinity: one thread (it reuses one message). Error contract: convert() returns
// false with protobuf's reason (unknown field, wrong type, missing required field) and never
// throws.

#include <memory>
#include <string>
#include <string_view>

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

#include "daemon/config/proto_schema.h"

namespace zerobusd::ctl {

class JsonToProto {
 public:
  explicit JsonToProto(config::ProtoSchema schema);
  JsonToProto(const JsonToProto&) = delete;
  JsonToProto& operator=(const JsonToProto&) = delete;

  const std::string& messageName() const { return schema_.message_name; }
  // Parses `json` into the message and serializes it into *out.
  bool convert(std::string_view json, std::string* out, std::string* error);

 private:
  config::ProtoSchema schema_;
  google::protobuf::DynamicMessageFactory factory_;
  std::unique_ptr<google::protobuf::Message> message_;
};

}  // namespace zerobusd::ctl
