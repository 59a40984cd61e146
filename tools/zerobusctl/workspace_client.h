#pragma once
// gen-proto's two HTTP calls to the Databricks workspace (zerobus-protocol.md §9, §10):
//   1. an OAuth client-credentials token, POST <workspace>/oidc/v1/token with HTTP Basic
//      credentials and `grant_type=client_credentials&scope=all-apis`: the schema-only form the
//      official tools use (Unity Catalog refuses the ingest-scoped token). The request goes
//      through the daemon's CurlFetcher and its answer through interpretTokenAnswer, so the
//      transport (TLS verification, redirects, limits) and the error classification are the
//      daemon's.
//   2. GET <workspace>/api/2.1/unity-catalog/tables/<catalog.schema.table> with that token.
//
// curl_global_init is the caller's (main's) job. Blocking calls; no shared state.
// Error contract: Unauthenticated (bad credentials, refused token), PermissionDenied (403),
// NotFound (404), Unavailable (5xx, network, TLS), DeadlineExceeded (timeout),
// InvalidArgument (bad URL, unusable answer). Messages name the URL and the HTTP status and
// never contain the client secret or a token.

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"

namespace zerobusd::ctl {

struct WorkspaceAccess {
  std::string workspace_url;  // as given; "https://" is prepended when it has no scheme
  std::string client_id;
  std::string client_secret;
  std::string ca_file;  // PEM bundle replacing the system roots; empty: system roots
  std::chrono::milliseconds timeout{30'000};  // per request
};

[[nodiscard]] absl::StatusOr<std::string> fetchCatalogToken(const WorkspaceAccess& access);

// The body of a 2xx answer (at most kMaxUcAnswerBytes).
[[nodiscard]] absl::StatusOr<std::string> fetchUcTableJson(const WorkspaceAccess& access,
                                                           std::string_view token,
                                                           std::string_view full_name);

}  // namespace zerobusd::ctl
