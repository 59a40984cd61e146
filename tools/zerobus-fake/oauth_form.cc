#include "tools/zerobus-fake/oauth_form.h"

#include <cctype>
#include <cstdint>
#include <utility>

#include <absl/status/status.h>
#include <nlohmann/json.hpp>

namespace zerobusd::fake {
namespace {

constexpr std::string_view kResourcePrefix = "api://databricks/workspaces/";
constexpr std::string_view kResourceSuffix = "/zerobusDirectWriteApi";
constexpr std::string_view kDetailType = "unity_catalog_privileges";
constexpr std::string_view kAllPrivileges = "ALL PRIVILEGES";
constexpr std::string_view kWriteOperation = "zerobuswrite";

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

std::optional<std::string> base64Decode(std::string_view text) {
  // Padding is optional on input, but only at the end and only to complete a 4-char group.
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base64Value(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffU));
    }
  }
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

// Splits "<scheme> <credentials>" and returns the credentials when the scheme matches.
std::optional<std::string_view> credentialsFor(std::string_view authorization,
                                               std::string_view scheme) {
  authorization = trim(authorization);
  const size_t space = authorization.find(' ');
  if (space == std::string_view::npos ||
      !equalsIgnoreCase(authorization.substr(0, space), scheme)) {
    return std::nullopt;
  }
  const std::string_view credentials = trim(authorization.substr(space + 1));
  if (credentials.empty()) {
    return std::nullopt;
  }
  return credentials;
}

std::string lowerAscii(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

// Privileges are upper case in SQL and in the UC REST enum ("USE_CATALOG"); read both.
std::string normalizePrivilege(std::string text) {
  for (char& c : text) {
    c = c == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text;
}

size_t partCount(std::string_view path) {
  size_t parts = 1;
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '.') {
      if (i == start) {
        return 0;  // an empty part makes the whole path invalid
      }
      if (i < path.size()) {
        ++parts;
      }
      start = i + 1;
    }
  }
  return parts;
}

absl::Status entryError(size_t index, std::string_view what) {
  return absl::InvalidArgumentError("authorization_details[" + std::to_string(index) + "]" +
                                    std::string(what));
}

absl::StatusOr<std::set<std::string>> stringSet(const nlohmann::json& value, size_t index,
                                                std::string_view field, bool upper) {
  if (!value.is_array()) {
    return entryError(index, "." + std::string(field) + " must be an array of strings");
  }
  std::set<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string()) {
      return entryError(index, "." + std::string(field) + " must be an array of strings");
    }
    const auto& text = item.get_ref<const std::string&>();
    out.insert(upper ? normalizePrivilege(text) : lowerAscii(text));
  }
  return out;
}

absl::StatusOr<UcPrivilegeDetail> parseEntry(const nlohmann::json& entry, size_t index) {
  if (!entry.is_object()) {
    return entryError(index, " must be an object");
  }
  const auto type = entry.find("type");
  if (type == entry.end() || !type->is_string()) {
    return entryError(index, ".type must be a string");
  }
  if (type->get_ref<const std::string&>() != kDetailType) {
    return entryError(index, ".type must be \"unity_catalog_privileges\"");
  }

  UcPrivilegeDetail detail;
  const auto privileges = entry.find("privileges");
  if (privileges == entry.end()) {
    return entryError(index, ".privileges is missing");
  }
  auto privilege_set = stringSet(*privileges, index, "privileges", /*upper=*/true);
  if (!privilege_set.ok()) {
    return privilege_set.status();
  }
  if (privilege_set->empty()) {
    return entryError(index, ".privileges is empty");
  }
  detail.privileges = *std::move(privilege_set);

  const auto object_type = entry.find("object_type");
  if (object_type == entry.end() || !object_type->is_string()) {
    return entryError(index, ".object_type must be a string");
  }
  detail.object_type = normalizePrivilege(object_type->get<std::string>());
  size_t expected_parts = 0;
  if (detail.object_type == "CATALOG") {
    expected_parts = 1;
  } else if (detail.object_type == "SCHEMA") {
    expected_parts = 2;
  } else if (detail.object_type == "TABLE") {
    expected_parts = 3;
  } else {
    return entryError(index, ".object_type must be CATALOG, SCHEMA or TABLE");
  }

  const auto path = entry.find("object_full_path");
  if (path == entry.end() || !path->is_string()) {
    return entryError(index, ".object_full_path must be a string");
  }
  detail.object_full_path = lowerAscii(path->get<std::string>());
  if (partCount(detail.object_full_path) != expected_parts) {
    return entryError(index, ".object_full_path must have " + std::to_string(expected_parts) +
                                 " non-empty dot-separated part(s) for " + detail.object_type);
  }

  const auto operations = entry.find("operations");
  if (operations != entry.end()) {
    auto operation_set = stringSet(*operations, index, "operations", /*upper=*/false);
    if (!operation_set.ok()) {
      return operation_set.status();
    }
    detail.operations = *std::move(operation_set);
  }
  return detail;
}

