#pragma once
// zerobusd client library: the thin C++ API producers link to hand records to a local zerobusd
// over its Unix socket (protocol: docs/protocol.md). Standard library types only.
//
// Thread affinity: Client, Table and AckHandle are thread-safe; many threads may ingest into
// the same or different tables at once. Each connected Client runs one background I/O thread,
// which reads acknowledgements, coalesces queued records into RECORDS frames and runs the
// onDone() callbacks.
// Error contract: no exceptions cross this API (std::bad_alloc aside). Calls that can fail
// return Result<T> / Status; ingest calls return an AckHandle that carries the record's one
// final outcome (durable, or an Error). Codes below 1000 come from the daemon (the protocol's
// table); codes from 1000 up are the client's own (ErrorCode below).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace zerobusd {

/// Why something failed. Values 1..999 are the protocol's error codes (docs/protocol.md §9),
/// passed through from the daemon; 1000 and up are raised by this library.
enum class ErrorCode : uint16_t {
  kOk = 0,
  kMalformedFrame = 1,
  kUnsupportedVersion = 2,
  kUnknownFrameType = 3,
  kFrameTooLarge = 4,
  kHandshakeRequired = 5,
  kUnknownTable = 6,
  kPermissionDenied = 7,
  kUnknownHandle = 8,
  kSequenceGap = 9,
  kTooManyRecords = 10,
  kInvalidRecord = 11,
  kRecordTypeMismatch = 12,
  kRecordTooLarge = 13,
  kUpstreamUnavailable = 14,
  kUpstreamRejected = 15,
  kShuttingDown = 16,
  kTimeout = 17,
  kLimitExceeded = 18,
  kInternal = 19,

  /// The connection to the daemon broke (or the daemon said goodbye) while the record was
  /// pending. Retriable. Its outcome is unknown: it may still land in the table, so a retry can
  /// produce a duplicate (at-least-once). The message says whether the record had been sent.
  kConnectionLost = 1000,
  /// No connection: connecting or the handshake failed, or reconnecting is disabled or
  /// deferred (ReconnectPolicy). Retriable; nothing was sent.
  kNotConnected = 1001,
  /// A wait (waitAccepted, waitDurable, flush, ...) ran out of time. The operation itself goes
  /// on: the record is still pending and will get its outcome later. Retriable.
  kWaitTimeout = 1002,
  /// The Table or Client was closed. Not retriable on this object.
  kClosed = 1003,
  /// The caller passed something unusable (empty table name, option out of range, a record
  /// larger than the daemon's frame limit is kRecordTooLarge instead). Not retriable.
  kInvalidArgument = 1004,
  /// The flow-control queue is full and the call was not allowed to block (tryIngest, a
  /// blocking ingest whose block_timeout ran out, or an ingest from an onDone callback). The
  /// record was not taken. Retriable.
  kWouldBlock = 1005,
  /// The daemon broke the protocol (a malformed or unexpected frame). Reported to
  /// ClientOptions::on_error; the connection is dropped, so pending records fail with
  /// kConnectionLost. Retriable (the next call reconnects).
  kProtocolError = 1006,
};

/// "CONNECTION_LOST", "INVALID_RECORD", ...; "UNKNOWN_ERROR_CODE" for other values.
const char* errorCodeName(ErrorCode code);

/// An error: a code, whether retrying the same thing may succeed, and a human-readable message.
struct Error {
  ErrorCode code = ErrorCode::kOk;
  bool retriable = false;
  std::string message;

  /// "INVALID_RECORD (not retriable): record 3 is not a JSON object"
  std::string toString() const;
};

/// A value or an Error. Check ok() before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  /// Precondition: ok().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  /// Precondition: !ok().
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

/// Success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  /// Precondition: !ok().
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

/// How a table's records are encoded. The daemon validates each record against the table:
/// kProto records are serialized protobuf messages of the table's schema; kJson records are
/// UTF-8 JSON objects.
enum class RecordType : uint8_t { kProto = 1, kJson = 2 };

/// Which acknowledgements the client asks the daemon for.
enum class AckLevels : uint8_t {
  /// Only "accepted": the daemon owns the record (in memory, or in its spool). A record is then
  /// final once accepted, and waitDurable() is unavailable.
  kAccepted = 1,
  /// Only "durable": Zerobus acknowledged the record. waitAccepted() returns at durable.
  kDurable = 2,
  /// Both (the default).
  kBoth = 3,
};

