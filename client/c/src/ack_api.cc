// zbd_ack_*: waits, outcome and failures, on-done callbacks.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "client/c/src/handles.h"

namespace zerobusd::capi {
namespace {

// The ack's outcome as shared, immutable data: the borrowed one in a callback view, the cached
// final one once done, else a fresh snapshot.
std::shared_ptr<const Outcome> outcomeOf(const zbd_ack& ack) {
  if (ack.borrowed != nullptr) {
    return std::shared_ptr<const Outcome>(std::shared_ptr<const Outcome>(), ack.borrowed);
  }
  std::lock_guard lock(ack.mu);
  if (ack.final_outcome != nullptr) return ack.final_outcome;
  // isDone() before outcome(): an outcome read after the ack is done is the final one.
  const bool done = ack.handle.isDone();
  auto snapshot = std::make_shared<const Outcome>(ack.handle.outcome());
  if (done) ack.final_outcome = snapshot;
  return snapshot;
}

using WaitFn = Status (AckHandle::*)(std::chrono::milliseconds) const;

int wait(const zbd_ack* ack, uint32_t timeout_ms, zbd_error* err, WaitFn fn, const char* what) {
  return blocking(err, what, "ack", ack, [&] {
    // Only callback views lack a handle, and blocking() refuses calls made inside a callback.
    return report(err, (ack->handle.*fn)(std::chrono::milliseconds(timeout_ms)));
  });
}

void runCallback(zbd_done_fn fn, void* user_data, const Outcome& outcome) noexcept {
  const zbd_ack view(&outcome);
  const CallbackScope scope;
  try {
    fn(&view, user_data);
  } catch (...) {
    // A C callback cannot throw; one written in C++ must not take the I/O thread down.
  }
}

}  // namespace
}  // namespace zerobusd::capi

using zerobusd::capi::guarded;
using zerobusd::capi::guardedFlag;
using zerobusd::capi::invalidArgument;
using zerobusd::capi::succeed;

extern "C" {

size_t zbd_ack_size(const zbd_ack* ack) {
  if (ack == nullptr) return 0;
  return ack->borrowed != nullptr ? ack->borrowed->records : ack->handle.size();
}

int zbd_ack_wait_durable(const zbd_ack* ack, uint32_t timeout_ms, zbd_error* err) {
  return zerobusd::capi::wait(ack, timeout_ms, err, &zerobusd::AckHandle::waitDurable,
                              "zbd_ack_wait_durable");
}

int zbd_ack_wait_accepted(const zbd_ack* ack, uint32_t timeout_ms, zbd_error* err) {
  return zerobusd::capi::wait(ack, timeout_ms, err, &zerobusd::AckHandle::waitAccepted,
                              "zbd_ack_wait_accepted");
}

int zbd_ack_wait(const zbd_ack* ack, uint32_t timeout_ms, zbd_error* err) {
  return zerobusd::capi::wait(ack, timeout_ms, err, &zerobusd::AckHandle::wait, "zbd_ack_wait");
}

// A callback's view is done (and was accepted) by construction.
int zbd_ack_is_done(const zbd_ack* ack) {
  return guardedFlag(
      [&] { return ack != nullptr && (ack->borrowed != nullptr || ack->handle.isDone()); });
}

int zbd_ack_is_accepted(const zbd_ack* ack) {
  return guardedFlag(
      [&] { return ack != nullptr && (ack->borrowed != nullptr || ack->handle.isAccepted()); });
}

int zbd_ack_outcome(const zbd_ack* ack, zbd_outcome* out, zbd_error* err) {
  return guarded(err, [&] {
    if (out != nullptr) *out = zbd_outcome{};
    if (ack == nullptr || out == nullptr) {
      return invalidArgument(err, "zbd_ack_outcome: ack and out must not be NULL");
    }
    const auto outcome = zerobusd::capi::outcomeOf(*ack);
    out->records = outcome->records;
    out->failed = outcome->failed;
    out->failure_count = outcome->failures.size();
    return succeed(err);
  });
}

int zbd_ack_failure(const zbd_ack* ack, size_t i, zbd_failure* out, zbd_error* err) {
  return guarded(err, [&] {
    if (out != nullptr) *out = zbd_failure{};
    if (ack == nullptr || out == nullptr) {
      return invalidArgument(err, "zbd_ack_failure: ack and out must not be NULL");
    }
    const auto outcome = zerobusd::capi::outcomeOf(*ack);
    if (i >= outcome->failures.size()) {
      return invalidArgument(err, "zbd_ack_failure: index " + std::to_string(i) +
                                      " is not below failure_count " +
                                      std::to_string(outcome->failures.size()));
    }
    const zerobusd::RecordFailure& failure = outcome->failures[i];
    out->first_index = failure.first_index;
    out->count = failure.count;
    zerobusd::capi::toCError(failure.error, out->error);
    return succeed(err);
  });
}

int zbd_ack_on_done(const zbd_ack* ack, zbd_done_fn fn, void* user_data, zbd_error* err) {
  return guarded(err, [&] {
    if (ack == nullptr || fn == nullptr) {
      return invalidArgument(err, "zbd_ack_on_done: ack and fn must not be NULL");
    }
    if (ack->borrowed != nullptr) {
      // A callback view is done already: run at once, as the C++ client does for done handles.
      zerobusd::capi::runCallback(fn, user_data, *ack->borrowed);
      return succeed(err);
    }
    ack->handle.onDone([fn, user_data](const zerobusd::Outcome& outcome) {
      zerobusd::capi::runCallback(fn, user_data, outcome);
    });
    return succeed(err);
  });
}

void zbd_ack_free(zbd_ack* ack) {
  // A callback's borrowed view lives on the I/O thread's stack: freeing it is a no-op.
  if (ack != nullptr && ack->borrowed == nullptr) delete ack;
}

}  // extern "C"
