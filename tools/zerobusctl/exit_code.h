#pragma once
// zerobusctl's exit codes, the same for every command (docs/zerobusctl.md):
//   0  success (send: every record reached the requested ack level)
//   1  the command ran but something failed (send: some records failed or have no known
//      outcome; health: not ready or unreachable; gen-proto: the workspace refused or failed)
//   2  usage or input error: bad options, unreadable or corrupt input, a schema that does not
//      compile, a table the daemon does not serve
//   3  zerobusd could not be reached (no socket, refused, handshake failed or timed out);
//      nothing was sent
// `health` only ever exits 0 or 1 (Docker reserves 2 in HEALTHCHECK).

namespace zerobusd::ctl {

enum class ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kUnreachable = 3 };

inline int toInt(ExitCode code) { return static_cast<int>(code); }

}  // namespace zerobusd::ctl
