#pragma once
// One producer connection speaking the local protocol (docs/protocol.md): handshake, table
// handles, records frames validated record by record and handed to the tables' pipelines,
// accepted and durable acks, per-record rejections, flush, ping, status, goodbye, flow control.
// A frame is read only when its table has room and the connection is inside its window;
// otherwise the socket is not read (back-pressure), and nothing is dropped.
//
// Thread affinity: loop thread only. Ownership: the server holds sessions by shared_ptr; the
// pipelines hold only weak references (through HandleTracker), so outcomes of a vanished
// producer complete upstream and are dropped here.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/ipc/connection.h"
#include "daemon/loop/event_loop.h"
#include "daemon/pipeline/handle_tracker.h"
#include "daemon/pipeline/table_pipeline.h"

namespace zerobusd::ipc {

// A record check for one table (proto wire walk or JSON object check).
class RecordCheck {
 public:
  virtual ~RecordCheck() = default;
  virtual bool check(std::string_view record, std::string* error) const = 0;
};

struct SessionLimits {
  uint32_t max_frame_bytes = 16 * 1024 * 1024;
  uint32_t max_records_per_frame = 100000;
  uint64_t max_record_bytes = 10 * 1024 * 1024 - 64 * 1024;
  uint64_t window_records = 100000;
  uint64_t window_bytes = 64 * 1024 * 1024;
  uint32_t max_handles = 64;
  int64_t handshake_timeout_ms = 5000;
  int64_t idle_timeout_ms = 0;     // no frame and nothing pending this long: closed (0: never)
  int64_t frame_timeout_ms = 10000;  // a started frame must be complete within this
  int64_t flush_timeout_ms = 300000;
};

// What a session learns about a configured table.
struct TableBinding {
  std::string name;
  uint8_t record_type = 1;  // 1 PROTO, 2 JSON (wire numbers)
  pipeline::TablePipeline* pipeline = nullptr;
  const RecordCheck* check = nullptr;  // null: validation off
  std::function<bool(const PeerCredentials&)> allowed;  // null: anyone
};

// Counters a session bumps (the daemon's metrics module implements it; null: none).
class SessionMetrics {
 public:
  virtual ~SessionMetrics() = default;
  virtual void frame(uint8_t type) = 0;
  virtual void recordsReceived(const std::string& table, uint64_t records, uint64_t bytes) = 0;
  virtual void recordsAccepted(const std::string& table, uint64_t records, uint64_t bytes) = 0;
  virtual void recordsRejected(const std::string& table, const char* reason, uint64_t records) = 0;
  virtual void protocolError(const char* reason) = 0;
  // An OPEN was refused; `reason` is the error's name (PERMISSION_DENIED, UNKNOWN_TABLE, ...).
  virtual void openRefused(const char* reason) = 0;
  virtual void outcomeDropped(uint64_t records) = 0;
};

struct SessionDeps {
  EventLoop& loop;
  SessionLimits limits;
  std::string daemon_version;
  std::function<const TableBinding*(const std::string& table)> find_table;
  std::function<std::string()> status_json;
  std::function<void(uint64_t session_id)> on_closed;
  SessionMetrics* metrics = nullptr;
};

class Session final : public pipeline::OutcomeListener,
                      public std::enable_shared_from_this<Session> {
 public:
  Session(SessionDeps deps, std::shared_ptr<Connection> connection, uint64_t id);
  ~Session() override;

  void start();
  // The daemon is stopping: tell the producer (GOODBYE reason 1), stop reading; outcomes of
  // what was accepted still arrive until the connection ends.
  void announceShutdown(const std::string& message);
  void close(const std::string& reason);
  // Configuration reload: handles bound to `from` go on with `to` (the same table rebuilt with
  // new settings; records already handed to `from` finish there). With `to` null, or taking
  // another record type, the table is gone for these handles: their outcomes still arrive, and
  // records sent after this are rejected with UNKNOWN_TABLE and `why`.
  void rebind(const TableBinding* from, const TableBinding* to, const std::string& why);
  uint64_t id() const { return id_; }
  bool hasPending() const { return window_records_ > 0; }
  const PeerCredentials& peer() const { return connection_->peer(); }

  // OutcomeListener
  void onReject(uint32_t handle, uint64_t first_seq, uint64_t count, uint16_t code, bool retriable,
                const std::string& message) override;
  void onFinal(uint32_t handle, uint64_t records, uint64_t bytes, uint64_t durable_next) override;

 private:
  struct Handle {
    std::shared_ptr<pipeline::HandleTracker> tracker;
    const TableBinding* table = nullptr;  // null: removed by a reload (see `gone`)
    std::string table_name;
    std::string gone;  // why new records are refused once the table is gone
    uint64_t accepted_sent = 0;
    uint64_t durable_sent = 0;
    bool closed = false;  // CLOSE_HANDLE: no new records; outcomes still delivered, then erased
  };
  struct FlushWait {
    uint32_t request_id;
    std::map<uint32_t, uint64_t> targets;  // handle -> seq that must be final
    EventLoop::TimerId timer;
  };

  void onData(std::string_view data);
  void process();
  // False: stop processing (paused, or the connection is ending).
  bool handleFrame(uint8_t type, std::string_view payload);
  bool onHello(std::string_view payload);
  bool onOpen(std::string_view payload);
  bool onRecords(std::string_view payload);
  bool onFlush(std::string_view payload);
  void fatal(uint16_t code, const std::string& message, const char* metric);
  void sendError(uint16_t code, bool fatal, uint32_t context, const std::string& message);
  void scheduleAcks();
  void flushAcks();
  void checkFlushes();
  void checkGoodbye();
  void eraseDrainedClosedHandles();
  void pauseFor(const char* why);
  // Slow and silent peers: checks frame_timeout_ms and idle_timeout_ms on a timer.
  void armWatchdog();
  void checkTimeouts();
  void resume();

  SessionDeps deps_;
  std::shared_ptr<Connection> connection_;
  uint64_t id_;
  std::string in_;  // bytes received, not yet processed
  bool hello_ = false;
  uint8_t ack_levels_ = 0;
  bool goodbye_ = false;
  bool shutting_down_ = false;
  bool paused_ = false;
  bool acks_scheduled_ = false;
  uint32_t next_handle_ = 1;
  std::map<uint32_t, Handle> handles_;
  std::set<uint32_t> dirty_;  // handles with acks to send
  uint64_t window_records_ = 0;  // sent, not yet final
  uint64_t window_bytes_ = 0;
  uint64_t window_records_limit_ = 0;  // as announced in WELCOME
  uint64_t window_bytes_limit_ = 0;
  std::vector<FlushWait> flushes_;
  std::optional<EventLoop::TimerId> handshake_timer_;
  std::optional<EventLoop::TimerId> watchdog_timer_;
  // The last frame received or record settled: idle time runs from the later of the two, so a
  // producer that just got its acks has a full idle period to send more.
  EventLoop::Clock::time_point last_activity_at_{};
  // When the incomplete frame at the front of in_ began (or reading resumed); unset: none.
  std::optional<EventLoop::Clock::time_point> partial_since_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::string scratch_;  // encoder output
};

}  // namespace zerobusd::ipc
