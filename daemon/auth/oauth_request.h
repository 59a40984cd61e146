#pragma once
// The OAuth client-credentials exchange of zerobus-protocol.md §9 as pure functions: what the
// request carries (URL, form, authorization_details) and what an answer means (token, lifetime
// or a classified error). No I/O, no state; thread-safe. OAuthTokenSource sends what these
// build; the fuzz/unit tests feed them hostile bodies.
//
// Error contract: table names that are not catalog.schema.table are INVALID_ARGUMENT;
// answers map per token_source.h (5xx UNAVAILABLE, other non-2xx and bad bodies
// UNAUTHENTICATED). Messages name the endpoint and the HTTP status, never the client secret or
// a token: what the server said is reduced to its OAuth `error` code and a short, printable
// `error_description`.

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace zerobusd {

// Answers larger than this are refused (bad peer input); a real one is a few hundred bytes.
inline constexpr size_t kMaxTokenResponseBytes = 64 * 1024;

struct TableName {
  std::string catalog;
  std::string schema;
  std::string table;
};

// "catalog.schema.table": exactly three non-empty parts, else INVALID_ARGUMENT (the SDK's
// InvalidTableName), checked before anything is sent.
[[nodiscard]] absl::StatusOr<TableName> splitTableName(std::string_view full_name);

// The workspace id the SDK derives from the Zerobus endpoint (§1): prepend "https://" when the
// endpoint has neither "https://" nor "http://", then take the text between the scheme and the
// first '.' (all of it when there is no '.'). No validation, as the SDK: "localhost:50443" and
// "127" (from https://127.0.0.1:9000) are what it sends too.
std::string workspaceIdFromEndpoint(std::string_view zerobus_endpoint);

// The workspace URL as requests use it: "https://" prepended when it has no scheme (so curl
// never guesses plain http with the secret on it). INVALID_ARGUMENT for an empty URL or another
// scheme ("ftp://..."). A trailing '/' is kept: the SDK concatenates, so it asks for
// "//oidc/v1/token" and the service (and the fake) accept that.
[[nodiscard]] absl::StatusOr<std::string> normalizeWorkspaceUrl(std::string_view workspace_url);

// <workspace_url>/oidc/v1/token by plain concatenation (§9).
std::string tokenEndpointUrl(std::string_view workspace_url);

// The URL without user-info ("https://user:pw@host/x" -> "https://host/x"), for messages.
std::string displayUrl(std::string_view url);

// The compact JSON array granting USE CATALOG, USE SCHEMA and SELECT+MODIFY with operations
// ["zerobuswrite"] on the table (the newer SDK form). Key order is fixed here but a server
// must parse it, not compare it.
std::string authorizationDetailsJson(const TableName& table);

// application/x-www-form-urlencoded body in the newer SDK's order: scope, resource,
// authorization_details, grant_type.
std::string tokenRequestForm(std::string_view workspace_id, const TableName& table);

// Percent-encodes everything but RFC 3986 unreserved characters (so '+' and ' ' are encoded).
std::string formUrlEncode(std::string_view text);

struct TokenResponse {
  std::string access_token;
  // expires_in as sent: an integer or a quoted integer. nullopt when absent, negative or of any
  // other shape; 0 is kept (both mean "use once, do not cache").
  std::optional<std::chrono::seconds> expires_in;
};

// Parses a 2xx body. UNAUTHENTICATED when it is not a JSON object, lacks a non-empty string
// access_token, or the token has characters a header value cannot carry. `endpoint` names the
// URL in messages.
[[nodiscard]] absl::StatusOr<TokenResponse> parseTokenResponse(std::string_view body,
                                                               std::string_view endpoint);

// Classifies a complete HTTP answer: 2xx is parsed (above); >= 500 UNAVAILABLE (the SDK's
// TokenFetchError, retriable); any other status UNAUTHENTICATED (InvalidUCTokenError, 429
// included: the SDK does not retry it). The message carries the status and the server's OAuth
// error code/description when the body has them.
[[nodiscard]] absl::StatusOr<TokenResponse> interpretTokenAnswer(long http_status,
                                                                 std::string_view body,
                                                                 std::string_view endpoint);

// Replaces every occurrence of each non-empty `secret` in `text` with "<redacted>": the last
// guard before a message leaves the auth module.
std::string redactSecrets(std::string text, std::initializer_list<std::string_view> secrets);

// Standard base64 with padding (for the Basic credentials a message must never contain).
std::string base64Encode(std::string_view data);

}  // namespace zerobusd
