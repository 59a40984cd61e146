#include "client/src/ack_state.h"

#include <algorithm>

namespace zerobusd::details {
namespace {

bool sameError(const Error& a, const Error& b) {
  return a.code == b.code && a.retriable == b.retriable && a.message == b.message;
}

// Sorts failures by index and merges adjacent ranges with the same error: REJECTs may arrive
// in any order (validation failures first, upstream failures later).
void normalizeFailures(std::vector<RecordFailure>& failures) {
  std::sort(failures.begin(), failures.end(),
            [](const RecordFailure& a, const RecordFailure& b) {
              return a.first_index < b.first_index;
            });
  std::vector<RecordFailure> merged;
  for (auto& failure : failures) {
    if (!merged.empty() &&
        merged.back().first_index + merged.back().count == failure.first_index &&
        sameError(merged.back().error, failure.error)) {
      merged.back().count += failure.count;
    } else {
      merged.push_back(std::move(failure));
    }
  }
  failures = std::move(merged);
}

}  // namespace

void runCompletions(Completions& completions) {
  for (auto& completion : completions) {
    // The outcome no longer changes once done, so reading it without the lock is safe.
    for (auto& callback : completion.callbacks) callback(completion.state->outcome);
  }
  completions.clear();
}

void updateAckState(const std::shared_ptr<AckState>& state, size_t accepted_delta,
                    size_t finished_delta, const Error* failure, size_t index, size_t count,
                    Completions& completions) {
  std::unique_lock lock(state->mu);
  if (state->done) return;
  const bool was_accepted = state->accepted == state->records;
  state->accepted = std::min(state->records, state->accepted + accepted_delta);
  state->finished = std::min(state->records, state->finished + finished_delta);
  if (failure != nullptr && count > 0) {
    state->outcome.failures.push_back({index, count, *failure});
    state->outcome.failed = std::min(state->records, state->outcome.failed + count);
  }
  const bool now_done = state->finished == state->records;
  if (now_done) {
    state->done = true;
    normalizeFailures(state->outcome.failures);
    completions.push_back({state, std::move(state->callbacks)});
    state->callbacks.clear();
  }
  if (now_done || (!was_accepted && state->accepted == state->records)) {
    state->cv.notify_all();
  }
}

void AckUpdater::progress(const std::shared_ptr<AckState>& state, bool newly_accepted,
                          bool now_final) {
  if (state != state_ || fail_error_ != nullptr) {
    flush();
    state_ = state;
  }
  accepted_ += newly_accepted ? 1 : 0;
  finished_ += now_final ? 1 : 0;
}

void AckUpdater::fail(const std::shared_ptr<AckState>& state, size_t index, bool newly_accepted,
                      const Error& error) {
  // Extend the current failure range when this record continues it with the same error.
  const bool continues = state == state_ && fail_error_ != nullptr &&
                         fail_index_ + fail_count_ == index && sameError(fail_copy_, error);
  if (!continues) {
    flush();
    state_ = state;
    fail_copy_ = error;
    fail_error_ = &fail_copy_;
    fail_index_ = index;
    fail_count_ = 0;
  }
  ++fail_count_;
  accepted_ += newly_accepted ? 1 : 0;
  ++finished_;
}

void AckUpdater::flush() {
  if (state_ != nullptr && (accepted_ > 0 || finished_ > 0 || fail_count_ > 0)) {
    updateAckState(state_, accepted_, finished_, fail_error_, fail_index_, fail_count_,
                   completions_);
  }
  state_.reset();
  accepted_ = finished_ = 0;
  fail_error_ = nullptr;
  fail_count_ = 0;
}

AckHandle failedHandle(size_t records, bool durable, Error error) {
  auto state = std::make_shared<AckState>(records, durable);
  Completions completions;  // no callbacks can be registered yet
  if (records > 0) {
    updateAckState(state, records, records, &error, 0, records, completions);
  } else {
    state->done = true;
  }
  return Access::handle(std::move(state));
}

}  // namespace zerobusd::details
