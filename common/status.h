#pragma once
// Status codes shared by the daemon, the client and the tools: absl::Status, whose codes are
// gRPC's, and the one classification rule every retry decision uses (zerobus-protocol.md §8).

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace zerobusd {

// Not retriable: INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, OUT_OF_RANGE, UNIMPLEMENTED,
// UNAUTHENTICATED. Every other code is, OK (a clean end mid-stream) included.
constexpr bool isRetriable(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kUnauthenticated:
      return false;
    default:
      return true;
  }
}

inline bool isRetriable(const absl::Status& status) { return isRetriable(status.code()); }

}  // namespace zerobusd
