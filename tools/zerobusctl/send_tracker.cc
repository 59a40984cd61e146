#include "tools/zerobusctl/send_tracker.h"

#include <utility>

#include <fmt/format.h>

namespace zerobusd::ctl {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kProgressInterval = std::chrono::milliseconds(500);

// Errors after which the connection takes no more records.
bool endsConnection(ErrorCode code) {
  return code == ErrorCode::kConnectionLost || code == ErrorCode::kNotConnected ||
         code == ErrorCode::kClosed || code == ErrorCode::kShuttingDown ||
         code == ErrorCode::kWouldBlock || code == ErrorCode::kProtocolError;
}

}  // namespace

SendTracker::SendTracker(Console& console, std::string unit, std::string table, std::string level)
    : console_(console),
      unit_(std::move(unit)),
      table_(std::move(table)),
      level_(std::move(level)) {}

SendTracker::~SendTracker() { stopReporter(); }

void SendTracker::setUnit(std::string unit) {
  std::lock_guard lock(mu_);
  unit_ = std::move(unit);
}

void SendTracker::startReporter() {
  reporter_ = std::thread([this] { reporterLoop(); });
}

void SendTracker::stopReporter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (reporter_.joinable()) reporter_.join();
}

void SendTracker::readRecord() {
  std::lock_guard lock(mu_);
  ++counts_.read;
}

void SendTracker::blankLine() {
  std::lock_guard lock(mu_);
  ++counts_.blank;
}

void SendTracker::submitted(uint64_t records) {
  std::lock_guard lock(mu_);
  counts_.submitted += records;
}

void SendTracker::localFailure(uint64_t number, const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    ++counts_.failed;
    noteLocked(number, number, reason);
  }
  changed_.notify_all();
}

void SendTracker::notice(const std::string& text) {
  {
    std::lock_guard lock(mu_);
    noteLocked(0, 0, text);
  }
  changed_.notify_all();
}

void SendTracker::completed(const std::vector<uint64_t>& numbers, const Outcome& outcome) {
  {
    std::lock_guard lock(mu_);
    counts_.succeeded += outcome.records - outcome.failed;
    counts_.failed += outcome.failed;
    remote_final_ += outcome.records;
    for (const RecordFailure& failure : outcome.failures) {
      if (endsConnection(failure.error.code) && !stop_reason_) stop_reason_ = failure.error;
      const std::string reason = failure.error.toString();
      // Consecutive numbers become one note ("lines 4-9: ...").
      std::optional<Note> run;
      for (size_t i = failure.first_index; i < failure.first_index + failure.count; ++i) {
        const uint64_t number = i < numbers.size() ? numbers[i] : 0;
        if (run && number == run->last + 1) {
          run->last = number;
          continue;
        }
        if (run) noteLocked(run->first, run->last, reason);
        run = Note{number, number, {}};
      }
      if (run) noteLocked(run->first, run->last, reason);
    }
  }
  changed_.notify_all();
}

void SendTracker::noteLocked(uint64_t first, uint64_t last, std::string reason) {
  if (notes_.size() >= kMaxQueuedNotes) {
    ++notes_dropped_;
    return;
  }
  notes_.push_back(Note{first, last, std::move(reason)});
}

bool SendTracker::waitAllDone(std::chrono::milliseconds idle_limit) {
  std::unique_lock lock(mu_);
  while (counts_.submitted > remote_final_) {
    const uint64_t before = remote_final_;
    if (!changed_.wait_for(lock, idle_limit, [&] { return remote_final_ != before; })) {
      return false;
    }
  }
  return true;
}

std::optional<Error> SendTracker::stopReason() const {
  std::lock_guard lock(mu_);
  return stop_reason_;
}

SendCounts SendTracker::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

uint64_t SendTracker::outstanding() const {
  std::lock_guard lock(mu_);
  return counts_.submitted - remote_final_;
}

std::string SendTracker::describe(const Note& note) const {
  if (note.first == 0) return note.reason;
  if (note.first == note.last) return fmt::format("{} {}: {}", unit_, note.first, note.reason);
  return fmt::format("{}s {}-{}: {}", unit_, note.first, note.last, note.reason);
}

std::string SendTracker::progressLine(double rate) const {
  return fmt::format("{}: {} read, {} {}, {} failed, {:.0f} records/s", table_, counts_.read,
                     counts_.succeeded, level_, counts_.failed, rate);
}

void SendTracker::reporterLoop() {
  auto last_tick = Clock::now();
  uint64_t last_succeeded = 0;
  double rate = 0;
  std::unique_lock lock(mu_);
  while (true) {
    changed_.wait_for(lock, kProgressInterval, [this] { return stopping_ || !notes_.empty(); });
    std::deque<Note> notes;
    notes.swap(notes_);
    const uint64_t dropped = std::exchange(notes_dropped_, 0);
    const bool stopping = stopping_;
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - last_tick).count();
    if (seconds >= 0.25) {
      rate = static_cast<double>(counts_.succeeded - last_succeeded) / seconds;
      last_succeeded = counts_.succeeded;
      last_tick = now;
    }
    const std::string progress = progressLine(rate);
    lock.unlock();
    // Printing happens without the lock: a slow stderr never holds up the I/O thread.
    for (const Note& note : notes) console_.error(describe(note));
    if (dropped > 0) {
      console_.error(
          fmt::format("... {} more failure report(s) not shown (stderr was too slow)", dropped));
    }
    if (!stopping) console_.progress(progress);
    lock.lock();
    if (stopping && notes_.empty()) break;
  }
  lock.unlock();
  console_.clearProgress();
}

}  // namespace zerobusd::ctl
