#include "tools/zerobus-fake/stream_registry.h"

#include <utility>

#include "tools/zerobus-fake/faults.h"

namespace zerobusd::fake {

namespace {
constexpr size_t kRecentCalls = 256;
}

uint64_t StreamRegistry::add(LiveStream* stream) {
  std::lock_guard lock(mu_);
  uint64_t serial = next_serial_++;
  live_[serial] = stream;
  return serial;
}

void StreamRegistry::remove(uint64_t serial) {
  std::lock_guard lock(mu_);
  live_.erase(serial);
}

bool StreamRegistry::with(uint64_t serial, const std::function<void(LiveStream&)>& fn) {
  std::lock_guard lock(mu_);
  auto it = live_.find(serial);
  if (it == live_.end()) return false;
  fn(*it->second);
  return true;
}

int StreamRegistry::forEach(const std::string& table, const std::function<void(LiveStream&)>& fn) {
  std::lock_guard lock(mu_);
  int count = 0;
  for (auto& [serial, stream] : live_) {
    if (!table.empty() && stream->table() != table) continue;
    fn(*stream);
    ++count;
  }
  return count;
}

void StreamRegistry::noteCall(nlohmann::json call) {
  std::lock_guard lock(stats_mu_);
  ++calls_;
  recent_calls_.push_back(std::move(call));
  if (recent_calls_.size() > kRecentCalls) recent_calls_.pop_front();
}

void StreamRegistry::noteOpened() {
  std::lock_guard lock(stats_mu_);
  ++opened_;
}

void StreamRegistry::noteEnded(grpc::StatusCode code) {
  std::lock_guard lock(stats_mu_);
  ++ended_[statusCodeName(code)];
}

nlohmann::json StreamRegistry::countersJson() const {
  size_t active = 0;
  {
    std::lock_guard lock(mu_);
    active = live_.size();
  }
  std::lock_guard lock(stats_mu_);
  nlohmann::json ended = nlohmann::json::object();
  for (const auto& [code, n] : ended_) ended[code] = n;
  return {{"calls", calls_}, {"opened", opened_}, {"active_calls", active}, {"ended", ended}};
}

nlohmann::json StreamRegistry::callsJson() const {
  std::lock_guard lock(stats_mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& call : recent_calls_) out.push_back(call);
  return out;
}

nlohmann::json StreamRegistry::liveJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [serial, stream] : live_) out.push_back(stream->info());
  return out;
}

void StreamRegistry::resetCounters() {
  std::lock_guard lock(stats_mu_);
  calls_ = 0;
  opened_ = 0;
  ended_.clear();
  recent_calls_.clear();
}

}  // namespace zerobusd::fake
