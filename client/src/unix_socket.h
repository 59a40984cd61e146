#pragma once
// Unix stream socket helpers for the client: connect with a deadline, blocking-with-deadline
// send/receive of whole frames for the handshake, and the non-blocking primitives the I/O
// thread uses.
//
// Thread affinity: none; each fd is used by one thread at a time.
// Error contract: functions return an Error (kNotConnected / kConnectionLost / kWaitTimeout /
// kProtocolError) with errno's text; they never throw and never raise SIGPIPE.

#include <chrono>
#include <string>
#include <string_view>

#include "common/frame/frame_reader.h"
#include "zerobusd/client.h"

namespace zerobusd::details {

using SteadyClock = std::chrono::steady_clock;

// Connects to `path` (blocking, bounded by `deadline`) and returns a non-blocking,
// close-on-exec fd.
Result<int> connectUnix(const std::string& path, SteadyClock::time_point deadline);

// Writes all of `data` to the non-blocking `fd`, polling until `deadline`.
Status sendAll(int fd, std::string_view data, SteadyClock::time_point deadline);

// Reads from the non-blocking `fd` into `reader` until a whole frame is available (returned in
// *frame, valid until the reader is used again) or `deadline` passes.
Status readFrame(int fd, frame::FrameReader& reader, frame::Frame* frame,
                 SteadyClock::time_point deadline);

// One non-blocking read into `reader`. Returns the bytes read (0 if none were available), or an
// error for end of stream / failure.
Result<size_t> readSome(int fd, frame::FrameReader& reader);

std::string errnoText(int error);

}  // namespace zerobusd::details
