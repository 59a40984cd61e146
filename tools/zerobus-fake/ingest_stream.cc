// One EphemeralStream call on the fake service. State lives under one mutex because gRPC may
// run OnReadDone and OnWriteDone at the same time on different threads; writes go out one at a
// time (the callback API allows a single outstanding write), acks coalesce while one is in
// flight, and Finish waits for the write in flight.

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <fmt/format.h>
#include <google/protobuf/descriptor.pb.h>
#include <spdlog/spdlog.h>

#include "proto/google/rpc/status.pb.h"
#include "tools/zerobus-fake/ingest_service.h"
#include "tools/zerobus-fake/row_decoder.h"

namespace zerobusd::fake {

namespace zb = databricks::zerobus;

namespace {

using Reactor = grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;

double steadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string newStreamId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

std::string metadataValue(const grpc::CallbackServerContext& context, const char* key) {
  const auto& md = context.client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return {};
  return std::string(it->second.data(), it->second.size());
}

// INVALID_ARGUMENT with a google.rpc.ErrorInfo detail, as the service reports schema errors.
grpc::Status schemaError(const DescriptorCheck& check) {
  google::rpc::ErrorInfo info;
  info.set_reason("SCHEMA_VALIDATION_FAILED");
  info.set_domain("zerobus.databricks.com");
  std::string causes;
  for (const auto& cause : check.causes) causes += (causes.empty() ? "" : ",") + cause;
  (*info.mutable_metadata())["causes"] = causes;
  (*info.mutable_metadata())["error_code"] = "8001";
  google::rpc::Status status;
  status.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  status.set_message(check.message);
  status.add_details()->PackFrom(info);
  return {grpc::StatusCode::INVALID_ARGUMENT, check.message, status.SerializeAsString()};
}

grpc::Status invalid(std::string message) {
  return {grpc::StatusCode::INVALID_ARGUMENT, std::move(message)};
}

// A received ingest message, held until it is acked (and so landed).
struct Pending {
  int64_t offset = 0;
  Records records;
  bool batch = false;
};

class IngestStream final : public Reactor, public LiveStream {
 public:
  IngestStream(const StreamDeps& deps, grpc::CallbackServerContext* context) : deps_(deps) {
    authorization_ = metadataValue(*context, "authorization");
    table_header_ = metadataValue(*context, "x-databricks-zerobus-table-name");
    deps_.registry.noteCall({{"user_agent", metadataValue(*context, "user-agent")},
                             {"x_zerobus_sdk", metadataValue(*context, "x-zerobus-sdk")},
                             {"table_header", table_header_},
                             {"peer", context->peer()}});
    serial_ = deps_.registry.add(this);
    std::lock_guard lock(mu_);
    // A trailers-only creation failure happens before the response headers.
    if (auto fault = deps_.faults.takeCreateFault(table_header_);
        fault && fault->mode == CreateFaultMode::TrailersOnly) {
      finishLocked({fault->code, fault->message});
      return;
    } else if (fault) {
      create_fault_ = std::move(fault);
    }
    // Headers first: clients wait for them before they write anything (§4.1).
    StartSendInitialMetadata();
    StartRead(&read_buffer_);
  }

  // --- gRPC reactions -------------------------------------------------------------------------

  void OnSendInitialMetadataDone(bool /*ok*/) override {}

  void OnReadDone(bool ok) override {
    std::lock_guard lock(mu_);
    if (finishing()) return;
    if (!ok) {
      onHalfClose();
      return;
    }
    request_.Clear();
    grpc::Status parsed =
        grpc::SerializationTraits<zb::EphemeralStreamRequest>::Deserialize(&read_buffer_, &request_);
    if (!parsed.ok()) {
      rejectLocked(invalid("Malformed request: not an EphemeralStreamRequest"));
      return;
    }
    if (!created_) {
      onCreate();
    } else {
      onIngest();
    }
    if (!finishing()) StartRead(&read_buffer_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) {
      // The client is gone; nothing more can be written.
      outbox_.clear();
      ack_sent_ = ack_ready_;
      finishLocked(grpc::Status::CANCELLED);
    }
    sendNextLocked();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    // Cancelled or connection lost: whatever was not acked did not land (§14.7).
    pending_.clear();
    outbox_.clear();
    ack_sent_ = ack_ready_;
    cancelled_ = true;
    finishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    deps_.registry.remove(serial_);
    deps_.registry.noteEnded(end_code_);
    delete this;
  }

