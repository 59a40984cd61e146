#include "daemon/upstream/grpc_call.h"

#include "daemon/upstream/call_reaper.h"

namespace zerobusd::upstream {

GrpcCall* GrpcCall::start(zb::Zerobus::Stub& stub, std::shared_ptr<grpc::Channel> channel, EventLoop& loop,
                          std::weak_ptr<CallSink> sink, uint64_t call_id,
                          const std::vector<std::pair<std::string, std::string>>& metadata) {
  auto* call = new GrpcCall(std::move(channel), loop, std::move(sink), call_id);
  for (const auto& [key, value] : metadata) call->context_.AddMetadata(key, value);
  // Wait for a connection (while gRPC backs off reconnecting) instead of failing at once: the
  // stream's attempt timer bounds the wait, as the SDK's lazily connecting channel does.
  call->context_.set_wait_for_ready(true);
  stub.async()->EphemeralStream(&call->context_, call);
  call->AddHold();
  call->StartRead(&call->response_);
  call->StartCall();
  return call;
}

void GrpcCall::release() {
  if (released_) return;
  released_ = true;
  RemoveHold();
}

template <typename F>
void GrpcCall::deliver(F&& event) {
  poster_->post([sink = sink_, event = std::forward<F>(event)]() mutable {
    if (auto alive = sink.lock()) event(*alive);
  });
}

void GrpcCall::OnReadInitialMetadataDone(bool ok) {
  deliver([id = call_id_, ok](CallSink& s) { s.onHeaders(id, ok); });
}

void GrpcCall::OnReadDone(bool ok) {
  if (!ok) {
    deliver([id = call_id_](CallSink& s) { s.onReadClosed(id); });
    return;
  }
  deliver([id = call_id_, response = std::move(response_)](CallSink& s) mutable {
    s.onResponse(id, std::move(response));
  });
  response_.Clear();
  StartRead(&response_);
}

void GrpcCall::OnWriteDone(bool ok) {
  deliver([id = call_id_, ok](CallSink& s) { s.onWriteDone(id, ok); });
}

void GrpcCall::OnDone(const grpc::Status& status) {
  deliver([id = call_id_, status](CallSink& s) { s.onCallDone(id, status); });
  // This may be one of gRPC's callback threads, where the channel must not end (call_reaper.h).
  // The context's reference goes with the call, and this one, kept until after that, goes to
  // the reaper.
  auto channel = std::move(channel_);
  delete this;
  releaseOffGrpcThreads(std::move(channel));
}

}  // namespace zerobusd::upstream
