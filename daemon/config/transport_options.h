#pragma once
// The service section as the upstream channel's TransportOptions. Header-only so that
// daemon/config itself does not depend on gRPC; include it where the channel is made (the
// composition root), which links zerobusd::upstream anyway.
//
// Thread affinity: a pure function. Error contract: none (the Config was checked at load).

#include "daemon/config/config.h"
#include "daemon/upstream/channel.h"

namespace zerobusd::config {

inline upstream::TransportOptions transportOptions(const ServiceConfig& service) {
  upstream::TransportOptions options;
  options.endpoint = service.endpoint;
  options.plaintext = service.plaintext;
  options.ca_bundle_file = service.ca_bundle_file;
  options.tls_server_name = service.tls_server_name;
  options.keepalive_time_ms = service.keepalive_time_ms;
  options.keepalive_timeout_ms = service.keepalive_timeout_ms;
  if (!service.user_agent_suffix.empty()) options.user_agent += " " + service.user_agent_suffix;
  return options;
}

}  // namespace zerobusd::config
