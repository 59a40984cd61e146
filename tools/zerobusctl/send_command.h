#pragma once
// zerobusctl send: records from a file or stdin into one table through zerobusd, streamed with
// bounded memory (the input is read one record at a time; the client library's flow control
// blocks reading while the daemon's window and the client's queue are full). See
// docs/zerobusctl.md for formats, output and exit codes.
//
// Thread affinity: main thread (plus the client's I/O thread and the tracker's reporter).
// Never throws; returns the exit code.

#include <cstddef>
#include <string>
#include <vector>

#include "tools/zerobusctl/daemon_link.h"
#include "tools/zerobusctl/exit_code.h"

namespace zerobusd::ctl {

struct SendOptions {
  std::string table;
  std::string file;    // empty or "-": stdin
  std::string format;  // "ndjson" | "proto-delimited" | "json-to-proto" | "" (from the table)
  std::string proto_file;
  std::string descriptor_set;
  std::string message;
  std::vector<std::string> proto_paths;  // import directories for proto_file
  bool ack_accepted = false;             // final at "accepted" instead of "durable"
  size_t batch = 100;                    // records per ingest call
};

ExitCode runSend(const GlobalOptions& global, const SendOptions& options);

}  // namespace zerobusd::ctl
