#pragma once
// The client's engine behind Client and Table: connection and handshake, table handles, the
// record queue with per-record sequence tracking, flow control, and the I/O thread that writes
// coalesced RECORDS frames and applies ACK / REJECT / WINDOW / ERROR frames.
//
// Thread affinity: thread-safe. One mutex (mu_) guards all state; the I/O thread owns the socket
// and its write queue. Callers block only on condition variables (queue room, connecting) or on
// a request's future - never while holding mu_ across I/O, except a reconnect, which runs
// without mu_ while `connecting_` keeps other callers waiting.
// Error contract: see client.h. Every record handed to ingest() gets exactly one outcome: from
// an ACK/REJECT, or kConnectionLost / kClosed when the connection ends first.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "client/src/ack_state.h"
#include "client/src/unix_socket.h"
#include "common/frame/frame_reader.h"
#include "common/frame/messages.h"
#include "zerobusd/client.h"

namespace zerobusd::details {

// One record between ingest and its final outcome. Its sequence number is implicit: the
// table's base_seq plus its position in `pending`.
struct PendingRecord {
  std::shared_ptr<AckState> state;
  uint32_t index = 0;  // position within its ingest call
  uint32_t size = 0;   // bytes, for flow-control accounting
  uint8_t flags = 0;   // kAcceptedFlag | kFinalFlag
};
inline constexpr uint8_t kAcceptedFlag = 1;
inline constexpr uint8_t kFinalFlag = 2;

struct TableState {
  TableState(std::shared_ptr<ClientCore> owner, std::string table_name, RecordType type)
      : core(std::move(owner)), name(std::move(table_name)), record_type(type) {}

  const std::shared_ptr<ClientCore> core;
  const std::string name;
  const RecordType record_type;

  // Everything below is guarded by core->mu_.
  bool closed = false;     // Table::close() was called
  uint64_t generation = 0;  // the connection `handle` belongs to
  uint32_t handle = 0;      // 0: no handle on the current connection
  std::optional<Error> open_error;  // why the last re-open failed

  uint64_t next_seq = 0;       // assigned to the next ingested record
  uint64_t base_seq = 0;       // seq of pending.front()
  uint64_t sent_upto = 0;      // records below this seq have been written to the socket
  uint64_t accepted_upto = 0;  // highest ACK accepted next_seq
  uint64_t final_upto = 0;     // highest ACK next_seq at the final level
  std::deque<PendingRecord> pending;

  // The RECORDS frame being filled by ingest calls, sealed by the I/O thread or when full.
  std::string open_frame;
  frame::RecordsEncoder encoder;
};

// True on any client's I/O thread (inside onDone callbacks): waiting there would stall the
// acknowledgements the wait is for.
bool onAnyIoThread();

class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  static Result<std::shared_ptr<ClientCore>> create(ClientOptions options);
  explicit ClientCore(ClientOptions options, std::string socket_path, int wake_fd);
  ~ClientCore();
  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  Status connectFirst();
  Result<Table> openTable(std::string_view name, RecordType type);
  AckHandle ingest(TableState& table, std::span<const std::string_view> records, bool may_block);
  // `table_closing`: the flush of Table::close(), allowed on a table already marked closed.
  Status flush(TableState* table, std::chrono::milliseconds timeout, bool table_closing = false);
  Status closeTable(TableState& table, std::chrono::milliseconds timeout);
  Result<std::chrono::nanoseconds> ping(std::chrono::milliseconds timeout);
  Result<std::string> status(std::chrono::milliseconds timeout);
  Status close(std::chrono::milliseconds timeout);
  bool isConnected() const;
  ConnectionInfo connectionInfo() const;
  const ClientOptions& options() const { return options_; }
  bool finalIsDurable() const;

 private:
  // A request awaiting its answer frame (OPEN_RESULT, FLUSHED, PONG, STATUS_RESULT).
  struct Reply {
    std::optional<Error> error;
    uint32_t handle = 0;
    std::string text;
  };
  struct Request {
    frame::FrameType kind;
    std::shared_ptr<TableState> table;  // OPEN: the table to register on success
    std::promise<Reply> promise;
    bool abandoned = false;  // the caller stopped waiting (guarded by mu_)
  };
  // A frame waiting in order to be written. Records frames wait for room in the window.
  struct OutFrame {
    std::string bytes;
    TableState* table = nullptr;  // set for RECORDS
    uint64_t records = 0;
    uint64_t record_bytes = 0;
    uint64_t end_seq = 0;
    // Set for OPEN / FLUSH / STATUS (request_id) and PING (nonce), so a request whose frame
    // was never sent can be failed.
    std::shared_ptr<Request> request;
    uint32_t request_id = 0;
    uint64_t nonce = 0;
  };
  // The result of connecting, the handshake and re-opening tables (built without mu_).
  struct Established {
    int fd = -1;
    frame::FrameReader reader;
    uint8_t ack_levels = 0;
    uint32_t max_frame_bytes = 0;
    uint32_t max_records_per_frame = 0;
    uint64_t window_records = 0;
    uint64_t window_bytes = 0;
    std::string daemon_version;
    std::vector<std::optional<Error>> open_errors;  // per table to re-open
    std::vector<uint32_t> handles;
  };
  struct Reopen {
    std::shared_ptr<TableState> table;
    std::string name;
    RecordType type;
  };

