#pragma once
// The fake's Zerobus gRPC service: EphemeralStream with the service's handshake, offsets,
// cumulative acks, record decoding, close signals, lifetimes, quotas and injected faults
// (zerobus-protocol.md §4, §6, §14). Each call is one IngestStream reactor (ingest_stream.cc).
// Thread-safe: gRPC runs reactions on its callback threads.

#include "proto/zerobus_service.grpc.pb.h"
#include "tools/zerobus-fake/fake_config.h"
#include "tools/zerobus-fake/faults.h"
#include "tools/zerobus-fake/landing.h"
#include "tools/zerobus-fake/scheduler.h"
#include "tools/zerobus-fake/stream_registry.h"
#include "tools/zerobus-fake/token_authority.h"

namespace zerobusd::fake {

// What every stream of the service shares. All members outlive the gRPC server.
struct StreamDeps {
  const FakeConfig& config;
  TokenAuthority& tokens;
  Landing& landing;
  Faults& faults;
  Scheduler& scheduler;
  StreamRegistry& registry;
};

// Raw (ByteBuffer) method: the fake parses each message itself, so a message that is not a
// valid EphemeralStreamRequest ends the call INVALID_ARGUMENT instead of looking like a
// half-close, as gRPC's own deserializer would report it.
class IngestService final : public databricks::zerobus::Zerobus::WithRawCallbackMethod_EphemeralStream<
                                databricks::zerobus::Zerobus::Service> {
 public:
  explicit IngestService(StreamDeps deps) : deps_(deps) {}

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* EphemeralStream(
      grpc::CallbackServerContext* context) override;

 private:
  StreamDeps deps_;
};

}  // namespace zerobusd::fake