/// When the client may reconnect after losing its connection.
struct ReconnectPolicy {
  /// Reconnect on the next call (ingest, openTable, flush, ...). If false, a lost connection
  /// stays lost: calls fail with kNotConnected until a new Client is made.
  bool enabled = true;
  /// After a failed connection attempt, calls within this interval fail at once with
  /// kNotConnected instead of trying again (keeps a dead daemon from being hammered).
  std::chrono::milliseconds min_retry_interval{100};
};

/// The socket path used when ClientOptions::socket_path is empty and $ZEROBUSD_SOCKET is unset.
inline constexpr const char* kDefaultSocketPath = "/run/zerobusd/zerobusd.sock";

struct ClientOptions {
  /// The daemon's Unix socket. Empty: $ZEROBUSD_SOCKET, else kDefaultSocketPath.
  std::string socket_path;
  /// Shown in the daemon's logs and metrics; at most 256 bytes of UTF-8.
  std::string client_name;
  AckLevels ack_levels = AckLevels::kBoth;
  /// Bounds connecting, the handshake and re-opening the tables, each time the client
  /// (re)connects; also openTable()'s wait for the daemon's answer.
  std::chrono::milliseconds connect_timeout{5000};
  ReconnectPolicy reconnect;
  /// Flow control. A record is "queued" from ingest until its final outcome. The daemon's
  /// window (records and bytes not yet final) caps what is in flight on the socket; up to
  /// max_queued_records / max_queued_bytes more may wait inside the client, to be sent as the
  /// window frees up. Beyond that, ingest() blocks and tryIngest() fails with kWouldBlock.
  uint64_t max_queued_records = 0;
  uint64_t max_queued_bytes = 0;
  /// How long a full queue may block ingest() before it gives up with kWouldBlock.
  std::chrono::milliseconds block_timeout{60000};
  /// close() and the destructor wait this long for outstanding records before giving up on them.
  std::chrono::milliseconds close_timeout{5000};
  /// Called on the I/O thread for connection-level problems: the connection was lost, the
  /// daemon sent a non-fatal ERROR that concerns no pending call, broke the protocol
  /// (kProtocolError), or announced its shutdown (kShuttingDown: records not yet sent fail
  /// with kShuttingDown, sent ones still get their outcomes, and calls fail with kShuttingDown
  /// until the daemon closes the connection; the call after that reconnects). Must not block;
  /// may be empty.
  std::function<void(const Error&)> on_error;
};

/// Part of an Outcome: records [first_index, first_index + count) of the ingest call failed.
struct RecordFailure {
  size_t first_index = 0;
  size_t count = 0;
  Error error;
};

/// The final outcome of an ingest call (one record, or a batch from ingestMany).
struct Outcome {
  size_t records = 0;  ///< records the call covered
  size_t failed = 0;   ///< how many of them failed (the others are durable / final)
  /// Failed ranges, by index within the call, ascending. Each record appears at most once.
  std::vector<RecordFailure> failures;

  bool ok() const { return failed == 0; }
  /// The first failure's error, or nullptr if none.
  const Error* firstError() const { return failures.empty() ? nullptr : &failures.front().error; }
};

namespace details {
struct AckState;
struct TableState;
class ClientCore;
struct Access;
}  // namespace details

/// Tracks the records of one ingest call. Copyable (copies share the state); every record gets
/// exactly one final outcome, which arrives whether or not anyone keeps the handle.
class AckHandle {
 public:
  /// An invalid handle (valid() == false); every wait on it fails with kInvalidArgument.
  AckHandle() = default;

  bool valid() const { return state_ != nullptr; }
  /// Number of records covered.
  size_t size() const;

  /// Waits until every record is accepted (or durable, or failed). OK if none failed; else the
  /// first failure's error; kWaitTimeout if time ran out (the records are still pending).
  Status waitAccepted(std::chrono::milliseconds timeout) const;
  /// Waits for the final outcome: OK if every record is durable, else the first failure's
  /// error, or kWaitTimeout. kInvalidArgument if the client did not get durable acks
  /// (AckLevels::kAccepted); use wait() there.
  Status waitDurable(std::chrono::milliseconds timeout) const;
  /// Waits for the final outcome at whatever level is final for this client (durable, or
  /// accepted with AckLevels::kAccepted).
  Status wait(std::chrono::milliseconds timeout) const;

  /// Every record accepted or final.
  bool isAccepted() const;
  /// Every record has its final outcome.
  bool isDone() const;
  /// The outcome so far; final once isDone().
  Outcome outcome() const;

