#include "tools/zerobusctl/daemon_link.h"

#include <cstdlib>
#include <utility>

namespace zerobusd::ctl {

std::string resolveSocketPath(const GlobalOptions& options) {
  if (!options.socket.empty()) return options.socket;
  const char* env = std::getenv("ZEROBUSD_SOCKET");
  if (env != nullptr && *env != '\0') return env;
  return kDefaultSocketPath;
}

Result<Client> connectDaemon(const GlobalOptions& options, const ConnectSettings& settings) {
  ClientOptions client_options;
  client_options.socket_path = resolveSocketPath(options);
  client_options.client_name = "zerobusctl";
  client_options.ack_levels = settings.ack_levels;
  client_options.connect_timeout = settings.connect_timeout;
  client_options.reconnect.enabled = settings.reconnect;
  client_options.block_timeout = options.timeout;
  client_options.close_timeout = options.timeout;
  client_options.on_error = settings.on_error;
  Result<Client> client = Client::connect(client_options);
  if (client.ok()) return client;
  Error error = client.error();
  std::string detail = error.message;
  if (detail.find(client_options.socket_path) == std::string::npos) {
    detail = client_options.socket_path + ": " + detail;
  }
  error.message = "zerobusd is not reachable: " + detail +
                  " (is zerobusd running? --socket or $ZEROBUSD_SOCKET name its socket)";
  return error;
}

}  // namespace zerobusd::ctl
