// A released call may outlive everything else that refers to its channel, and then holds the
// last grpc::Channel reference; the call's end must not destroy that channel on one of gRPC's
// callback threads (gRPC 1.51 frees the process-wide callback completion queue under the thread
// that is polling it: a double free seen in CI). No gRPC server runs in this process, so the
// channel is the only user of that queue, as in a daemon whose last table was removed.

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include "daemon/loop/uv_event_loop.h"
#include "daemon/upstream/call_reaper.h"
#include "daemon/upstream/channel.h"
#include "daemon/upstream/grpc_call.h"
#include "tests/fake/fake_fixture.h"

namespace zerobusd::upstream {
namespace {

class RecordingSink : public CallSink {
 public:
  void onHeaders(uint64_t, bool) override {}
  void onResponse(uint64_t, zb::EphemeralStreamResponse) override {}
  void onWriteDone(uint64_t, bool) override {}
  void onReadClosed(uint64_t) override {}
  void onCallDone(uint64_t call_id, grpc::Status status) override {
    std::lock_guard lock(mu_);
    done_.emplace(call_id, status.error_code());
    cv_.notify_all();
  }
  std::optional<grpc::StatusCode> waitDone(uint64_t call_id) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return done_.count(call_id) > 0; });
    auto it = done_.find(call_id);
    if (it == done_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, grpc::StatusCode> done_;
};

TEST(GrpcCall, AReleasedCallHoldingTheLastChannelReferenceEndsCleanly) {
  // Nobody listens there: a wait-for-ready call stays pending until it is cancelled.
  int port = fake::testing::closedLoopbackPort();
  ASSERT_GT(port, 0);
  LoopThread loop;
  auto sink = std::make_shared<RecordingSink>();
  // Twice: the second round needs the callback machinery the first one's end tore down.
  for (uint64_t call_id = 1; call_id <= 2; ++call_id) {
    TransportOptions transport;
    transport.endpoint = "http://127.0.0.1:" + std::to_string(port);
    transport.plaintext = true;
    auto channel = makeChannel(transport, [](const char*) -> const char* { return nullptr; });
    ASSERT_TRUE(channel.ok()) << channel.status();
    auto stub = zb::Zerobus::NewStub(*channel);
    GrpcCall* call = nullptr;
    loop.runSync([&] { call = GrpcCall::start(*stub, *channel, loop.loop(), sink, call_id, {}); });
    // Everything but the call lets go of the channel; then the call is cancelled and released.
    stub.reset();
    channel = absl::UnknownError("dropped");
    loop.runSync([&] {
      call->cancel();
      call->release();
    });
    EXPECT_EQ(sink->waitDone(call_id), grpc::StatusCode::CANCELLED);
    waitReaped();
  }
}

}  // namespace
}  // namespace zerobusd::upstream
