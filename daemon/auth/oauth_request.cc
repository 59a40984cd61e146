#include "daemon/auth/oauth_request.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

namespace zerobusd {
namespace {

constexpr std::string_view kTokenPath = "/oidc/v1/token";
constexpr size_t kMaxDescriptionChars = 200;
constexpr size_t kMaxErrorCodeChars = 64;

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// Length of "scheme://" when `url` starts with one (letters, digits, '+', '-', '.'), else 0.
size_t schemeLength(std::string_view url) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return 0;
  for (size_t i = 0; i < sep; ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    if (std::isalnum(c) == 0 && c != '+' && c != '-' && c != '.') return 0;
  }
  return sep + 3;
}

// Server-sent text made safe for a message: printable ASCII only, bounded.
std::string printable(std::string_view text, size_t limit) {
  std::string out;
  for (char c : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

// " (error: description)" from an RFC 6749 error body, or "" when the body has neither.
std::string oauthErrorSuffix(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return "";
  std::string error;
  std::string description;
  if (auto it = json.find("error"); it != json.end() && it->is_string()) {
    error = printable(it->get_ref<const std::string&>(), kMaxErrorCodeChars);
  }
  if (auto it = json.find("error_description"); it != json.end() && it->is_string()) {
    description = printable(it->get_ref<const std::string&>(), kMaxDescriptionChars);
  }
  if (error.empty() && description.empty()) return "";
  if (description.empty()) return " (" + error + ")";
  if (error.empty()) return " (" + description + ")";
  return " (" + error + ": " + description + ")";
}

// A header value (RFC 9110 field-value) cannot hold control characters; gRPC metadata is
// stricter still (printable ASCII), and a token goes into "authorization: Bearer <token>".
bool validHeaderToken(std::string_view token) {
  return std::all_of(token.begin(), token.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

std::optional<std::chrono::seconds> parseExpiresIn(const nlohmann::json& value) {
  int64_t seconds = -1;
  if (value.is_number_unsigned()) {
    const auto v = value.get<uint64_t>();
    seconds = v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                  ? std::numeric_limits<int64_t>::max()
                  : static_cast<int64_t>(v);
  } else if (value.is_number_integer()) {
    seconds = value.get<int64_t>();
  } else if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    const char* first = text.data();
    const char* last = text.data() + text.size();
    auto [end, ec] = std::from_chars(first, last, seconds);
    if (ec == std::errc::result_out_of_range) {
      seconds = std::numeric_limits<int64_t>::max();
    } else if (ec != std::errc() || end != last) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (seconds < 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

}  // namespace

absl::StatusOr<TableName> splitTableName(std::string_view full_name) {
  const size_t first = full_name.find('.');
  const size_t second = first == std::string_view::npos ? first : full_name.find('.', first + 1);
  const bool three_parts =
      second != std::string_view::npos && full_name.find('.', second + 1) == std::string_view::npos;
  if (!three_parts || first == 0 || second == first + 1 || second + 1 == full_name.size()) {
    return absl::InvalidArgumentError("table name '" + printable(full_name, 256) +
                                      "' is not catalog.schema.table (three non-empty parts)");
  }
  return TableName{std::string(full_name.substr(0, first)),
                   std::string(full_name.substr(first + 1, second - first - 1)),
                   std::string(full_name.substr(second + 1))};
}

std::string workspaceIdFromEndpoint(std::string_view zerobus_endpoint) {
  std::string_view rest = zerobus_endpoint;
  // The SDK checks for exactly these two prefixes; anything else gets "https://" in front, so
  // only they are stripped here.
  if (rest.substr(0, 8) == "https://") {
    rest.remove_prefix(8);
  } else if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
  }
  return std::string(rest.substr(0, rest.find('.')));
}

absl::StatusOr<std::string> normalizeWorkspaceUrl(std::string_view workspace_url) {
  if (workspace_url.empty()) {
    return absl::InvalidArgumentError("workspace URL is empty");
  }
  const size_t scheme = schemeLength(workspace_url);
  if (scheme == 0) return "https://" + std::string(workspace_url);
  if (startsWithNoCase(workspace_url, "https://") || startsWithNoCase(workspace_url, "http://")) {
    return std::string(workspace_url);
  }
  return absl::InvalidArgumentError("workspace URL " + displayUrl(workspace_url) +
                                    " must use https:// (or http:// for tests)");
}

std::string tokenEndpointUrl(std::string_view workspace_url) {
  return std::string(workspace_url) + std::string(kTokenPath);
}

std::string displayUrl(std::string_view url) {
  const size_t scheme = schemeLength(url);
  const size_t authority_end = url.find_first_of("/?#", scheme);
  const std::string_view authority =
      url.substr(scheme, authority_end == std::string_view::npos ? std::string_view::npos
                                                                 : authority_end - scheme);
  const size_t at = authority.rfind('@');
  std::string out;
  if (at == std::string_view::npos) {
    out = std::string(url);
  } else {
    out = std::string(url.substr(0, scheme)) + std::string(url.substr(scheme + at + 1));
  }
  return printable(out, 512);
}

std::string authorizationDetailsJson(const TableName& table) {
  // ordered_json keeps the order written here; a parser must not care, but stable text makes
  // logs and tests comparable.
  const std::string schema_path = table.catalog + "." + table.schema;
  const nlohmann::ordered_json details = nlohmann::ordered_json::array({
      {{"type", "unity_catalog_privileges"},
       {"privileges", {"USE CATALOG"}},
       {"object_type", "CATALOG"},
       {"object_full_path", table.catalog}},
      {{"type", "unity_catalog_privileges"},
       {"privileges", {"USE SCHEMA"}},
       {"object_type", "SCHEMA"},
       {"object_full_path", schema_path}},
      {{"type", "unity_catalog_privileges"},
       {"privileges", {"SELECT", "MODIFY"}},
       {"object_type", "TABLE"},
       {"object_full_path", schema_path + "." + table.table},
       {"operations", {"zerobuswrite"}}},
  });
  // Table names come from configuration and may hold invalid UTF-8; never let dump() throw.
  return details.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string formUrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    }
  }
  return out;
}

std::string tokenRequestForm(std::string_view workspace_id, const TableName& table) {
  const std::string resource =
      "api://databricks/workspaces/" + std::string(workspace_id) + "/zerobusDirectWriteApi";
  return "scope=all-apis&resource=" + formUrlEncode(resource) +
         "&authorization_details=" + formUrlEncode(authorizationDetailsJson(table)) +
         "&grant_type=client_credentials";
}

absl::StatusOr<TokenResponse> parseTokenResponse(std::string_view body, std::string_view endpoint) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return absl::UnauthenticatedError("OAuth token endpoint " + std::string(endpoint) +
                                      " answered with a body that is not a JSON object");
  }
  const auto token = json.find("access_token");
  if (token == json.end() || !token->is_string() || token->get_ref<const std::string&>().empty()) {
    return absl::UnauthenticatedError("OAuth token endpoint " + std::string(endpoint) +
                                      " answered without an access_token");
  }
  TokenResponse response;
  response.access_token = token->get<std::string>();
  if (!validHeaderToken(response.access_token)) {
    return absl::UnauthenticatedError("OAuth token endpoint " + std::string(endpoint) +
                                      " answered with an access_token that is not printable "
                                      "ASCII");
  }
  if (auto it = json.find("expires_in"); it != json.end()) {
    response.expires_in = parseExpiresIn(*it);
  }
  return response;
}

absl::StatusOr<TokenResponse> interpretTokenAnswer(long http_status, std::string_view body,
                                                   std::string_view endpoint) {
  if (http_status >= 200 && http_status < 300) {
    return parseTokenResponse(body, endpoint);
  }
  const std::string what = "OAuth token endpoint " + std::string(endpoint) + " answered HTTP " +
                           std::to_string(http_status) + oauthErrorSuffix(body);
  if (http_status >= 500) return absl::UnavailableError(what);
  return absl::UnauthenticatedError(what);
}

std::string redactSecrets(std::string text, std::initializer_list<std::string_view> secrets) {
  static constexpr std::string_view kRedacted = "<redacted>";
  for (std::string_view secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + kRedacted.size())) {
      text.replace(at, secret.size(), kRedacted);
    }
  }
  return text;
}

std::string base64Encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t n = (static_cast<uint32_t>(static_cast<unsigned char>(data[i])) << 16) |
                       (static_cast<uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8) |
                       static_cast<uint32_t>(static_cast<unsigned char>(data[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(data[i])) << 16;
    if (rest == 2) n |= static_cast<uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace zerobusd
