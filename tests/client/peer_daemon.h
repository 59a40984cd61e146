#pragma once
// A scripted stand-in for zerobusd in client tests: one thread serving the local protocol on a
// Unix socket in a fresh /tmp/zbc-XXXXXX directory, built only on common/frame (not on the
// client, so it checks the client rather than agreeing with it by construction). It answers the
// handshake, OPEN, PING, STATUS and GOODBYE itself; how it acknowledges records (at once,
// accepted only, or not until releaseAcks()) and which records it rejects is up to the test.
// It also polices the client: sequence gaps and flow-control window overruns are counted.
//
// Thread affinity: the public methods are thread-safe; actions run on the peer thread and
// return once done. Error contract: setup failures abort the test (gtest assertions).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/frame/frame.h"

namespace zerobusd::testing {

enum class AckMode {
  kImmediate,   // REJECT / ACK accepted / ACK durable right after each RECORDS frame
  kAcceptOnly,  // REJECT and ACK accepted at once; durable only at releaseAcks()
  kHold,        // nothing until releaseAcks()
};

struct PeerConfig {
  uint8_t grant_levels = frame::kAckBitsAll;  // granted = requested & this
  uint32_t max_frame_bytes = 1 << 20;
  uint32_t max_records_per_frame = 1000;
  uint64_t window_records = 100000;
  uint64_t window_bytes = 64 << 20;
};

struct PeerStats {
  int connections = 0;
  std::vector<std::string> client_names;  // one per HELLO
  std::vector<uint8_t> requested_levels;  // one per HELLO
  std::vector<std::string> opened_tables;  // one per OPEN (refused ones too)
  std::vector<std::string> records;        // every record received, in arrival order
  uint64_t records_frames = 0;
  uint64_t max_inflight_records = 0;
  int window_violations = 0;
  int sequence_errors = 0;
  int client_protocol_errors = 0;  // malformed or unexpected frames from the client
  int flushes = 0;
  int close_handles = 0;
  int goodbyes = 0;
  int pings = 0;
  int statuses = 0;
};

// Decides a record's fate: nullopt accepts it; otherwise REJECT with (code, retriable).
using RejectRule =
    std::function<std::optional<std::pair<frame::ErrorCode, bool>>(std::string_view record)>;

class PeerDaemon {
 public:
  explicit PeerDaemon(PeerConfig config = {});
  ~PeerDaemon();
  PeerDaemon(const PeerDaemon&) = delete;
  PeerDaemon& operator=(const PeerDaemon&) = delete;

  const std::string& socketPath() const { return socket_path_; }

  void setAckMode(AckMode mode);
  void setRejectRule(RejectRule rule);
  void refuseTable(const std::string& table, frame::ErrorCode code);
  // Refuse every HELLO with a fatal ERROR of `code` (nullopt: welcome again).
  void refuseHello(std::optional<frame::ErrorCode> code);

  // Outcomes for everything received so far (REJECTs, then ACK accepted and durable as
  // granted), then FLUSHED for flushes that were waiting on them.
  void releaseAcks();
  // Sends WINDOW to every connection and polices the new window from now on.
  void sendWindow(uint64_t records, uint64_t bytes);
  // Writes raw bytes to every connection.
  void sendRaw(const std::string& bytes);
  // Closes every connection at once, without a word.
  void dropConnections();

  // Waits until `predicate` holds for the stats (re-checked on every change).
  bool waitFor(const std::function<bool(const PeerStats&)>& predicate,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));
  PeerStats stats() const;

 private:
  struct Handle;
  struct Connection;

  void run();
  void runOnPeer(std::function<void()> action);
  void serve(Connection& connection);
  void handleFrame(Connection& connection, frame::FrameType type, std::string_view payload);
  void release(Connection& connection, bool durable_too);
  void answerFlushes(Connection& connection);
  void send(Connection& connection, const std::string& bytes);
  void closeConnection(Connection& connection);
  void changed();

  PeerConfig config_;
  std::string dir_;
  std::string socket_path_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  PeerStats stats_;
  AckMode ack_mode_ = AckMode::kImmediate;
  RejectRule reject_rule_;
  std::map<std::string, frame::ErrorCode> refused_tables_;
  std::optional<frame::ErrorCode> refuse_hello_;
  std::vector<std::function<void()>> actions_;
  bool stopping_ = false;

  // Peer-thread state.
  std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace zerobusd::testing