  // --- LiveStream -------------------------------------------------------------------------

  const std::string& table() const override { return table_header_; }

  void abort(const grpc::Status& status) override {
    std::lock_guard lock(mu_);
    if (finishing()) return;
    deps_.faults.countFired("abort");
    finishLocked(status);
  }

  void closeSignal(int64_t duration_ms, bool end, const grpc::Status& end_status) override {
    std::lock_guard lock(mu_);
    if (!created_ || finishing()) return;
    zb::EphemeralStreamResponse signal;
    auto* close = signal.mutable_close_stream_signal();
    if (duration_ms >= 0) {
      close->mutable_duration()->set_seconds(duration_ms / 1000);
      close->mutable_duration()->set_nanos(static_cast<int32_t>((duration_ms % 1000) * 1000000));
    }
    outbox_.push_back(std::move(signal));
    close_signals_++;
    sendNextLocked();
    if (end) {
      auto serial = serial_;
      auto& registry = deps_.registry;
      deps_.scheduler.after(std::chrono::milliseconds(std::max<int64_t>(0, duration_ms)),
                            [serial, &registry, end_status] {
                              registry.with(serial, [&](LiveStream& s) { s.abort(end_status); });
                            });
    }
  }

  void resumeAcks() override {
    std::lock_guard lock(mu_);
    if (!pending_.empty()) ackUpToLocked(pending_.back().offset);
  }

  void recheckToken() override {
    std::lock_guard lock(mu_);
    if (!created_ || finishing()) return;
    if (deps_.tokens.check(token_, table_header_) != TokenCheck::Ok) {
      finishLocked({grpc::StatusCode::UNAUTHENTICATED, "Token is no longer valid"});
    }
  }

  void ackUpTo(int64_t offset) override {
    std::lock_guard lock(mu_);
    ackUpToLocked(offset);
  }

  nlohmann::json info() const override {
    std::lock_guard lock(mu_);
    return {{"stream_id", stream_id_},       {"table", table_header_},
            {"record_type", record_type_},   {"next_offset", next_offset_},
            {"acked_offset", ack_ready_},     {"pending_messages", pending_.size()},
            {"close_signals", close_signals_}};
  }

 private:
  bool finishing() const { return finish_status_.has_value(); }

  // --- creation -------------------------------------------------------------------------------

  void onCreate() {
    if (!request_.has_create_stream()) {
      finishLocked(invalid("The first message of a stream must be create_stream"));
      return;
    }
    const zb::CreateIngestStreamRequest& create = request_.create_stream();
    if (authorization_.empty()) {
      finishLocked({grpc::StatusCode::UNAUTHENTICATED, "Missing authorization header"});
      return;
    }
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization_.compare(0, kBearer.size(), kBearer) != 0) {
      finishLocked({grpc::StatusCode::UNAUTHENTICATED, "Authorization is not a bearer token"});
      return;
    }
    token_ = authorization_.substr(kBearer.size());
    if (table_header_.empty()) {
      finishLocked(invalid("Missing x-databricks-zerobus-table-name header"));
      return;
    }
    const std::string& table_name = create.table_name();
    switch (deps_.tokens.check(token_, table_header_)) {
      case TokenCheck::Unknown:
        finishLocked({grpc::StatusCode::UNAUTHENTICATED, "Invalid token"});
        return;
      case TokenCheck::Expired:
        finishLocked({grpc::StatusCode::UNAUTHENTICATED, "Token expired"});
        return;
      case TokenCheck::NotGranted:
        finishLocked({grpc::StatusCode::PERMISSION_DENIED,
                      fmt::format("Token does not grant MODIFY on table '{}'", table_header_)});
        return;
      case TokenCheck::Ok:
        break;
    }
    if (!create.has_table_name() || table_name != table_header_) {
      finishLocked(invalid(fmt::format(
          "Table name '{}' does not match the x-databricks-zerobus-table-name header '{}'",
          table_name, table_header_)));
      return;
    }
    const FakeTable* table = deps_.config.findTable(table_name);
    if (table == nullptr) {
      finishLocked({grpc::StatusCode::NOT_FOUND,
                    fmt::format("Table '{}' does not exist", table_name)});
      return;
    }
    table_ = table;
    // An absent record_type is read as PROTO; an explicit UNSPECIFIED is refused (§2).
    record_type_ = create.has_record_type() ? create.record_type() : zb::PROTO;
    if (record_type_ == zb::PROTO) {
      if (!create.has_descriptor_proto()) {
        finishLocked(invalid("descriptor_proto is required for PROTO streams"));
        return;
      }
      google::protobuf::DescriptorProto descriptor;
      if (!descriptor.ParseFromString(create.descriptor_proto())) {
        finishLocked(invalid("descriptor_proto is not a serialized DescriptorProto"));
        return;
      }
      DescriptorCheck check = compileProtoDecoder(descriptor, table->schema);
      if (!check.decoder) {
        finishLocked(schemaError(check));
        return;
      }
      decoder_ = std::move(check.decoder);
    } else if (record_type_ == zb::JSON) {
      decoder_ = makeJsonDecoder(table->schema);
    } else {
      finishLocked(invalid("record_type RECORD_TYPE_UNSPECIFIED is not supported"));
      return;
    }
    if (create_fault_ && !answerCreateFault()) return;
    created_ = true;
    stream_id_ = newStreamId();
    zb::EphemeralStreamResponse response;
    response.mutable_create_stream_response()->set_stream_id(stream_id_);
    outbox_.push_back(std::move(response));
    sendNextLocked();
    deps_.registry.noteOpened();
    spdlog::debug("stream {} opened on {} ({})", stream_id_, table_name,
                  zb::RecordType_Name(record_type_));
    scheduleEndOfLife();
  }

