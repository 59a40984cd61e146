// The public facade: Client, Table and AckHandle forward to ClientCore / AckState.

#include "common/frame/frame.h"
#include "zerobusd/client.h"

#include "client/src/ack_state.h"
#include "client/src/client_core.h"

namespace zerobusd {
namespace {

Error invalid(const char* what) {
  return Error{ErrorCode::kInvalidArgument, false, std::string(what) + " on an invalid object"};
}

// The first failure by index (failures are only sorted once the state is done).
Error firstFailure(const Outcome& outcome) {
  const RecordFailure* first = nullptr;
  for (const auto& failure : outcome.failures) {
    if (first == nullptr || failure.first_index < first->first_index) first = &failure;
  }
  return first != nullptr ? first->error : Error{};
}

}  // namespace

const char* errorCodeName(ErrorCode code) {
  // The protocol's codes are named by the codec (static_asserts keep the two enums equal);
  // only the client-side codes are named here.
  switch (code) {
    case ErrorCode::kConnectionLost: return "CONNECTION_LOST";
    case ErrorCode::kNotConnected: return "NOT_CONNECTED";
    case ErrorCode::kWaitTimeout: return "WAIT_TIMEOUT";
    case ErrorCode::kClosed: return "CLOSED";
    case ErrorCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case ErrorCode::kWouldBlock: return "WOULD_BLOCK";
    case ErrorCode::kProtocolError: return "PROTOCOL_ERROR";
    default:
      return frame::errorName(static_cast<frame::ErrorCode>(code));
  }
}

std::string Error::toString() const {
  std::string text = errorCodeName(code);
  if (code != ErrorCode::kOk && std::string_view(text) == "UNKNOWN_ERROR_CODE") {
    text += "(" + std::to_string(static_cast<unsigned>(code)) + ")";
  }
  text += retriable ? " (retriable)" : " (not retriable)";
  if (!message.empty()) text += ": " + message;
  return text;
}

// ---------------------------------------------------------------- AckHandle

size_t AckHandle::size() const { return state_ != nullptr ? state_->records : 0; }

namespace {

Status waitOn(details::AckState& state, std::chrono::milliseconds timeout, bool for_final) {
  std::unique_lock lock(state.mu);
  auto reached = [&state, for_final] {
    return for_final ? state.finished == state.records : state.accepted == state.records;
  };
  // From an onDone callback the outcome can only arrive on the thread that would be waiting.
  if (!reached() && details::onAnyIoThread()) {
    return Error{ErrorCode::kInvalidArgument, false,
                 "cannot wait inside an onDone callback (the client's I/O thread delivers the outcome)"};
  }
  const bool ready = state.cv.wait_for(lock, timeout, reached);
  if (!ready) {
    return Error{ErrorCode::kWaitTimeout, true,
                 for_final ? "timed out waiting for the final outcome"
                           : "timed out waiting for the accepted ack"};
  }
  if (state.outcome.failed > 0) return firstFailure(state.outcome);
  return {};
}

}  // namespace

Status AckHandle::waitAccepted(std::chrono::milliseconds timeout) const {
  if (state_ == nullptr) return invalid("waitAccepted");
  return waitOn(*state_, timeout, /*for_final=*/false);
}

Status AckHandle::waitDurable(std::chrono::milliseconds timeout) const {
  if (state_ == nullptr) return invalid("waitDurable");
  if (!state_->durable) {
    return Error{ErrorCode::kInvalidArgument, false,
                 "this client does not receive durable acks (AckLevels::kAccepted); use wait()"};
  }
  return waitOn(*state_, timeout, /*for_final=*/true);
}

Status AckHandle::wait(std::chrono::milliseconds timeout) const {
  if (state_ == nullptr) return invalid("wait");
  return waitOn(*state_, timeout, /*for_final=*/true);
}

bool AckHandle::isAccepted() const {
  if (state_ == nullptr) return false;
  std::lock_guard lock(state_->mu);
  return state_->accepted == state_->records;
}

bool AckHandle::isDone() const {
  if (state_ == nullptr) return false;
  std::lock_guard lock(state_->mu);
  return state_->done;
}

Outcome AckHandle::outcome() const {
  if (state_ == nullptr) return {};
  std::lock_guard lock(state_->mu);
  return state_->outcome;
}

void AckHandle::onDone(std::function<void(const Outcome&)> callback) const {
  if (state_ == nullptr || !callback) return;
  {
    std::lock_guard lock(state_->mu);
    if (!state_->done) {
      state_->callbacks.push_back(std::move(callback));
      return;
    }
  }
  callback(state_->outcome);  // final: immutable once done
}

// ---------------------------------------------------------------- Table

const std::string& Table::name() const {
  static const std::string kNone;
  return state_ != nullptr ? state_->name : kNone;
}

RecordType Table::recordType() const {
  return state_ != nullptr ? state_->record_type : RecordType::kJson;
}

AckHandle Table::ingest(std::string_view record) {
  if (state_ == nullptr) return details::failedHandle(1, true, invalid("ingest"));
  return state_->core->ingest(*state_, std::span<const std::string_view>(&record, 1), true);
}

AckHandle Table::ingestJson(std::string_view json) {
  if (state_ == nullptr) return details::failedHandle(1, true, invalid("ingestJson"));
  if (state_->record_type != RecordType::kJson) {
    return details::failedHandle(
        1, state_->core->finalIsDurable(),
        Error{ErrorCode::kRecordTypeMismatch, false, "ingestJson on a PROTO table"});
  }
  return ingest(json);
}

AckHandle Table::ingestMany(std::span<const std::string_view> records) {
  if (state_ == nullptr) return details::failedHandle(records.size(), true, invalid("ingestMany"));
  return state_->core->ingest(*state_, records, true);
}

AckHandle Table::ingestMany(std::span<const std::string> records) {
  std::vector<std::string_view> views(records.begin(), records.end());
  return ingestMany(std::span<const std::string_view>(views));
}

AckHandle Table::tryIngest(std::string_view record) {
  if (state_ == nullptr) return details::failedHandle(1, true, invalid("tryIngest"));
  return state_->core->ingest(*state_, std::span<const std::string_view>(&record, 1), false);
}

AckHandle Table::tryIngestMany(std::span<const std::string_view> records) {
  if (state_ == nullptr) {
    return details::failedHandle(records.size(), true, invalid("tryIngestMany"));
  }
  return state_->core->ingest(*state_, records, false);
}

Status Table::flush(std::chrono::milliseconds timeout) {
  if (state_ == nullptr) return invalid("flush");
  return state_->core->flush(state_.get(), timeout);
}

Status Table::close(std::chrono::milliseconds timeout) {
  if (state_ == nullptr) return invalid("close");
  return state_->core->closeTable(*state_, timeout);
}

// ---------------------------------------------------------------- Client

Result<Client> Client::connect(ClientOptions options) {
  Result<std::shared_ptr<details::ClientCore>> core =
      details::ClientCore::create(std::move(options));
  if (!core.ok()) return core.error();
  if (Status connected = core.value()->connectFirst(); !connected.ok()) {
    return connected.error();
  }
  return Client(std::move(core.value()));
}

Client::Client(std::shared_ptr<details::ClientCore> core) : core_(std::move(core)) {}

Client::Client(Client&& other) noexcept = default;

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (core_ != nullptr) (void)core_->close(core_->options().close_timeout);
    core_ = std::move(other.core_);
  }
  return *this;
}

