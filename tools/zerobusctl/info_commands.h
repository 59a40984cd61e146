#pragma once
// The short daemon commands: status, health, tables and flush (docs/zerobusctl.md).
// Each connects once, asks, prints and returns an exit code (exit_code.h).
//
// Thread affinity: main thread. Never throws; errors are printed on stderr.

#include <string>
#include <vector>

#include "tools/zerobusctl/daemon_link.h"
#include "tools/zerobusctl/exit_code.h"

namespace zerobusd::ctl {

// The status document, indented (or as received with `raw`).
ExitCode runStatus(const GlobalOptions& options, bool raw);
// One line; 0 when the daemon answers within --timeout and is ready, else 1.
ExitCode runHealth(const GlobalOptions& options);
// The tables the daemon serves with their record type, streams and queue.
ExitCode runTables(const GlobalOptions& options);
// For each table (every table when `tables` is empty): OPEN, FLUSH, wait for FLUSHED.
ExitCode runFlush(const GlobalOptions& options, const std::vector<std::string>& tables);

}  // namespace zerobusd::ctl