  // Applies an armed creation fault after create_stream was read. False when it ended the call.
  bool answerCreateFault() {
    CreateFault fault = *create_fault_;
    create_fault_.reset();
    switch (fault.mode) {
      case CreateFaultMode::Status:
      case CreateFaultMode::TrailersOnly:
        finishLocked({fault.code, fault.message});
        return false;
      case CreateFaultMode::OkEnd:
        finishLocked(grpc::Status::OK);
        return false;
      case CreateFaultMode::NoStreamId: {
        zb::EphemeralStreamResponse response;
        response.mutable_create_stream_response();
        outbox_.push_back(std::move(response));
        finishLocked(grpc::Status::OK);
        return false;
      }
      case CreateFaultMode::WrongPayload: {
        zb::EphemeralStreamResponse response;
        response.mutable_ingest_record_response()->set_durability_ack_up_to_offset(0);
        outbox_.push_back(std::move(response));
        finishLocked(grpc::Status::OK);
        return false;
      }
    }
    return true;
  }

  // The service ends every stream after a bounded lifetime, announced by a close signal.
  void scheduleEndOfLife() {
    int64_t lifetime = deps_.registry.lifetime_ms.load();
    if (lifetime <= 0) return;
    int64_t grace = deps_.registry.close_grace_ms.load();
    grpc::Status end{grpc::StatusCode::UNAVAILABLE,
                     fmt::format("Stream timeout reached. Closing the stream (ID: {}). Error "
                                 "Code: 6002, Error State: 0.",
                                 stream_id_)};
    auto serial = serial_;
    auto& registry = deps_.registry;
    deps_.scheduler.after(std::chrono::milliseconds(lifetime), [serial, &registry, grace, end] {
      registry.with(serial, [&](LiveStream& s) { s.closeSignal(grace, true, end); });
    });
  }

  // --- ingestion ------------------------------------------------------------------------------

