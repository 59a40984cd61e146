#pragma once
// The property every frame-codec test input is held to, shared by the fuzz target and the
// deterministic mutation test: no parser reads out of bounds or crashes on any bytes, and every
// frame that parses re-encodes to exactly the bytes it was parsed from (v1 has one encoding per
// message, so a parser that accepts more than that is lax somewhere).
//
// Thread affinity: none. Error contract: a violated property aborts with a message on stderr.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/frame/frame.h"

namespace zerobusd::frame::testing {

// Parses `payload` as a `type` payload; on success re-encodes the parsed message as a whole
// frame into *frame and returns true. *error (if given) gets the parser's verdict.
bool reencode(FrameType type, std::string_view payload, std::string* frame,
              ErrorCode* error = nullptr);

// Runs every parser over `data` (as a header, as each payload type, and as a byte stream fed
// to a FrameReader in chunks) and checks the round-trip property. Returns the number of frames
// the stream yielded (for corpus statistics).
size_t checkFrameBytes(const uint8_t* data, size_t size);

}  // namespace zerobusd::frame::testing
