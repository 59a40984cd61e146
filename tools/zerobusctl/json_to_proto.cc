#include "tools/zerobusctl/json_to_proto.h"

#include <algorithm>
#include <utility>

#include <google/protobuf/util/json_util.h>

namespace zerobusd::ctl {
namespace {

constexpr size_t kMaxErrorChars = 300;

}  // namespace

JsonToProto::JsonToProto(config::ProtoSchema schema)
    : schema_(std::move(schema)),
      message_(factory_.GetPrototype(schema_.descriptor.get())->New()) {}

bool JsonToProto::convert(std::string_view json, std::string* out, std::string* error) {
  message_->Clear();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a key that is not a column is the caller's mistake
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message_.get(), options);
  if (!parsed.ok()) {
    // Protobuf may append an excerpt of the input and a caret on further lines: one line of
    // bounded length is enough to point at the problem (the line number says where).
    *error = std::string(parsed.message());
    error->resize(std::min(error->find('\n'), kMaxErrorChars));
    return false;
  }
  if (!message_->IsInitialized()) {
    *error = "missing required field(s): " + message_->InitializationErrorString();
    return false;
  }
  out->clear();
  if (!message_->SerializeToString(out)) {
    *error = "the message does not serialize";
    return false;
  }
  return true;
}

}  // namespace zerobusd::ctl