  void onIngest() {
    Pending message;
    std::string* single = nullptr;
    bool proto_kind = false;
    int64_t offset = -1;
    bool has_offset = false;
    if (request_.has_ingest_record()) {
      auto* record = request_.mutable_ingest_record();
      has_offset = record->has_offset_id();
      offset = record->offset_id();
      if (record->has_proto_encoded_record()) {
        proto_kind = true;
        single = record->mutable_proto_encoded_record();
      } else if (record->has_json_record()) {
        single = record->mutable_json_record();
      } else {
        rejectLocked(invalid(fmt::format("ingest_record at offset {} carries no record", offset)));
        return;
      }
      message.records.Add()->swap(*single);
    } else if (request_.has_ingest_record_batch()) {
      auto* batch = request_.mutable_ingest_record_batch();
      has_offset = batch->has_offset_id();
      offset = batch->offset_id();
      message.batch = true;
      if (batch->has_proto_encoded_batch()) {
        proto_kind = true;
        message.records.Swap(batch->mutable_proto_encoded_batch()->mutable_records());
      } else if (batch->has_json_batch()) {
        message.records.Swap(batch->mutable_json_batch()->mutable_records());
      } else {
        rejectLocked(invalid(fmt::format("ingest_record_batch at offset {} carries no batch", offset)));
        return;
      }
    } else if (request_.has_create_stream()) {
      rejectLocked(invalid("create_stream sent twice on one stream"));
      return;
    } else {
      rejectLocked(invalid("Empty request: no payload"));
      return;
    }
    if (!has_offset) {
      rejectLocked(invalid("offset_id is required on every ingest message"));
      return;
    }
    if (offset != next_offset_) {
      rejectLocked(invalid(fmt::format("Invalid offset_id {} at stream {}: expected {}", offset,
                                       stream_id_, next_offset_)));
      return;
    }
    if (proto_kind != (record_type_ == zb::PROTO)) {
      rejectLocked(invalid(fmt::format(
          "Record type mismatch at offset {}: the stream is {}, the message carries {} records",
          offset, zb::RecordType_Name(record_type_), proto_kind ? "PROTO" : "JSON")));
      return;
    }
    if (message.records.empty()) {
      rejectLocked(invalid(fmt::format("Empty batch at offset {}", offset)));
      return;
    }
    uint64_t bytes = 0;
    for (int i = 0; i < message.records.size(); ++i) {
      const std::string& record = message.records.Get(i);
      bytes += record.size();
      if (!decoder_->decode(record, nullptr, &error_)) {
        rejectLocked(invalid(fmt::format("Failed to decode record {} of the message at offset {}: {}",
                                         i, offset, error_)));
        return;
      }
    }
    ++next_offset_;
    message.offset = offset;
    uint64_t records = static_cast<uint64_t>(message.records.size());
    deps_.landing.received(table_header_, records, bytes);
    pending_.push_back(std::move(message));

    double quota_wait = 0;
    if (!checkQuota(records, bytes, &quota_wait)) return;
    if (deps_.faults.takeDropAfterCommit()) {
      // Commit, then lose the ack: the client will replay what already landed.
      landUpToLocked(offset);
      ack_sent_ = ack_ready_;
      finishLocked({grpc::StatusCode::UNAVAILABLE, "Injected failure after commit"});
      return;
    }
    scheduleAck(offset, quota_wait);
  }

  // Per-stream and per-table quotas. False when the stream was ended for exceeding them.
  bool checkQuota(uint64_t records, uint64_t bytes, double* wait) {
    const Quota& quota = table_->quota;
    double cost = 0;
    if (quota.records_per_s > 0) cost = static_cast<double>(records) / quota.records_per_s;
    if (quota.bytes_per_s > 0) cost = std::max(cost, static_cast<double>(bytes) / quota.bytes_per_s);
    double now = steadySeconds();
    if (cost > 0) {
      quota_clock_ = std::max(quota_clock_, now) + cost;
      *wait = std::max(0.0, quota_clock_ - now - 1.0);  // one second of burst is free
    }
    *wait = std::max(*wait, deps_.landing.reserveTableBytes(table_header_, quota.table_bytes_per_s,
                                                            bytes));
    if (*wait > 0 && quota.reject) {
      deps_.faults.countFired("quota");
      finishLocked({grpc::StatusCode::RESOURCE_EXHAUSTED,
                    fmt::format("Quota exceeded for stream {} on table {}", stream_id_,
                                table_header_)});
      return false;
    }
    if (*wait > 0) deps_.faults.countFired("quota_delay");
    return true;
  }

  void scheduleAck(int64_t offset, double quota_wait) {
    AckPolicy policy = deps_.faults.ackPolicy();
    if (policy.stopped) return;
    if (policy.stop_after >= 0 && offset >= policy.stop_after) return;
    auto delay = std::chrono::milliseconds(policy.delay_ms) +
                 std::chrono::milliseconds(static_cast<int64_t>(quota_wait * 1000));
    bool coalesce = policy.every > 1 && (offset + 1) % policy.every != 0;
    if (coalesce) delay = std::max(delay, std::chrono::milliseconds(100));  // ack the tail too
    if (delay.count() == 0) {
      ackUpToLocked(offset);
      return;
    }
    auto serial = serial_;
    auto& registry = deps_.registry;
    deps_.scheduler.after(delay, [serial, &registry, offset] {
      registry.with(serial, [offset](LiveStream& s) { s.ackUpTo(offset); });
    });
  }