  /// Runs `callback` once with the final outcome: on the client's I/O thread when the last
  /// record completes, or at once on the calling thread if it already has. The callback must
  /// not block (no waits, flush or close: a wait there for an outcome not yet in fails at once
  /// with kInvalidArgument); it may call ingest, which then fails with kWouldBlock instead of
  /// blocking. Several callbacks may be registered; they run in order.
  void onDone(std::function<void(const Outcome&)> callback) const;

 private:
  friend struct details::Access;
  explicit AckHandle(std::shared_ptr<details::AckState> state) : state_(std::move(state)) {}
  std::shared_ptr<details::AckState> state_;
};

/// An open table: records ingested here go to one table through one daemon handle. Copyable
/// (copies share the table). After a reconnect the client re-opens the table by itself;
/// sequence numbers are an internal matter.
class Table {
 public:
  Table() = default;  ///< an invalid table; calls fail with kInvalidArgument

  bool valid() const { return state_ != nullptr; }
  const std::string& name() const;
  RecordType recordType() const;

  /// Queues one record: serialized protobuf bytes for a kProto table (the caller serializes,
  /// e.g. message.SerializeAsString(), so this library needs no protobuf), or JSON text for a
  /// kJson table. Copies the bytes before returning. Blocks while the flow-control queue is
  /// full (up to ClientOptions::block_timeout). Never fails synchronously: a record that cannot
  /// be queued gets a handle that is already done with the error.
  AckHandle ingest(std::string_view record);
  /// ingest() for a kJson table; a kProto table fails it with kRecordTypeMismatch.
  AckHandle ingestJson(std::string_view json);
  /// Queues records as one unit (one handle, per-record failures in its Outcome). All or none
  /// are taken. Records from one call may be split across frames, never reordered.
  AckHandle ingestMany(std::span<const std::string_view> records);
  AckHandle ingestMany(std::span<const std::string> records);
  /// ingest() that never blocks: a full queue fails it with kWouldBlock (record not taken).
  AckHandle tryIngest(std::string_view record);
  AckHandle tryIngestMany(std::span<const std::string_view> records);

  /// Sends what is queued and waits until every record ingested into this table before the call
  /// has its final outcome. OK says the wait finished - individual records may still have
  /// failed (see their handles); an error means the flush itself failed or timed out.
  Status flush(std::chrono::milliseconds timeout);
  /// Flushes, then releases the daemon's handle. Later ingests fail with kClosed.
  Status close(std::chrono::milliseconds timeout);

 private:
  friend struct details::Access;
  explicit Table(std::shared_ptr<details::TableState> state) : state_(std::move(state)) {}
  std::shared_ptr<details::TableState> state_;
};

/// What the daemon announced in the current connection's handshake.
struct ConnectionInfo {
  bool connected = false;
  std::string daemon_version;
  AckLevels ack_levels = AckLevels::kBoth;  ///< granted by the daemon
  uint32_t max_frame_bytes = 0;
  uint32_t max_records_per_frame = 0;
  uint64_t window_records = 0;  ///< the current window (WINDOW frames update it)
  uint64_t window_bytes = 0;
};

/// A connection to the local daemon (reconnected on demand). Move-only.
class Client {
 public:
  /// Connects and performs the handshake. Fails with kInvalidArgument (bad options),
  /// kNotConnected (no daemon at the socket, handshake failed or timed out), or the daemon's
  /// refusal (e.g. kLimitExceeded, kShuttingDown).
  static Result<Client> connect(ClientOptions options);

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  /// close(options.close_timeout).
  ~Client();

  /// Opens `table` ("catalog.schema.table") for records of `type`. The daemon may refuse:
  /// kUnknownTable, kPermissionDenied, kRecordTypeMismatch, kLimitExceeded, ...
  Result<Table> openTable(std::string_view table, RecordType type);

  /// Flush for every open table (one FLUSH for the whole connection).
  Status flush(std::chrono::milliseconds timeout);
  /// Round trip to the daemon; returns the time it took.
  Result<std::chrono::nanoseconds> ping(std::chrono::milliseconds timeout);
  /// The daemon's status document (JSON).
  Result<std::string> status(std::chrono::milliseconds timeout);

  /// Sends what is queued, says GOODBYE and waits (up to `timeout`) for the daemon to deliver
  /// every outstanding outcome; records still pending then fail with kConnectionLost, and
  /// records never sent with kClosed. Further calls fail with kClosed. Idempotent.
  Status close(std::chrono::milliseconds timeout);
  Status close();  ///< close(options.close_timeout)

  bool isConnected() const;
  ConnectionInfo connectionInfo() const;

 private:
  explicit Client(std::shared_ptr<details::ClientCore> core);
  std::shared_ptr<details::ClientCore> core_;
};

}  // namespace zerobusd
