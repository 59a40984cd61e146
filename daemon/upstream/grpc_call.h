#pragma once
// One EphemeralStream call as a gRPC callback reactor that owns nothing of the stream: every
// reaction is posted to the event loop as an event for the CallSink, tagged with the call's id
// so late events of an abandoned call are recognised. The loop thread drives it (write,
// writesDone, cancel, release). A hold keeps gRPC from finishing the call (OnDone) while the
// loop may still start operations on it; release() drops the hold, after which the loop must
// not touch the object again. The reactor deletes itself in OnDone and hands its reference to
// the channel to the reaper.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "daemon/loop/event_loop.h"
#include "proto/zerobus_service.grpc.pb.h"

namespace zerobusd::upstream {

namespace zb = databricks::zerobus;

// Receives a call's events on the loop thread.
class CallSink {
 public:
  virtual ~CallSink() = default;
  virtual void onHeaders(uint64_t call_id, bool ok) = 0;
  virtual void onResponse(uint64_t call_id, zb::EphemeralStreamResponse response) = 0;
  virtual void onWriteDone(uint64_t call_id, bool ok) = 0;
  virtual void onReadClosed(uint64_t call_id) = 0;
  virtual void onCallDone(uint64_t call_id, grpc::Status status) = 0;
};

class GrpcCall final : public grpc::ClientBidiReactor<zb::EphemeralStreamRequest,
                                                       zb::EphemeralStreamResponse> {
 public:
  // Starts the call at once (headers are sent, reads begin). `channel` is the one `stub` uses:
  // the call holds it to its end and then hands it to the reaper (call_reaper.h).
  static GrpcCall* start(zb::Zerobus::Stub& stub, std::shared_ptr<grpc::Channel> channel, EventLoop& loop,
                         std::weak_ptr<CallSink> sink, uint64_t call_id,
                         const std::vector<std::pair<std::string, std::string>>& metadata);

  // Loop thread, before release().
  void write(const zb::EphemeralStreamRequest* request) { StartWrite(request); }
  void writesDone() { StartWritesDone(); }
  void cancel() { context_.TryCancel(); }
  void release();

 private:
  GrpcCall(std::shared_ptr<grpc::Channel> channel, EventLoop& loop, std::weak_ptr<CallSink> sink,
           uint64_t call_id)
      : channel_(std::move(channel)), poster_(loop.poster()), sink_(std::move(sink)), call_id_(call_id) {}
  template <typename F>
  void deliver(F&& event);

  void OnReadInitialMetadataDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool /*ok*/) override {}
  void OnDone(const grpc::Status& status) override;

  // Outlives the context (whose own reference grpc++ drops in ~ClientContext) and is released on
  // the reaper thread, so that no channel ends on one of gRPC's threads.
  std::shared_ptr<grpc::Channel> channel_;
  // Reactions may come after the stream, and even the loop, are gone (a cancelled call still
  // completes its operations): post through a handle that survives the loop.
  std::shared_ptr<LoopPoster> poster_;
  std::weak_ptr<CallSink> sink_;
  uint64_t call_id_;
  grpc::ClientContext context_;
  zb::EphemeralStreamResponse response_;
  bool released_ = false;
};

}  // namespace zerobusd::upstream
