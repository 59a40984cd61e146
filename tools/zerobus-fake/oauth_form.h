#pragma once
// Parsing of what a client sends to the fake's workspace endpoints: form bodies, HTTP Basic
// and Bearer credentials, the OAuth `resource` and the Unity Catalog `authorization_details`
// (protocol §9). Pure functions of their input; thread-safe. Bad input is an InvalidArgument
// status whose message is safe to return to the client (it never echoes secrets).

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace zerobusd::fake {

// Decodes %XX escapes (and '+' as a space when `plus_as_space`). InvalidArgument on a '%' not
// followed by two hex digits.
absl::StatusOr<std::string> percentDecode(std::string_view text, bool plus_as_space);

// An application/x-www-form-urlencoded body: name=value pairs separated by '&', both sides
// percent-decoded with '+' as space; empty pairs are skipped, a pair without '=' has an empty
// value. A repeated name is InvalidArgument (RFC 6749 §3.2: parameters must not repeat).
absl::StatusOr<std::map<std::string, std::string>> parseForm(std::string_view body);

// True for "application/x-www-form-urlencoded", any case, optionally with parameters
// ("; charset=UTF-8").
bool isFormContentType(std::string_view content_type);

struct ClientCredentials {
  std::string id;
  std::string secret;
};

// "Basic base64(id:secret)" (scheme case-insensitive, standard base64 with or without padding).
// The id is everything before the first ':'. nullopt when absent or garbled.
std::optional<ClientCredentials> parseBasicAuth(std::string_view authorization);

// "Bearer <token>" (scheme case-insensitive). nullopt when absent, another scheme or empty.
std::optional<std::string> parseBearerToken(std::string_view authorization);

// The workspace id in "api://databricks/workspaces/<id>/zerobusDirectWriteApi". The id is
// whatever the client derived (protocol §1: "localhost:50443" or "127" are legitimate), so any
// non-empty text is accepted. nullopt when the resource has another shape.
std::optional<std::string> workspaceIdFromResource(std::string_view resource);

// One authorization_details entry of type "unity_catalog_privileges".
struct UcPrivilegeDetail {
  std::string object_type;           // "CATALOG", "SCHEMA" or "TABLE"
  std::string object_full_path;      // lower-cased; 1, 2 or 3 non-empty dot-separated parts
  std::set<std::string> privileges;  // upper-cased, '_' read as ' ' ("USE_CATALOG")
  std::optional<std::set<std::string>> operations;  // lower-cased; absent in SDK 1.0.1
};

// Caps the work one request can cause; the SDK sends three entries.
inline constexpr size_t kMaxAuthorizationDetails = 64;

// Parses authorization_details as JSON (never compared as text: key order and spacing vary
// between clients). InvalidArgument naming the entry and field on anything malformed: not
// JSON, not a non-empty array, an entry that is not an object, a type other than
// "unity_catalog_privileges", privileges not a non-empty array of strings, an unknown
// object_type, a path whose part count does not fit the object type, operations present but
// not an array of strings. Unknown extra keys are ignored.
absl::StatusOr<std::vector<UcPrivilegeDetail>> parseAuthorizationDetails(
    std::string_view json_text);

// The tables the details let a stream write: a TABLE entry with MODIFY (or ALL PRIVILEGES),
// whose operations, when present, include "zerobuswrite", and whose catalog and schema appear
// with USE CATALOG / USE SCHEMA (or ALL PRIVILEGES). Lower-cased catalog.schema.table names.
// Anything less is not an error here: the token is still minted and the stream is refused with
// PERMISSION_DENIED, as a downscoped real token would be.
std::set<std::string> writableTables(const std::vector<UcPrivilegeDetail>& details);

}  // namespace zerobusd::fake