bool hasPrivilege(const UcPrivilegeDetail& detail, std::string_view privilege) {
  return detail.privileges.count(std::string(privilege)) != 0 ||
         detail.privileges.count(std::string(kAllPrivileges)) != 0;
}

}  // namespace

absl::StatusOr<std::string> percentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return absl::InvalidArgumentError("truncated percent-escape");
      }
      const int hi = hexValue(text[i + 1]);
      const int lo = hexValue(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError("bad percent-escape");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> parseForm(std::string_view body) {
  std::map<std::string, std::string> form;
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const size_t eq = pair.find('=');
    auto name = percentDecode(pair.substr(0, eq), /*plus_as_space=*/true);
    if (!name.ok()) {
      return absl::InvalidArgumentError("malformed form body: " +
                                        std::string(name.status().message()));
    }
    absl::StatusOr<std::string> value = std::string();
    if (eq != std::string_view::npos) {
      value = percentDecode(pair.substr(eq + 1), /*plus_as_space=*/true);
      if (!value.ok()) {
        return absl::InvalidArgumentError(
            "malformed form body: " + std::string(value.status().message()) + " in " + *name);
      }
    }
    if (name->empty()) {
      return absl::InvalidArgumentError("malformed form body: a parameter has no name");
    }
    if (!form.emplace(*name, *std::move(value)).second) {
      return absl::InvalidArgumentError("parameter " + *name + " is repeated");
    }
  }
  return form;
}

bool isFormContentType(std::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  return equalsIgnoreCase(trim(content_type.substr(0, semicolon)),
                          "application/x-www-form-urlencoded");
}

std::optional<ClientCredentials> parseBasicAuth(std::string_view authorization) {
  const auto encoded = credentialsFor(authorization, "Basic");
  if (!encoded) {
    return std::nullopt;
  }
  const auto decoded = base64Decode(*encoded);
  if (!decoded) {
    return std::nullopt;
  }
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  return ClientCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::optional<std::string> parseBearerToken(std::string_view authorization) {
  const auto token = credentialsFor(authorization, "Bearer");
  if (!token) {
    return std::nullopt;
  }
  return std::string(*token);
}

std::optional<std::string> workspaceIdFromResource(std::string_view resource) {
  if (resource.size() <= kResourcePrefix.size() + kResourceSuffix.size() ||
      resource.substr(0, kResourcePrefix.size()) != kResourcePrefix ||
      resource.substr(resource.size() - kResourceSuffix.size()) != kResourceSuffix) {
    return std::nullopt;
  }
  return std::string(resource.substr(
      kResourcePrefix.size(), resource.size() - kResourcePrefix.size() - kResourceSuffix.size()));
}

absl::StatusOr<std::vector<UcPrivilegeDetail>> parseAuthorizationDetails(
    std::string_view json_text) {
  const nlohmann::json parsed =
      nlohmann::json::parse(json_text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError("authorization_details is not valid JSON");
  }
  if (!parsed.is_array()) {
    return absl::InvalidArgumentError("authorization_details must be a JSON array");
  }
  if (parsed.empty()) {
    return absl::InvalidArgumentError("authorization_details is empty");
  }
  if (parsed.size() > kMaxAuthorizationDetails) {
    return absl::InvalidArgumentError("authorization_details has more than " +
                                      std::to_string(kMaxAuthorizationDetails) + " entries");
  }
  std::vector<UcPrivilegeDetail> details;
  details.reserve(parsed.size());
  for (size_t i = 0; i < parsed.size(); ++i) {
    auto detail = parseEntry(parsed[i], i);
    if (!detail.ok()) {
      return detail.status();
    }
    details.push_back(*std::move(detail));
  }
  return details;
}

std::set<std::string> writableTables(const std::vector<UcPrivilegeDetail>& details) {
  std::set<std::string> usable_catalogs;
  std::set<std::string> usable_schemas;
  for (const auto& detail : details) {
    if (detail.object_type == "CATALOG" && hasPrivilege(detail, "USE CATALOG")) {
      usable_catalogs.insert(detail.object_full_path);
    } else if (detail.object_type == "SCHEMA" && hasPrivilege(detail, "USE SCHEMA")) {
      usable_schemas.insert(detail.object_full_path);
    }
  }
  std::set<std::string> tables;
  for (const auto& detail : details) {
    if (detail.object_type != "TABLE" || !hasPrivilege(detail, "MODIFY")) {
      continue;
    }
    // [inferred] the newer SDK names the operation; a client naming others but not this one
    // is taken not to ask for stream writes (protocol §17 item 10).
    if (detail.operations && detail.operations->count(std::string(kWriteOperation)) == 0) {
      continue;
    }
    const std::string& path = detail.object_full_path;
    const size_t first_dot = path.find('.');
    const size_t second_dot = path.find('.', first_dot + 1);
    if (usable_catalogs.count(path.substr(0, first_dot)) != 0 &&
        usable_schemas.count(path.substr(0, second_dot)) != 0) {
      tables.insert(path);
    }
  }
  return tables;
}

}  // namespace zerobusd::fake
