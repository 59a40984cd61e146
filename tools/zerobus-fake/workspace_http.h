#pragma once
// The fake's workspace HTTP endpoints (protocol §9, §10, §14 items 10 and 11):
//
//   POST /oidc/v1/token (and //oidc/v1/token, as clients concatenate URLs)
//     OAuth client credentials. Checks, in order: HTTP Basic against config.clients (401
//     invalid_client), form content type (400 invalid_request), form syntax (400
//     invalid_request), grant_type=client_credentials (400 unsupported_grant_type),
//     scope=all-apis exactly (400 invalid_scope), then one of two forms:
//     - ingest: resource=api://databricks/workspaces/<id>/zerobusDirectWriteApi, <id> equal to
//       config.workspace_id when that is set (else 400 invalid_target), and
//       authorization_details (required; malformed: 400 invalid_request). The token may write
//       the tables writableTables() (oauth_form.h) finds; a request granting less still gets a
//       token, and its streams get PERMISSION_DENIED, as with a downscoped real token.
//     - schema-only: no resource; authorization_details absent (Python tool) or present and
//       well-formed (the Rust tool's SELECT form; its privileges are not used). The token reads
//       the Unity Catalog API but grants no table (all_tables = false): streams opened with it
//       are refused, since the service only accepts tokens scoped to the table.
//     Answer 200 {"access_token","token_type":"Bearer","expires_in":<lifetime>,"scope":
//     "all-apis"} with Cache-Control: no-store. Errors are RFC 6749 bodies {"error",
//     "error_description"}.
//   GET /api/2.1/unity-catalog/tables/<full_name> (and //api/..., name may be percent-encoded)
//     Bearer token valid (static or minted, unexpired; any table) else 401 UNAUTHENTICATED;
//     unknown table 404 TABLE_DOES_NOT_EXIST; else 200 unityCatalogTableJson(). Table names
//     match case-insensitively. Errors are Databricks REST bodies {"error_code","message"}.
//
// Faults apply before any check: the delay first, then a status for `count` requests. Every
// request is logged at debug level without secrets or tokens (client ids and tables only).
//
// Thread-safe: httplib's worker threads run the handlers, the admin API sets faults and reads
// counters. The object must outlive the server it registered on; call releaseDelays() before
// stopping that server, or requests held by a delay fault keep its workers (and stop()) busy.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <absl/status/status.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tools/zerobus-fake/fake_config.h"
#include "tools/zerobus-fake/table_schema.h"
#include "tools/zerobus-fake/token_authority.h"

namespace zerobusd::fake {

// Upper bound for delay_ms: a "hanging" endpoint is emulated by a long delay, never forever.
inline constexpr int kMaxFaultDelayMs = 3600 * 1000;

struct TokenFaults {
  int status = 0;    // answer this HTTP status (400..599) instead of a token; 0 = off
  int count = 0;     // how many requests `status` applies to; -1 = until cleared
  int delay_ms = 0;  // delay every answer by this much (0..kMaxFaultDelayMs)
  // Shape of successful answers while set: "" normal | "malformed" (200, body not JSON, no
  // token minted) | "no_access_token" (200 JSON without it, no token minted) |
  // "expires_quoted" ("expires_in":"3600") | "expires_zero" (0) | "expires_missing" (absent).
  // The expires_* modes change only the body: the token still lives its real lifetime.
  std::string body_mode;
  int64_t lifetime_s = 0;  // > 0 overrides config.token_lifetime_s for new tokens
};

struct UcFaults {
  int status = 0;    // answer this HTTP status (400..599) with a JSON error body; 0 = off
  int count = 0;     // how many requests `status` applies to; -1 = until cleared
  int delay_ms = 0;  // delay every answer by this much (0..kMaxFaultDelayMs)
  bool reject_ingest_tokens = false;  // 403 PERMISSION_DENIED for tokens of the ingest form
};

// InvalidArgument naming the field when a value is out of range or body_mode is unknown. The
// setters below do not check (the admin API validates first and reports the error); at use, a
// status outside 400..599 is ignored, a delay is clamped to 0..kMaxFaultDelayMs and an unknown
// body_mode reads as "".
absl::Status validateTokenFaults(const TokenFaults& faults);
absl::Status validateUcFaults(const UcFaults& faults);

class WorkspaceHttp {
 public:
  // Copies what it needs from `config`; registers config.static_tokens with `tokens`.
  WorkspaceHttp(const FakeConfig& config, TokenAuthority& tokens);
  WorkspaceHttp(const WorkspaceHttp&) = delete;
  WorkspaceHttp& operator=(const WorkspaceHttp&) = delete;
  ~WorkspaceHttp();

  // Adds the routes to `server`, which someone else creates, binds, runs and stops.
  void registerRoutes(httplib::Server& server);

  // Replace the current faults (a status fault's remaining count restarts from `count`).
  // Changing them also re-times requests already waiting in a delay (clearing releases them).
  void setTokenFaults(const TokenFaults& faults);
  void setUcFaults(const UcFaults& faults);
  TokenFaults tokenFaults() const;  // with the status fault's remaining count
  UcFaults ucFaults() const;

  // Ends every delay in progress and disables delays from now on.
  void releaseDelays();

  // {"token_requests":N,"tokens_issued":N,"token_refused":{"<error>":N},
  //  "token_faults_fired":N,"token_delayed":N,"uc_requests":N,"uc_served":N,
  //  "uc_refused":{"<error_code>":N},"uc_faults_fired":N,"uc_delayed":N}
  // A request answered by a status fault counts as fired, not refused.
  nlohmann::json counters() const;
  void resetCounters();

 private:
  struct Reply;

  void handleToken(const httplib::Request& request, httplib::Response& response);
  void handleUcTable(const httplib::Request& request, httplib::Response& response);
  Reply tokenReply(const httplib::Request& request);
  Reply ucReply(const httplib::Request& request);
  Reply refuseToken(int status, const std::string& error, const std::string& description);
  Reply refuseUc(int status, const std::string& error_code, const std::string& message);
  const TableSchema* findTable(const std::string& full_name) const;
  // With mu_ held through `lock`: waits until `delay_ms()` (re-read whenever faults change)
  // has passed since the call, or until releaseDelays(). Counts a wait in `delayed`.
  void delayLocked(std::unique_lock<std::mutex>& lock, const std::function<int()>& delay_ms,
                   uint64_t& delayed);

  // Immutable after construction.
  std::string workspace_id_;
  std::map<std::string, std::string> clients_;  // id -> secret
  int64_t token_lifetime_s_ = 0;
  std::map<std::string, TableSchema> tables_;  // lower-cased full name -> schema
  TokenAuthority& tokens_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable faults_changed_;
  bool delays_released_ = false;
  TokenFaults token_faults_;
  UcFaults uc_faults_;
  uint64_t token_requests_ = 0;
  uint64_t tokens_issued_ = 0;
  std::map<std::string, uint64_t> token_refused_;
  uint64_t token_faults_fired_ = 0;
  uint64_t token_delayed_ = 0;
  uint64_t uc_requests_ = 0;
  uint64_t uc_served_ = 0;
  std::map<std::string, uint64_t> uc_refused_;
  uint64_t uc_faults_fired_ = 0;
  uint64_t uc_delayed_ = 0;
};

}  // namespace zerobusd::fake
