#include "tools/zerobusctl/send_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "common/frame/messages.h"
#include "daemon/config/proto_schema.h"
#include "tools/zerobusctl/console.h"
#include "tools/zerobusctl/input_reader.h"
#include "tools/zerobusctl/json_to_proto.h"
#include "tools/zerobusctl/send_tracker.h"
#include "tools/zerobusctl/status_view.h"

namespace zerobusd::ctl {
namespace {

using Clock = std::chrono::steady_clock;

enum class Format { kNdjson, kProtoDelimited, kJsonToProto };

// A JSON line may be longer than the record it converts to; it is still bounded.
constexpr size_t kJsonToProtoLineFactor = 4;
// How long the end-of-input FLUSH waits for its answer: it is a hint to send partial batches
// at once; the outcomes themselves are waited for with --timeout (SendTracker::waitAllDone).
constexpr auto kFlushHintWait = std::chrono::milliseconds(100);
// Batch slots keep buffers up to this size between batches (typical records are far smaller).
constexpr size_t kKeptSlotBytes = 64 * 1024;
// Close after giving up on outcomes: just long enough to say GOODBYE.
constexpr auto kAbandonCloseWait = std::chrono::milliseconds(100);

std::optional<Format> parseFormat(const std::string& name) {
  if (name == "ndjson") return Format::kNdjson;
  if (name == "proto-delimited") return Format::kProtoDelimited;
  if (name == "json-to-proto") return Format::kJsonToProto;
  return std::nullopt;
}

bool isBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// The input file descriptor; closed with the object unless it is stdin.
class InputFile {
 public:
  explicit InputFile(int fd) : fd_(fd) {}
  ~InputFile() {
    if (fd_ > STDIN_FILENO) ::close(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Collects records into one ingest call of at most `max_records` records / `max_bytes` bytes.
class Batcher {
 public:
  Batcher(Table& table, SendTracker& tracker, size_t max_records, size_t max_bytes)
      : table_(table), tracker_(tracker), max_records_(max_records), max_bytes_(max_bytes) {
    records_.resize(max_records);
  }

  void add(uint64_t number, std::string_view record) {
    records_[count_].assign(record);
    numbers_->push_back(number);
    ++count_;
    bytes_ += record.size();
    if (count_ >= max_records_ || bytes_ >= max_bytes_) send();
  }

  // Hands the batch to the client: it blocks while the flow-control queue is full (bounded by
  // --timeout), and the outcome arrives later through onDone.
  void send() {
    if (count_ == 0) return;
    tracker_.submitted(count_);
    AckHandle handle = table_.ingestMany(std::span<const std::string>(records_.data(), count_));
    handle.onDone([tracker = &tracker_, numbers = numbers_](const Outcome& outcome) {
      tracker->completed(*numbers, outcome);
    });
    // The slots are reused, but a slot that once held a large record must not keep its
    // buffer: over many batches every slot could, and memory would grow with the batch size.
    for (size_t i = 0; i < count_; ++i) {
      if (records_[i].capacity() > kKeptSlotBytes) std::string().swap(records_[i]);
    }
    numbers_ = std::make_shared<std::vector<uint64_t>>();
    count_ = 0;
    bytes_ = 0;
  }

 private:
  Table& table_;
  SendTracker& tracker_;
  const size_t max_records_;
  const size_t max_bytes_;
  std::vector<std::string> records_;  // reused: records_[0, count_) is the batch
  size_t count_ = 0;
  size_t bytes_ = 0;
  std::shared_ptr<std::vector<uint64_t>> numbers_ = std::make_shared<std::vector<uint64_t>>();
};

// The input format for the table: the requested one, else the table's natural one. Sets
// *refusal when the format does not fit the table's record type.
Format formatFor(const std::string& table, bool proto_table, std::optional<Format> requested,
                 bool has_schema, std::string* refusal) {
  const Format natural = !proto_table
                             ? Format::kNdjson
                             : (has_schema ? Format::kJsonToProto : Format::kProtoDelimited);
  const Format format = requested.value_or(natural);
  if (proto_table && format == Format::kNdjson) {
    *refusal = fmt::format(
        "{} takes protobuf records: use --format proto-delimited, or "
        "json-to-proto with --proto/--descriptor-set and --message",
        table);
  } else if (!proto_table && format != Format::kNdjson) {
    *refusal = fmt::format("{} takes JSON records: use --format ndjson", table);
  }
  return format;
}

ExitCode exitCodeForConnection(const Error& error) {
  switch (error.code) {
    case ErrorCode::kNotConnected:
    case ErrorCode::kConnectionLost:
    case ErrorCode::kWaitTimeout:
    case ErrorCode::kShuttingDown:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kProtocolError:
      return ExitCode::kUnreachable;
    default:
      return ExitCode::kFailed;
  }
}

// What the send loop needs once the table is open.
struct Plan {
  Format format = Format::kNdjson;
  std::unique_ptr<JsonToProto> converter;
  size_t max_record_bytes = 0;
};

struct PumpResult {
  bool reached_end = false;          // the whole input was read
  std::optional<std::string> error;  // the input could not be read further
  uint64_t last_number = 0;          // the last line / record read
};

// Reads the records of `fd` and hands them over, until the input ends, cannot be read, or the
// connection can take no more records.
PumpResult pump(int fd, Plan& plan, Batcher& batcher, SendTracker& tracker) {
  PumpResult result;
  InputSource source(fd, [&batcher] { batcher.send(); });
  const bool lines = plan.format != Format::kProtoDelimited;
  const size_t max_input = plan.format == Format::kJsonToProto
                               ? plan.max_record_bytes * kJsonToProtoLineFactor
                               : plan.max_record_bytes;
  LineReader line_reader(source, max_input);
  DelimitedReader delimited_reader(source, max_input);
  std::string converted;
  std::string why;
  InputRecord record;
  while (!tracker.stopReason()) {
    std::string error;
    const ReadStatus status =
        lines ? line_reader.next(&record, &error) : delimited_reader.next(&record, &error);
    if (status == ReadStatus::kEnd) {
      result.reached_end = true;
      return result;
    }
    if (status == ReadStatus::kError) {
      result.error = error;
      return result;
    }
    result.last_number = record.number;
    if (lines && !record.too_large && isBlank(record.data)) {
      tracker.blankLine();
      continue;
    }
    tracker.readRecord();
    if (record.too_large) {
      tracker.localFailure(record.number,
                           fmt::format("RECORD_TOO_LARGE: {} bytes, over the limit of {} bytes",
                                       record.size, max_input));
      continue;
    }
    if (plan.format != Format::kJsonToProto) {
      batcher.add(record.number, record.data);
      continue;
    }
    if (!plan.converter->convert(record.data, &converted, &why)) {
      tracker.localFailure(record.number, fmt::format("INVALID_RECORD: not a valid {}: {}",
                                                      plan.converter->messageName(), why));
      continue;
    }
    if (converted.size() > plan.max_record_bytes) {
      tracker.localFailure(
          record.number,
          fmt::format("RECORD_TOO_LARGE: {} bytes as protobuf, over the limit of {} bytes",
                      converted.size(), plan.max_record_bytes));
      continue;
    }
    batcher.add(record.number, converted);
  }
  return result;
}

}  // namespace

ExitCode runSend(const GlobalOptions& global, const SendOptions& options) {
  Console console(::isatty(STDERR_FILENO) == 1);
  auto fail = [&console](ExitCode code, const std::string& message) {
    console.error(message);
    return code;
  };

  // Options that do not depend on the daemon.
  std::optional<Format> requested;
  if (!options.format.empty()) {
    requested = parseFormat(options.format);
    if (!requested) return fail(ExitCode::kUsage, "unknown --format '" + options.format + "'");
  }
  const bool has_schema = !options.proto_file.empty() || !options.descriptor_set.empty();
  if (has_schema && options.message.empty()) {
    return fail(ExitCode::kUsage, "--message is required with --proto or --descriptor-set");
  }
  if (requested == Format::kJsonToProto && !has_schema) {
    return fail(ExitCode::kUsage,
                "--format json-to-proto needs the table's schema: --proto FILE --message NAME "
                "or --descriptor-set FILE --message NAME");
  }
  if (has_schema && requested && requested != Format::kJsonToProto) {
    return fail(ExitCode::kUsage,
                "--proto / --descriptor-set are only used with --format "
                "json-to-proto");
  }
  if (options.batch == 0) return fail(ExitCode::kUsage, "--batch must be at least 1");

  int fd = STDIN_FILENO;
  if (!options.file.empty() && options.file != "-") {
    fd = ::open(options.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return fail(ExitCode::kUsage,
                  fmt::format("cannot open {}: {}", options.file, std::strerror(errno)));
    }
  }
  InputFile input(fd);

  Plan plan;
  if (has_schema) {
    config::ProtoSource source;
    source.proto_file = options.proto_file;
    source.descriptor_set = options.descriptor_set;
    source.message = options.message;
    source.import_paths = options.proto_paths;
    auto schema = config::loadProtoSchema(source, nullptr);
    if (!schema.ok()) return fail(ExitCode::kUsage, std::string(schema.status().message()));
    plan.converter = std::make_unique<JsonToProto>(std::move(*schema));
  }

  // The daemon: connect, find the table's record type, open it.
  // The tracker exists before the client: the client's on_error hook reports through it.
  const std::string level = options.ack_accepted ? "accepted" : "durable";
  std::string unit = "line";
  auto tracker = std::make_unique<SendTracker>(console, unit, options.table, level);
  ConnectSettings settings;
  settings.ack_levels = options.ack_accepted ? AckLevels::kAccepted : AckLevels::kBoth;
  settings.connect_timeout = global.timeout;
  settings.on_error = [&tracker](const Error& error) {
    tracker->notice("zerobusd: " + error.toString());
  };
  Result<Client> connected = connectDaemon(global, settings);
  if (!connected.ok()) return fail(ExitCode::kUnreachable, connected.error().message);
  Client client = std::move(connected).value();

  Result<std::string> status_json = client.status(global.timeout);
  if (!status_json.ok()) {
    return fail(exitCodeForConnection(status_json.error()),
                "cannot read the daemon's status: " + status_json.error().toString());
  }
  auto status = parseStatus(status_json.value());
  if (!status.ok()) return fail(ExitCode::kFailed, std::string(status.status().message()));
  const TableStatus* served = status->findTable(options.table);
  if (served == nullptr) {
    std::vector<std::string> names;
    for (const TableStatus& table : status->tables) names.push_back(table.name);
    return fail(ExitCode::kUsage, fmt::format("zerobusd does not serve table '{}' (it serves: {})",
                                              options.table, fmt::join(names, ", ")));
  }
  if (served->record_type != "proto" && served->record_type != "json") {
    return fail(ExitCode::kFailed, fmt::format("the daemon reports record type '{}' for {}",
                                               served->record_type, options.table));
  }
  const bool proto_table = served->record_type == "proto";
  std::string refusal;
  plan.format = formatFor(options.table, proto_table, requested, has_schema, &refusal);
  if (!refusal.empty()) return fail(ExitCode::kUsage, refusal);

  Result<Table> opened =
      client.openTable(options.table, proto_table ? RecordType::kProto : RecordType::kJson);
  if (!opened.ok()) {
    const Error& error = opened.error();
    const bool refused = error.code == ErrorCode::kUnknownTable ||
                         error.code == ErrorCode::kPermissionDenied ||
                         error.code == ErrorCode::kRecordTypeMismatch;
    return fail(refused ? ExitCode::kUsage : exitCodeForConnection(error),
                "cannot open " + options.table + ": " + error.toString());
  }
  Table table = std::move(opened).value();
  const ConnectionInfo info = client.connectionInfo();
  plan.max_record_bytes = info.max_frame_bytes - frame::recordsPayloadSize(1, 0);

  // The records.
  if (plan.format == Format::kProtoDelimited) unit = "record";
  tracker->setUnit(unit);
  tracker->startReporter();
  const auto started = Clock::now();
  PumpResult pumped;
  {
    Batcher batcher(table, *tracker, options.batch, info.max_frame_bytes);
    pumped = pump(input.fd(), plan, batcher, *tracker);
    batcher.send();
  }
  const std::optional<std::string>& input_error = pumped.error;
  const std::optional<Error> stopped = tracker->stopReason();
  if (!options.ack_accepted && !stopped) (void)table.flush(kFlushHintWait);
  const bool all_done = tracker->waitAllDone(global.timeout);
  if (!all_done) {
    tracker->notice(fmt::format(
        "gave up waiting: no outcome arrived for {} s while {} record(s) were pending; their "
        "outcome is unknown (they may still land)",
        std::chrono::duration<double>(global.timeout).count(), tracker->outstanding()));
  }
  // Records still pending now fail with CONNECTION_LOST (outcome unknown) and are reported.
  (void)client.close(all_done ? global.timeout : kAbandonCloseWait);
  tracker->stopReporter();

  const SendCounts counts = tracker->counts();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (stopped && !pumped.reached_end && !input_error) {
    console.error(fmt::format("stopped reading the input after {} {}: {}; the rest was not sent",
                              unit, pumped.last_number, stopped->toString()));
  }
  if (input_error) console.error(fmt::format("input error: {}", *input_error));
  std::string summary = fmt::format("{}: {} record(s) read, {} {}, {} failed", options.table,
                                    counts.read, counts.succeeded, level, counts.failed);
  if (counts.blank > 0) summary += fmt::format(", {} blank line(s) skipped", counts.blank);
  summary += fmt::format(" in {:.2f} s\n", seconds);
  std::fwrite(summary.data(), 1, summary.size(), stdout);
  std::fflush(stdout);

  if (input_error) return ExitCode::kUsage;
  if (counts.failed > 0 || counts.succeeded < counts.read) return ExitCode::kFailed;
  return ExitCode::kOk;
}

}  // namespace zerobusd::ctl
