#pragma once
// zerobusctl gen-proto: a Unity Catalog table's schema to a proto2 file (workspace_client.h
// fetches it, proto_gen.h maps it). The client secret comes from an environment variable or a
// file, never from the command line, and is never printed.
//
// Thread affinity: main thread (curl_global_init done by main). Never throws.

#include <string>

#include "tools/zerobusctl/daemon_link.h"
#include "tools/zerobusctl/exit_code.h"

namespace zerobusd::ctl {

struct GenProtoOptions {
  std::string table;  // catalog.schema.table
  std::string workspace_url;
  std::string client_id;
  std::string secret_env;   // name of the variable holding the secret
  std::string secret_file;  // or a file holding it
  std::string ca_bundle;
  std::string output;   // empty or "-": stdout
  std::string message;  // empty: the table part of the name
};

// Secret files larger than this are refused (a secret is tens of bytes).
inline constexpr size_t kMaxSecretFileBytes = 64 * 1024;

ExitCode runGenProto(const GlobalOptions& global, const GenProtoOptions& options);

}  // namespace zerobusd::ctl
