#pragma once
// What the C API's opaque handles hold, and the helpers every zbd_* function shares: filling
// the caller's zbd_error, catching exceptions at the ABI boundary, and the callback scope that
// keeps callbacks from blocking.
//
// Thread affinity: handles are thread-safe (the C++ client's objects are; zbd_ack's cache has
// its own mutex). The callback depth is per thread by design: it marks the thread that is
// running a zbd_done_fn, which is exactly where blocking calls must be refused.
// Error contract: nothing here throws out of a zbd_* function; guarded() (and blocking(), which
// uses it) turns any exception into ZBD_ERR_INTERNAL, guardedFlag() into 0.

#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "zerobusd/client.h"
#include "zerobusd/zerobusd_c.h"

struct zbd_client {
  explicit zbd_client(zerobusd::Client c) : client(std::move(c)) {}
  zerobusd::Client client;
};

struct zbd_table {
  explicit zbd_table(zerobusd::Table t) : table(std::move(t)) {}
  zerobusd::Table table;
};

struct zbd_ack {
  explicit zbd_ack(zerobusd::AckHandle h) : handle(std::move(h)) {}
  // A borrowed view handed to a zbd_done_fn: no handle of its own (so a callback stored in the
  // ack's state never references that state), just the final outcome the client passed in.
  explicit zbd_ack(const zerobusd::Outcome* done_outcome) : borrowed(done_outcome) {}

  const zerobusd::AckHandle handle;
  const zerobusd::Outcome* const borrowed = nullptr;
  // The final outcome, copied once when first read after the ack is done, so iterating
  // failures does not copy the list per call.
  mutable std::mutex mu;
  mutable std::shared_ptr<const zerobusd::Outcome> final_outcome;  // guarded by mu
};

namespace zerobusd::capi {

// Fills `err` (if not NULL) and returns `code`. The message is cut to fit, at a character
// boundary.
int fail(zbd_error* err, int code, bool retriable, std::string_view message);
int fail(zbd_error* err, const Error& error);
int invalidArgument(zbd_error* err, std::string_view message);
// Clears `err` (if not NULL) and returns ZBD_OK.
int succeed(zbd_error* err);
// Converts a client Error into a zbd_error (no NULL check).
void toCError(const Error& error, zbd_error& out);

// Whether this thread is running a zbd_done_fn, and the guard that marks it.
bool inCallback();
class CallbackScope {
 public:
  CallbackScope();
  ~CallbackScope();
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;
};
// ZBD_ERR_INVALID_ARGUMENT for a blocking call made inside a callback, else ZBD_OK.
int refuseInCallback(zbd_error* err, const char* what);

// ZBD_OK (clearing `err`) for a successful Status, else its error.
int report(zbd_error* err, const Status& status);

// Runs `body` (which returns a zbd_error_code), converting any exception into an error.
template <typename Body>
int guarded(zbd_error* err, Body&& body) noexcept {
  try {
    return std::forward<Body>(body)();
  } catch (const std::bad_alloc&) {
    return fail(err, ZBD_ERR_INTERNAL, true, "out of memory");
  } catch (const std::exception& e) {
    return fail(err, ZBD_ERR_INTERNAL, false, e.what());
  } catch (...) {
    return fail(err, ZBD_ERR_INTERNAL, false, "unknown exception");
  }
}

// The frame of a zbd_* function that blocks on one handle: a NULL `handle` ("<what>:
// <handle_name> is NULL") and a call from inside a zbd_done_fn are refused, then `body` runs
// under guarded().
template <typename Handle, typename Body>
int blocking(zbd_error* err, const char* what, const char* handle_name, const Handle* handle,
             Body&& body) noexcept {
  return guarded(err, [&] {
    if (handle == nullptr) {
      return invalidArgument(err, std::string(what) + ": " + handle_name + " is NULL");
    }
    if (int refused = refuseInCallback(err, what); refused != ZBD_OK) return refused;
    return std::forward<Body>(body)();
  });
}

// Runs `predicate` for a zbd_* function that answers 1 or 0: an exception answers 0.
template <typename Predicate>
int guardedFlag(Predicate&& predicate) noexcept {
  try {
    return std::forward<Predicate>(predicate)() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

}  // namespace zerobusd::capi