Client::~Client() {
  if (core_ != nullptr) (void)core_->close(core_->options().close_timeout);
}

Result<Table> Client::openTable(std::string_view table, RecordType type) {
  if (core_ == nullptr) return invalid("openTable");
  return core_->openTable(table, type);
}

Status Client::flush(std::chrono::milliseconds timeout) {
  if (core_ == nullptr) return invalid("flush");
  return core_->flush(nullptr, timeout);
}

Result<std::chrono::nanoseconds> Client::ping(std::chrono::milliseconds timeout) {
  if (core_ == nullptr) return invalid("ping");
  return core_->ping(timeout);
}

Result<std::string> Client::status(std::chrono::milliseconds timeout) {
  if (core_ == nullptr) return invalid("status");
  return core_->status(timeout);
}

Status Client::close(std::chrono::milliseconds timeout) {
  if (core_ == nullptr) return {};
  return core_->close(timeout);
}

Status Client::close() {
  if (core_ == nullptr) return {};
  return core_->close(core_->options().close_timeout);
}

bool Client::isConnected() const { return core_ != nullptr && core_->isConnected(); }

ConnectionInfo Client::connectionInfo() const {
  return core_ != nullptr ? core_->connectionInfo() : ConnectionInfo{};
}

}  // namespace zerobusd