  bool onIoThread() const;
  void wake();
  Status ensureConnectedLocked(std::unique_lock<std::mutex>& lock);
  Result<Established> establish(const std::vector<Reopen>& tables) const;
  void installLocked(Established& established, const std::vector<Reopen>& tables);

  bool queueHasRoomLocked(uint64_t records, uint64_t bytes) const;
  bool windowAllowsLocked(uint64_t records, uint64_t bytes) const;
  void sealLocked(TableState& table);
  void sealAllLocked();
  void pumpLocked(std::deque<std::string>& writes);
  std::shared_ptr<Request> addRequestLocked(frame::FrameType kind, uint32_t* id);
  Result<Reply> awaitReply(const std::shared_ptr<Request>& request,
                           std::chrono::milliseconds timeout, const char* what);
  Status refuseWaitOnIoThread(const char* what) const;

  void ioLoop(std::shared_ptr<ClientCore> self, uint64_t generation, int fd,
              frame::FrameReader reader);
  // Applies one frame from the daemon. Returns an error when the connection must end (fatal
  // ERROR, protocol violation, daemon GOODBYE); *graceful is set when it ends because the
  // daemon answered our GOODBYE.
  std::optional<Error> handleFrameLocked(const frame::Frame& frame, Completions& completions,
                                         std::vector<Error>& reports, bool* graceful);
  std::optional<Error> applyAckLocked(const frame::Ack& ack, Completions& completions);
  std::optional<Error> applyRejectLocked(const frame::Reject& reject, Completions& completions);
  void advanceLocked(TableState& table, uint64_t next_seq, bool final, AckUpdater& updater);
  void finalizeRecordLocked(TableState& table, PendingRecord& record);
  void popFinalLocked(TableState& table);
  void connectionLostLocked(uint64_t generation, const Error& reason, bool graceful,
                            Completions& completions);
  // The daemon said GOODBYE (shutting down): it reads nothing more, so what was not sent fails
  // now; what was sent keeps waiting for the outcomes the daemon still delivers.
  void daemonLeavingLocked(const Error& reason, Completions& completions);
  TableState* tableByHandleLocked(uint32_t handle);

  const ClientOptions options_;
  const std::string socket_path_;
  const int wake_fd_;  // eventfd: ingest and control calls wake the I/O thread
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> abort_io_{false};

  mutable std::mutex mu_;
  std::condition_variable space_cv_;  // queue room, or a state change that ends a wait
  std::condition_variable state_cv_;  // connecting_ / connected_ changes

  bool closed_ = false;
  bool connected_ = false;
  bool connecting_ = false;
  bool ever_connected_ = false;
  bool goodbye_sent_ = false;
  std::optional<Error> leaving_;  // the daemon announced its shutdown on this connection
  uint64_t generation_ = 0;
  std::optional<Error> last_connect_error_;
  SteadyClock::time_point last_connect_failure_{};
  std::thread io_thread_;

  // What the daemon announced.
  std::atomic<uint8_t> ack_levels_{0};  // granted; read without mu_ by finalIsDurable()
  uint32_t max_frame_bytes_ = frame::kPreHandshakeMaxFrame;
  uint32_t max_records_per_frame_ = 1;
  uint64_t window_records_ = 0;
  uint64_t window_bytes_ = 0;
  std::string daemon_version_;

  // Flow control: records sent and not final / records ingested and not final.
  uint64_t inflight_records_ = 0;
  uint64_t inflight_bytes_ = 0;
  uint64_t queued_records_ = 0;
  uint64_t queued_bytes_ = 0;

  std::deque<OutFrame> out_queue_;
  size_t records_frames_queued_ = 0;
  std::vector<std::shared_ptr<TableState>> tables_;
  std::unordered_map<uint32_t, TableState*> by_handle_;
  uint32_t next_request_id_ = 1;
  std::unordered_map<uint32_t, std::shared_ptr<Request>> requests_;
  uint64_t next_nonce_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Request>> pings_;
};

}  // namespace zerobusd::details
