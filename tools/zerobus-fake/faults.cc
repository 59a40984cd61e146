#include "tools/zerobus-fake/faults.h"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace zerobusd::fake {

namespace {
constexpr std::array<const char*, 17> kCodeNames = {
    "OK",      "CANCELLED",          "UNKNOWN",           "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS",   "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",     "UNIMPLEMENTED",    "INTERNAL",
    "UNAVAILABLE", "DATA_LOSS",      "UNAUTHENTICATED"};
}  // namespace

void Faults::setCreateFault(CreateFault fault) {
  std::lock_guard lock(mu_);
  create_ = std::move(fault);
}

std::optional<CreateFault> Faults::takeCreateFault(const std::string& table) {
  std::lock_guard lock(mu_);
  if (create_.count == 0) return std::nullopt;
  if (!create_.table.empty() && create_.table != table) return std::nullopt;
  if (create_.count > 0) --create_.count;
  ++fired_["create"];
  return create_;
}

void Faults::setAckPolicy(const AckPolicy& policy) {
  std::lock_guard lock(mu_);
  acks_ = policy;
  if (acks_.every < 1) acks_.every = 1;
}

AckPolicy Faults::ackPolicy() const {
  std::lock_guard lock(mu_);
  return acks_;
}

void Faults::setDropAfterCommit(int count) {
  std::lock_guard lock(mu_);
  drop_after_commit_ = count;
}

bool Faults::takeDropAfterCommit() {
  std::lock_guard lock(mu_);
  if (drop_after_commit_ <= 0) return false;
  --drop_after_commit_;
  ++fired_["drop_after_commit"];
  return true;
}

void Faults::countFired(const std::string& kind) {
  std::lock_guard lock(mu_);
  ++fired_[kind];
}

nlohmann::json Faults::firedJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [kind, n] : fired_) out[kind] = n;
  return out;
}

void Faults::reset() {
  std::lock_guard lock(mu_);
  create_ = {};
  acks_ = {};
  drop_after_commit_ = 0;
  fired_.clear();
}

std::optional<grpc::StatusCode> parseStatusCode(const std::string& text) {
  int number = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (number >= 0 && number < static_cast<int>(kCodeNames.size())) {
      return static_cast<grpc::StatusCode>(number);
    }
    return std::nullopt;
  }
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < kCodeNames.size(); ++i) {
    if (upper == kCodeNames[i]) return static_cast<grpc::StatusCode>(i);
  }
  return std::nullopt;
}

std::string statusCodeName(grpc::StatusCode code) {
  auto index = static_cast<size_t>(code);
  return index < kCodeNames.size() ? kCodeNames[index] : std::to_string(index);
}

}  // namespace zerobusd::fake
