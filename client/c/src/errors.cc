// Error reporting for the C API: the caller's zbd_error, code names, and the callback scope.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "client/c/src/handles.h"

namespace zerobusd::capi {
namespace {

// The C enum mirrors zerobusd::ErrorCode value for value; a renumbering breaks the build here.
static_assert(ZBD_ERR_MALFORMED_FRAME == static_cast<int>(ErrorCode::kMalformedFrame));
static_assert(ZBD_ERR_UNKNOWN_TABLE == static_cast<int>(ErrorCode::kUnknownTable));
static_assert(ZBD_ERR_INVALID_RECORD == static_cast<int>(ErrorCode::kInvalidRecord));
static_assert(ZBD_ERR_RECORD_TOO_LARGE == static_cast<int>(ErrorCode::kRecordTooLarge));
static_assert(ZBD_ERR_INTERNAL == static_cast<int>(ErrorCode::kInternal));
static_assert(ZBD_ERR_CONNECTION_LOST == static_cast<int>(ErrorCode::kConnectionLost));
static_assert(ZBD_ERR_NOT_CONNECTED == static_cast<int>(ErrorCode::kNotConnected));
static_assert(ZBD_ERR_WAIT_TIMEOUT == static_cast<int>(ErrorCode::kWaitTimeout));
static_assert(ZBD_ERR_CLOSED == static_cast<int>(ErrorCode::kClosed));
static_assert(ZBD_ERR_INVALID_ARGUMENT == static_cast<int>(ErrorCode::kInvalidArgument));
static_assert(ZBD_ERR_WOULD_BLOCK == static_cast<int>(ErrorCode::kWouldBlock));
static_assert(ZBD_ERR_PROTOCOL_ERROR == static_cast<int>(ErrorCode::kProtocolError));

thread_local int t_callback_depth = 0;

// Copies `text` into a buffer of `capacity` bytes, NUL-terminated, cutting before a UTF-8
// continuation byte so a truncated message stays valid UTF-8.
void copyMessage(std::string_view text, char* out, size_t capacity) {
  size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
  if (n < text.size()) {
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0U) == 0x80U) --n;
  }
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

}  // namespace

int fail(zbd_error* err, int code, bool retriable, std::string_view message) {
  if (err != nullptr) {
    err->code = code;
    err->retriable = retriable ? 1 : 0;
    copyMessage(message, err->message, sizeof(err->message));
  }
  return code;
}

void toCError(const Error& error, zbd_error& out) {
  out.code = static_cast<int>(error.code);
  out.retriable = error.retriable ? 1 : 0;
  copyMessage(error.message, out.message, sizeof(out.message));
}

int fail(zbd_error* err, const Error& error) {
  return fail(err, static_cast<int>(error.code), error.retriable, error.message);
}

int invalidArgument(zbd_error* err, std::string_view message) {
  return fail(err, ZBD_ERR_INVALID_ARGUMENT, false, message);
}

int succeed(zbd_error* err) { return fail(err, ZBD_OK, false, ""); }

int report(zbd_error* err, const Status& status) {
  return status.ok() ? succeed(err) : fail(err, status.error());
}

bool inCallback() { return t_callback_depth > 0; }
CallbackScope::CallbackScope() { ++t_callback_depth; }
CallbackScope::~CallbackScope() { --t_callback_depth; }

int refuseInCallback(zbd_error* err, const char* what) {
  if (!inCallback()) return ZBD_OK;
  return fail(err, ZBD_ERR_INVALID_ARGUMENT, false,
              std::string(what) + " cannot block inside a zbd_done_fn callback");
}

}  // namespace zerobusd::capi

extern "C" {

int zbd_abi_version(void) { return ZBD_ABI_VERSION; }

const char* zbd_version(void) { return ZEROBUSD_C_VERSION; }

const char* zbd_error_code_name(int code) {
  if (code < 0 || code > UINT16_MAX) return "UNKNOWN_ERROR_CODE";
  return zerobusd::errorCodeName(static_cast<zerobusd::ErrorCode>(code));
}

void zbd_string_free(char* text) { std::free(text); }

}  // extern "C"
