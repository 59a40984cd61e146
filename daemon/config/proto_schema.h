#pragma once
// The schema of a PROTO table, made ready for the Zerobus service: the service takes ONE
// DescriptorProto per stream (create_stream.descriptor_proto) and no files, so every message
// and enum type a field uses must live inside it. loadProtoSchema compiles a .proto file
// (protobuf's Importer over a DiskSourceTree) or reads a FileDescriptorSet, finds the message
// and makes it self-contained:
//   - types nested in the message stay where they are;
//   - a type defined elsewhere (another top-level message of the same file, an imported file,
//     any package) is copied in as a nested type of the message (its outermost enclosing
//     message with it, so inner names keep their paths), renamed if the name is taken;
//   - every type_name is rewritten to the fully qualified name of the copy,
//     ".<package>.<Message>.<Nested>...", the form protoc-generated descriptors (and so the
//     official SDKs) send;
//   - extensions are dropped (they are not columns).
// The result is then built alone in a fresh DescriptorPool; `descriptor` comes from that pool,
// so what validates records is exactly what the service is told.
//
// Thread affinity: free functions, no shared state; call from any thread. The returned
// descriptor is immutable and may be used from any thread.
// Error contract: InvalidArgument with a message naming the file, and line:column where
// protobuf reports one (compile errors, unreadable files, unknown message, a descriptor set
// that does not parse or build).

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include "common/status.h"

namespace zerobusd::config {

struct ProtoSource {
  std::string proto_file;      // a .proto file (absolute or relative to the working directory)
  std::string descriptor_set;  // or a serialized FileDescriptorSet (protoc --descriptor_set_out)
  std::string message;         // full name (pkg.Msg, pkg.Outer.Inner) or relative to the package
  // Where imports of proto_file are looked up, in order; the file's own directory comes last
  // unless the file lies under one of these.
  std::vector<std::string> import_paths;
};

struct ProtoSchema {
  std::string message_name;      // full name in the source
  std::string descriptor_proto;  // serialized self-contained DescriptorProto
  // Built from descriptor_proto alone in a private pool, which the pointer keeps alive.
  std::shared_ptr<const google::protobuf::Descriptor> descriptor;
};

// Exactly one of source.proto_file and source.descriptor_set must be set. Protobuf's
// warnings (unused imports, ...) are appended to `warnings` when it is not null.
[[nodiscard]] absl::StatusOr<ProtoSchema> loadProtoSchema(const ProtoSource& source,
                                                          std::vector<std::string>* warnings);

// The self-contained form of `message` (see above), built and checked in a fresh pool.
[[nodiscard]] absl::StatusOr<ProtoSchema> makeSelfContained(
    const google::protobuf::Descriptor& message);

}  // namespace zerobusd::config
