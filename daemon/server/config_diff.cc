#include "daemon/server/config_diff.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace zerobusd::server {

bool sameTable(const config::TableConfig& a, const config::TableConfig& b) {
  // The descriptor is compared through its serialized form (what create_stream sends);
  // where the schema came from (file, descriptor set) does not matter.
  return a.name == b.name && a.record_type == b.record_type && a.descriptor_proto == b.descriptor_proto &&
         a.pool == b.pool && a.batch == b.batch && a.max_queue_bytes == b.max_queue_bytes &&
         a.validate == b.validate && a.allow_uids == b.allow_uids && a.allow_gids == b.allow_gids &&
         a.stream == b.stream;
}

ConfigDiff diffConfigs(const config::Config& before, const config::Config& after) {
  ConfigDiff diff;
  diff.upstream_changed = !(before.service == after.service) || !(before.auth == after.auth);
  for (const auto& table : after.tables) {
    const config::TableConfig* old = before.findTable(table.name);
    if (old == nullptr) {
      diff.added.push_back(table.name);
    } else if (diff.upstream_changed || !sameTable(*old, table)) {
      diff.changed.push_back(table.name);
    } else {
      diff.unchanged.push_back(table.name);
    }
  }
  for (const auto& table : before.tables) {
    if (after.findTable(table.name) == nullptr) diff.removed.push_back(table.name);
  }
  diff.socket_access_changed = before.socket.mode != after.socket.mode || before.socket.group != after.socket.group;
  diff.limits_changed = !(before.limits == after.limits);
  diff.log_level_changed = before.log.level != after.log.level;

  auto restart = [&](const char* key, const std::string& was, const std::string& is) {
    if (was != is) diff.needs_restart.push_back(fmt::format("{}: '{}' -> '{}'", key, was, is));
  };
  restart("socket.path", before.socket.path, after.socket.path);
  restart("metrics.enabled", before.metrics.enabled ? "true" : "false", after.metrics.enabled ? "true" : "false");
  restart("metrics.listen", before.metrics.listen, after.metrics.listen);
  restart("log.format", before.log.format == config::LogFormat::Json ? "json" : "text",
          after.log.format == config::LogFormat::Json ? "json" : "text");
  return diff;
}

std::string ConfigDiff::summary() const {
  std::vector<std::string> parts;
  if (!added.empty()) parts.push_back(fmt::format("added {}", added));
  if (!removed.empty()) parts.push_back(fmt::format("removed {}", removed));
  if (!changed.empty()) parts.push_back(fmt::format("changed {}", changed));
  if (upstream_changed) parts.push_back("service/auth changed (every table rebuilt)");
  if (socket_access_changed) parts.push_back("socket mode/group");
  if (limits_changed) parts.push_back("limits");
  if (log_level_changed) parts.push_back("log level");
  if (parts.empty()) return "nothing changed";
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace zerobusd::server