  // Lands every pending message up to `offset`; their ack is then due.
  void landUpToLocked(int64_t offset) {
    while (!pending_.empty() && pending_.front().offset <= offset) {
      Pending& p = pending_.front();
      deps_.landing.land(table_header_, stream_id_, p.offset, p.records, p.batch, *decoder_);
      ack_ready_ = p.offset;
      pending_.pop_front();
    }
  }

  // Lands every pending message up to `offset` and queues one cumulative ack for them.
  void ackUpToLocked(int64_t offset) {
    if (finishing() || offset <= ack_ready_) return;
    landUpToLocked(offset);
    sendNextLocked();
  }

  void onHalfClose() {
    // A client half-close after its last message: everything received lands and is acked,
    // then the call ends cleanly (§14.7).
    if (created_ && !pending_.empty() && !deps_.faults.ackPolicy().stopped) {
      ackUpToLocked(pending_.back().offset);
    }
    finishLocked(grpc::Status::OK);
  }

  // A bad message: optionally ack what came before it, then fail the stream.
  void rejectLocked(const grpc::Status& status) {
    if (!table_header_.empty()) deps_.landing.rejected(table_header_);
    spdlog::debug("stream {} on {} rejected a message: {}", stream_id_, table_header_,
                  status.error_message());
    if (deps_.config.ack_before_failure && !pending_.empty() &&
        !deps_.faults.ackPolicy().stopped) {
      ackUpToLocked(pending_.back().offset);
    }
    finishLocked(status);
  }

  // --- writes and the end ---------------------------------------------------------------------

  void finishLocked(const grpc::Status& status) {
    if (finishing()) return;
    finish_status_ = status;
    end_code_ = status.error_code();
    sendNextLocked();
  }

  void startWriteLocked() {
    bool own_buffer = false;
    write_buffer_.Clear();
    grpc::SerializationTraits<zb::EphemeralStreamResponse>::Serialize(response_, &write_buffer_,
                                                                      &own_buffer);
    writing_ = true;
    StartWrite(&write_buffer_);
  }

  void sendNextLocked() {
    if (writing_ || finished_) return;
    if (!cancelled_ && !outbox_.empty()) {
      response_ = std::move(outbox_.front());
      outbox_.pop_front();
      startWriteLocked();
      return;
    }
    if (!cancelled_ && ack_ready_ > ack_sent_) {
      response_.Clear();
      response_.mutable_ingest_record_response()->set_durability_ack_up_to_offset(ack_ready_);
      ack_sent_ = ack_ready_;
      startWriteLocked();
      return;
    }
    if (finish_status_) {
      finished_ = true;
      // Unacked messages of a failed stream never land.
      pending_.clear();
      Finish(*finish_status_);
    }
  }

  StreamDeps deps_;
  uint64_t serial_ = 0;
  std::string authorization_;
  std::string table_header_;

  mutable std::mutex mu_;
  grpc::ByteBuffer read_buffer_;
  grpc::ByteBuffer write_buffer_;
  zb::EphemeralStreamRequest request_;
  zb::EphemeralStreamResponse response_;
  std::optional<CreateFault> create_fault_;
  bool created_ = false;
  std::string token_;
  std::string stream_id_;
  const FakeTable* table_ = nullptr;
  zb::RecordType record_type_ = zb::RECORD_TYPE_UNSPECIFIED;
  std::unique_ptr<RowDecoder> decoder_;
  std::string error_;
  int64_t next_offset_ = 0;
  std::deque<Pending> pending_;
  int64_t ack_ready_ = -1;  // highest offset landed, ack queued or sent
  int64_t ack_sent_ = -1;
  double quota_clock_ = 0;
  int close_signals_ = 0;
  std::deque<zb::EphemeralStreamResponse> outbox_;
  bool writing_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
  std::optional<grpc::Status> finish_status_;
  grpc::StatusCode end_code_ = grpc::StatusCode::OK;
};

}  // namespace

Reactor* IngestService::EphemeralStream(grpc::CallbackServerContext* context) {
  return new IngestStream(deps_, context);
}

}  // namespace zerobusd::fake
