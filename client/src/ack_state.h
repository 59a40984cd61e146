#pragma once
// Per-ingest-call outcome tracking behind AckHandle: counts of accepted and final records, the
// failures, waiters and onDone callbacks. The client's I/O thread (and ingest calls that fail
// at once) update it; any thread may wait on it.
//
// Thread affinity: thread-safe (own mutex). Lock order: the client's lock, then a state's.
// Callbacks never run under either lock: updates hand them back in a Completion list that the
// updater runs once it has released the client's lock.
// Error contract: none; precondition violations (more updates than records) are bugs and are
// clamped, not trusted.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "zerobusd/client.h"

namespace zerobusd::details {

struct AckState {
  AckState(size_t record_count, bool durable_level) : records(record_count), durable(durable_level) {
    outcome.records = record_count;
  }

  const size_t records;
  const bool durable;  // whether "final" means durable (false: accepted-only client)

  std::mutex mu;
  std::condition_variable cv;
  size_t accepted = 0;  // records accepted, durable or failed
  size_t finished = 0;  // records with their final outcome
  bool done = false;
  Outcome outcome;
  std::vector<std::function<void(const Outcome&)>> callbacks;
};

// Callbacks of states that just completed, to run after every lock is released.
struct Completion {
  std::shared_ptr<AckState> state;
  std::vector<std::function<void(const Outcome&)>> callbacks;
};
using Completions = std::vector<Completion>;
void runCompletions(Completions& completions);

// Applies `accepted_delta` / `finished_delta` and, if `failure` is set, records that records
// [index, index + count) failed with it (they count as finished and accepted by then, and are
// included in the deltas by the caller). Appends a Completion when the state becomes done.
void updateAckState(const std::shared_ptr<AckState>& state, size_t accepted_delta,
                    size_t finished_delta, const Error* failure, size_t index, size_t count,
                    Completions& completions);

// Gathers per-record updates of one pass (an ACK frame, a REJECT, a lost connection) and
// applies them run by run, so a batch of N records sharing one state costs one lock, not N.
class AckUpdater {
 public:
  explicit AckUpdater(Completions& completions) : completions_(completions) {}
  ~AckUpdater() { flush(); }
  AckUpdater(const AckUpdater&) = delete;
  AckUpdater& operator=(const AckUpdater&) = delete;

  void progress(const std::shared_ptr<AckState>& state, bool newly_accepted, bool now_final);
  void fail(const std::shared_ptr<AckState>& state, size_t index, bool newly_accepted,
            const Error& error);
  void flush();

 private:
  Completions& completions_;
  std::shared_ptr<AckState> state_;
  size_t accepted_ = 0;
  size_t finished_ = 0;
  // A pending failure range [fail_index_, fail_index_ + fail_count_) of state_.
  const Error* fail_error_ = nullptr;
  Error fail_copy_;
  size_t fail_index_ = 0;
  size_t fail_count_ = 0;
};

// Builds the public handle types around their states.
struct Access {
  static AckHandle handle(std::shared_ptr<AckState> state) { return AckHandle(std::move(state)); }
  static Table table(std::shared_ptr<TableState> state) { return Table(std::move(state)); }
  static const std::shared_ptr<TableState>& state(const Table& table) { return table.state_; }
};

// A handle that is done at once: every record failed with `error` (nothing was queued), or,
// for zero records, an empty success.
AckHandle failedHandle(size_t records, bool durable, Error error);

}  // namespace zerobusd::details
