#pragma once
// The fake's open streams, for what acts on them from outside their own gRPC callbacks: the
// admin API (abort, close signal, resume acks, revoke) and scheduled events. Also the
// per-call observations tests assert on (metadata seen, how each call ended).
// Thread-safe. Lock order: registry before stream; a stream never calls into the registry's
// membership while holding its own lock (the stats lock is a leaf and may be taken anywhere).

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <grpcpp/support/status.h>
#include <nlohmann/json.hpp>

namespace zerobusd::fake {

class LiveStream {
 public:
  virtual ~LiveStream() = default;
  virtual const std::string& table() const = 0;
  virtual void abort(const grpc::Status& status) = 0;
  // Sends close_stream_signal (duration_ms < 0: without a duration); when `end`, ends the call
  // with `end_status` after the duration.
  virtual void closeSignal(int64_t duration_ms, bool end, const grpc::Status& end_status) = 0;
  virtual void resumeAcks() = 0;     // ack everything held back by a stopped ack policy
  virtual void recheckToken() = 0;   // end with UNAUTHENTICATED if its token no longer passes
  virtual void ackUpTo(int64_t offset) = 0;
  virtual nlohmann::json info() const = 0;
};

class StreamRegistry {
 public:
  uint64_t add(LiveStream* stream);  // returns the stream's serial
  void remove(uint64_t serial);
  // Runs `fn` on the live stream `serial` (under the registry lock, so it cannot be destroyed
  // meanwhile). False if it is gone.
  bool with(uint64_t serial, const std::function<void(LiveStream&)>& fn);
  // Runs `fn` on every live stream of `table` (every stream when `table` is empty); returns
  // how many.
  int forEach(const std::string& table, const std::function<void(LiveStream&)>& fn);

  // Observations.
  void noteCall(nlohmann::json call);  // metadata of a new call (kept: the last 256)
  void noteOpened();                   // a create_stream answered with a stream id
  void noteEnded(grpc::StatusCode code);
  nlohmann::json countersJson() const;
  nlohmann::json callsJson() const;
  nlohmann::json liveJson() const;
  void resetCounters();

  // Run-time stream lifetime settings (admin API); read at each creation.
  std::atomic<int64_t> lifetime_ms{0};
  std::atomic<int64_t> close_grace_ms{0};

 private:
  mutable std::mutex mu_;
  uint64_t next_serial_ = 1;
  std::map<uint64_t, LiveStream*> live_;

  mutable std::mutex stats_mu_;
  uint64_t calls_ = 0;
  uint64_t opened_ = 0;
  std::map<std::string, uint64_t> ended_;
  std::deque<nlohmann::json> recent_calls_;
};

}  // namespace zerobusd::fake
