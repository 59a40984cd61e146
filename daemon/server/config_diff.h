#pragma once
// What a configuration reload changes: which tables are new, gone or different, which settings
// apply in place and which only at a restart. The server applies the diff (Server::reload); this
// module only compares, so the rules are testable without a running daemon.
//
// Thread affinity: pure functions. Error contract: none.

#include <string>
#include <vector>

#include "daemon/config/config.h"

namespace zerobusd::server {

struct ConfigDiff {
  std::vector<std::string> added;      // tables only in the new config
  std::vector<std::string> removed;    // tables only in the old config
  std::vector<std::string> changed;    // in both, with different settings (rebuilt)
  std::vector<std::string> unchanged;  // in both, identical (kept with their streams)
  // service or auth differ: every table needs a new channel and token source.
  bool upstream_changed = false;
  bool socket_access_changed = false;  // socket.mode / socket.group: applied to the file
  bool limits_changed = false;         // new connections get them; max_connections at once
  bool log_level_changed = false;
  // Settings that cannot change while running, as "key: old -> new" (the reload is refused).
  std::vector<std::string> needs_restart;

  bool empty() const {
    return added.empty() && removed.empty() && changed.empty() && !upstream_changed && !socket_access_changed &&
           !limits_changed && !log_level_changed && needs_restart.empty();
  }
  // "added [a], removed [b], changed [c]; limits" for the log line.
  std::string summary() const;
};

// Same table, same behaviour: everything the table's pipeline, streams, validator and allow
// lists were built from.
bool sameTable(const config::TableConfig& a, const config::TableConfig& b);

ConfigDiff diffConfigs(const config::Config& before, const config::Config& after);

}  // namespace zerobusd::server
