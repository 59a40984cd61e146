#include "daemon/config/config.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "daemon/config/key_table.h"
#include "daemon/config/proto_schema.h"

namespace zerobusd::config {

namespace detail {

std::optional<int64_t> parseInteger(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> parseByteSize(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  auto number = parseInteger(text.substr(0, digits));
  if (!number) return std::nullopt;
  std::string_view unit = text.substr(digits);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  int64_t scale = 1;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "KiB") {
    scale = 1024;
  } else if (unit == "MiB") {
    scale = 1024 * 1024;
  } else if (unit == "GiB") {
    scale = 1024 * 1024 * 1024;
  } else {
    return std::nullopt;  // KB/MB are ambiguous (1000 or 1024?): refused
  }
  if (*number > std::numeric_limits<int64_t>::max() / scale) return std::nullopt;
  return *number * scale;
}

std::optional<bool> parseBool(std::string_view text) {
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no",
                                                "No",    "off",   "Off"};
  for (auto word : kTrue) {
    if (text == word) return true;
  }
  for (auto word : kFalse) {
    if (text == word) return false;
  }
  return std::nullopt;
}

std::optional<double> parseDouble(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string showText(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  return out + "'";
}

std::string renderBytes(int64_t bytes) {
  if (bytes > 0 && bytes % (1024 * 1024) == 0) return fmt::format("{} MiB", bytes / (1024 * 1024));
  if (bytes > 0 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes / 1024);
  return std::to_string(bytes);
}

namespace {
std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string suggestion(std::string_view unknown, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, unknown.size() / 4) + 1;
  for (const auto& name : known) {
    std::size_t distance = editDistance(unknown, name);
    if (distance < best_distance) {
      best_distance = distance;
      best = name;
    }
  }
  if (best.empty() && unknown.size() >= 3) {
    // A prefix of a key, or a key plus something ("linger" for "linger_ms").
    for (const auto& name : known) {
      if (name.starts_with(unknown) || unknown.starts_with(name)) {
        best = name;
        break;
      }
    }
  }
  if (!best.empty()) return fmt::format("; did you mean '{}'?", best);
  std::string list;
  for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
  return fmt::format("; known keys here: {}", list);
}

std::string rangeText(int64_t min, int64_t max) {
  if (max == std::numeric_limits<int64_t>::max()) return fmt::format(">= {}", min);
  return fmt::format("between {} and {}", min, max);
}

bool checkReadableFile(Reader& reader, const Value& value, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    reader.error(value, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    return false;
  }
  return true;
}

}  // namespace detail

namespace {

using detail::Key;
using detail::Reader;
using detail::Value;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr std::size_t kMaxSecretBytes = 64 * 1024;
constexpr std::size_t kMaxConfigBytes = 4 * 1024 * 1024;
constexpr int64_t kServiceMaxRequest = 10LL * 1024 * 1024;  // the service's decoded limit

// --- value checks ---

bool isAsciiPrintable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::optional<std::string> checkNoSpace(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (!isAsciiPrintable(text) || text.find(' ') != std::string_view::npos) {
    return "must be printable ASCII without spaces";
  }
  return std::nullopt;
}

// Environment variable names holding secrets: upper case by convention. Refusing anything
// else also keeps a secret pasted here by mistake out of the error message.
std::optional<std::string> checkEnvName(std::string_view text) {
  bool ok = !text.empty() && !(text.front() >= '0' && text.front() <= '9') &&
            std::all_of(text.begin(), text.end(), [](char c) {
              return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            });
  if (ok) return std::nullopt;
  return "must name an environment variable in upper case ([A-Z_][A-Z0-9_]*); the value is not "
         "shown here in case it is the secret itself";
}

std::optional<std::string> checkTableName(std::string_view text) {
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || !std::all_of(part.begin(), part.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_';
        })) {
      return fmt::format(
          "must be catalog.schema.table, three non-empty parts of letters, digits "
          "and '_'; not {}",
          detail::showText(text));
    }
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts != 3) {
    return fmt::format("must be catalog.schema.table (three parts), not {}",
                       detail::showText(text));
  }
  return std::nullopt;
}

std::optional<std::string> checkLogLevel(std::string_view text) {
  static constexpr std::string_view kLevels[] = {"trace",   "debug", "info",     "warn",
                                                 "warning", "error", "critical", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), text) != std::end(kLevels)) {
    return std::nullopt;
  }
  return fmt::format("must be one of trace, debug, info, warn, error, critical, off; not {}",
                     detail::showText(text));
}

struct Url {
  bool tls = true;
  bool has_scheme = false;
  std::string host;
  int port = 0;
};

// scheme://host[:port] with at most a trailing '/'; IPv6 hosts in brackets.
std::optional<std::string> parseUrl(std::string_view text, bool require_scheme, Url& out) {
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    out.has_scheme = true;
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
    out.tls = false;
    out.has_scheme = true;
  } else if (rest.find("://") != std::string_view::npos) {
    return "must start with https:// or http://";
  } else if (require_scheme) {
    return "must start with https:// (or http:// with service.plaintext)";
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty()) return "has no host";
  if (rest.find('/') != std::string_view::npos || rest.find('?') != std::string_view::npos) {
    return "must be scheme://host[:port] without a path";
  }
  if (!isAsciiPrintable(rest) || rest.find(' ') != std::string_view::npos) {
    return "must be printable ASCII without spaces";
  }
  std::string_view port;
  if (rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return "has an unclosed '[' in the host";
    out.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return "has text after the IPv6 host";
    port = rest.empty() ? std::string_view() : rest.substr(1);
  } else {
    auto colon = rest.rfind(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (out.host.empty()) return "has no host";
  if (rest.find(':') != std::string_view::npos) {
    auto parsed = detail::parseInteger(port);
    if (!parsed || *parsed < 1 || *parsed > 65535) return "has an invalid port";
    out.port = static_cast<int>(*parsed);
  }
  return std::nullopt;
}

bool isLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// "host:port", "[v6]:port"; port 0 picks a free one (tests).
std::optional<std::string> checkListen(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return "must be host:port ([v6]:port)";
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[' && host.back() != ']') return "must be host:port ([v6]:port)";
  auto port = detail::parseInteger(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) return "has an invalid port";
  return checkNoSpace(text);
}

// gRPC metadata names: lower case token characters; the ones the stream sets itself are
// refused so a config cannot override authentication or routing.
std::optional<std::string> checkHeaderName(std::string_view name) {
  if (name.empty()) return "header names must not be empty";
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
      })) {
    return "header names must be lower case letters, digits, '-', '_' or '.'";
  }
  static constexpr std::string_view kReserved[] = {
      "authorization", "x-databricks-zerobus-table-name", "user-agent", "content-type", "te",
      "host"};
  if (std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved) ||
      name.starts_with("grpc-")) {
    return "is set by zerobusd itself and cannot be overridden";
  }
  if (name.ends_with("-bin")) return "binary (-bin) headers are not supported";
  return std::nullopt;
}

std::optional<uint32_t> lookupId(std::string_view name, bool group) {
  long size = sysconf(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  const std::string key(name);
  while (true) {
    int rc = 0;
    std::optional<uint32_t> id;
    if (group) {
      struct group entry {};
      struct group* found = nullptr;
      rc = getgrnam_r(key.c_str(), &entry, buffer.data(), buffer.size(), &found);
      if (rc == 0 && found != nullptr) id = found->gr_gid;
    } else {
      struct passwd entry {};
      struct passwd* found = nullptr;
      rc = getpwnam_r(key.c_str(), &entry, buffer.data(), buffer.size(), &found);
      if (rc == 0 && found != nullptr) id = found->pw_uid;
    }
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    return id;
  }
}

// A uid/gid given as a number or a name.
std::optional<uint32_t> readId(Reader& reader, const Value& value, bool group) {
  auto text = detail::scalarOf(reader, value, group ? "a group name or gid" : "a user name or uid");
  if (!text) return std::nullopt;
  if (auto number = detail::parseInteger(*text)) {
    if (*number < 0 || *number >= std::numeric_limits<uint32_t>::max()) {
      reader.error(value, fmt::format("{} is not a valid {}", *number, group ? "gid" : "uid"));
      return std::nullopt;
    }
    return static_cast<uint32_t>(*number);
  }
  auto id = lookupId(*text, group);
  if (!id) {
    reader.error(value,
                 fmt::format("unknown {} {}", group ? "group" : "user", detail::showText(*text)));
  }
  return id;
}

template <class S, class Id>
Key<S> idListKey(std::string name, std::vector<Id> S::*member, bool group, std::string help) {
  return detail::customKey<S>(
      std::move(name), group ? "list of group names or gids" : "list of user names or uids", "[]",
      std::move(help), [member, group](Reader& reader, const Value& value, S& out) {
        if (value.node.IsNull()) return;
        if (!value.node.IsSequence()) return reader.error(value, "must be a list");
        std::vector<Id> ids;
        for (std::size_t i = 0; i < value.node.size(); ++i) {
          const YAML::Node item = value.node[i];
          Value item_value{item, fmt::format("{}[{}]", value.path, i), detail::lineOf(item)};
          if (auto id = readId(reader, item_value, group)) ids.push_back(static_cast<Id>(*id));
        }
        out.*member = std::move(ids);
      });
}

// --- key tables, one per section (docs/configuration.md mirrors them; a test checks) ---

const std::vector<Key<ServiceConfig>>& serviceKeys() {
  using S = ServiceConfig;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    k.push_back(detail::stringKey<S>(
        "endpoint", &S::endpoint,
        "Zerobus endpoint, https://<workspace-id>.zerobus.<region>.cloud.databricks.com; required",
        checkNoSpace));
    k.push_back(detail::stringKey<S>(
        "workspace_url", &S::workspace_url,
        "Workspace URL, https://<instance>.cloud.databricks.com (OAuth token endpoint); required "
        "with auth.mode oauth",
        checkNoSpace));
    k.push_back(detail::boolKey<S>("plaintext", &S::plaintext,
                                   "h2c without TLS (test servers only); requires an http:// "
                                   "endpoint, and http:// requires it"));
    k.push_back(detail::pathKey<S>("ca_bundle_file", &S::ca_bundle_file, true,
                                   "PEM roots to verify the endpoint with; default: the system's"));
    k.push_back(detail::stringKey<S>("tls_server_name", &S::tls_server_name,
                                     "Name to verify in the server certificate instead of the "
                                     "endpoint's host (IP endpoints, tests)",
                                     checkNoSpace));
    k.push_back(detail::integerKey<S>("keepalive_time_ms", &S::keepalive_time_ms, 1000, kInt32Max,
                                      "HTTP/2 keepalive ping interval while calls are open"));
    k.push_back(detail::integerKey<S>("keepalive_timeout_ms", &S::keepalive_timeout_ms, 1000,
                                      kInt32Max,
                                      "Connection dropped when a ping is not answered "
                                      "within this"));
    k.push_back(detail::stringKey<S>(
        "user_agent_suffix", &S::user_agent_suffix,
        "Appended to the user agent \"zerobusd/<version>\" (e.g. your application's name)",
        [](std::string_view text) -> std::optional<std::string> {
          if (!isAsciiPrintable(text) || text.size() > 128) {
            return "must be printable ASCII, at most 128 characters";
          }
          return std::nullopt;
        }));
    k.push_back(detail::customKey<S>(
        "extra_headers", "mapping of string to string", "{}",
        "gRPC metadata sent on every stream (lower-case names; authorization, the table header, "
        "user-agent and grpc-* are refused)",
        [](Reader& reader, const Value& value, S& out) {
          if (value.node.IsNull()) return;
          if (!value.node.IsMap())
            return reader.error(value, "must be a mapping of header names to values");
          for (const auto& entry : value.node) {
            const int line = detail::lineOf(entry.first);
            if (!entry.first.IsScalar() || !entry.second.IsScalar()) {
              reader.error(value.path, line, "header names and values must be strings");
              continue;
            }
            const std::string name = entry.first.Scalar();
            const std::string path = value.path + "." + name;
            if (auto problem = checkHeaderName(name)) {
              reader.error(path, line, *problem);
              continue;
            }
            if (!isAsciiPrintable(entry.second.Scalar())) {
              reader.error(path, line, "header values must be printable ASCII");
              continue;
            }
            if (!out.extra_headers.emplace(name, entry.second.Scalar()).second) {
              reader.error(path, line, "set twice");
            }
          }
        }));
    return k;
  }();
  return keys;
}

const std::vector<Key<AuthConfig>>& authKeys() {
  using S = AuthConfig;
  static const std::vector<Key<S>> keys = [] {
    const std::string inline_refused =
        "inline secrets are refused: config files get copied, shared, committed and made "
        "world-readable. Put the secret in an environment variable and name it with "
        "{0}_env, or in a file (a systemd credential, a mounted secret) named with {0}_file";
    std::vector<Key<S>> k;
    k.push_back(detail::enumKey<S, AuthMode>(
        "mode", &S::mode, {{"oauth", AuthMode::OAuth}, {"static_token", AuthMode::StaticToken}},
        "oauth: client credentials against <workspace_url>/oidc/v1/token (a service principal); "
        "static_token: a fixed bearer token (tests, the fake)"));
    k.push_back(detail::stringKey<S>("client_id", &S::client_id,
                                     "OAuth client id (the service principal's application id); "
                                     "required with oauth",
                                     checkNoSpace));
    k.push_back(detail::stringKey<S>("client_secret_env", &S::client_secret_env,
                                     "Environment variable holding the OAuth client secret",
                                     checkEnvName));
    k.push_back(detail::stringKey<S>(
        "client_secret_file", &S::client_secret_file,
        "File holding the OAuth client secret (trailing newline ignored); relative: in "
        "$CREDENTIALS_DIRECTORY when set (systemd LoadCredential=), else next to this file"));
    k.push_back(detail::stringKey<S>("token_env", &S::token_env,
                                     "static_token: environment variable holding the token",
                                     checkEnvName));
    k.push_back(detail::stringKey<S>("token_file", &S::token_file,
                                     "static_token: file holding the token (resolved like "
                                     "client_secret_file)"));
    k.push_back(detail::pathKey<S>("ca_bundle_file", &S::ca_bundle_file, true,
                                   "PEM roots for the token endpoint; default: "
                                   "service.ca_bundle_file, else the system's"));
    k.push_back(detail::integerKey<S>("refresh_buffer_s", &S::refresh_buffer_s, 0, 86400,
                                      "Refresh a token this long before it expires (the SDK's "
                                      "token_refresh_buffer)"));
    k.push_back(detail::doubleKey<S>("refresh_fraction", &S::refresh_fraction, 0.05, 1.0,
                                     "... or, for short-lived tokens, once this fraction of the "
                                     "lifetime has passed, whichever is earlier"));
    k.push_back(detail::integerKey<S>("expiry_margin_s", &S::expiry_margin_s, 0, 3600,
                                      "Stop using a token this long before it expires"));
    k.push_back(detail::integerKey<S>("connect_timeout_ms", &S::connect_timeout_ms, 100, 600000,
                                      "Token endpoint: TCP+TLS connect timeout"));
    k.push_back(detail::integerKey<S>("request_timeout_ms", &S::request_timeout_ms, 100, 600000,
                                      "Token endpoint: whole request timeout, per attempt"));
    k.push_back(
        detail::integerKey<S>("fetch_attempts", &S::fetch_attempts, 1, 100,
                              "Attempts per token fetch (retriable failures: 5xx, network), "
                              "first included"));
    k.push_back(detail::refusedKey<S>("client_secret",
                                      fmt::format(fmt::runtime(inline_refused), "client_secret")));
    k.push_back(detail::refusedKey<S>("token", fmt::format(fmt::runtime(inline_refused), "token")));
    return k;
  }();
  return keys;
}

const std::vector<Key<SocketConfig>>& socketKeys() {
  using S = SocketConfig;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    k.push_back(detail::pathKey<S>("path", &S::path, false,
                                   "Unix socket producers connect to (its directory must exist; "
                                   "systemd's RuntimeDirectory= makes /run/zerobusd)"));
    k.push_back(detail::customKey<S>(
        "mode", "octal string", "0660",
        "Permissions of the socket file: who may connect (quote it: \"0660\")",
        [](Reader& reader, const Value& value, S& out) {
          if (value.node.IsNull()) return;
          auto text = detail::scalarOf(reader, value, "an octal mode like \"0660\"");
          if (!text) return;
          std::string_view digits = *text;
          if (digits.starts_with("0o")) digits.remove_prefix(2);
          uint32_t mode = 0;
          auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mode, 8);
          if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
              mode > 0777) {
            return reader.error(value,
                                fmt::format("must be an octal mode from \"0000\" to \"0777\", "
                                            "not {}",
                                            detail::showText(*text)));
          }
          out.mode = mode;
        }));
    k.push_back(detail::customKey<S>("group", "group name or gid", "(the daemon's group)",
                                     "Group owning the socket file (with mode 0660: the group "
                                     "of producers)",
                                     [](Reader& reader, const Value& value, S& out) {
                                       if (value.node.IsNull()) return;
                                       if (auto id = readId(reader, value, true)) {
                                         out.group = static_cast<gid_t>(*id);
                                       }
                                     }));
    return k;
  }();
  return keys;
}

const std::vector<Key<LimitsConfig>>& limitsKeys() {
  using S = LimitsConfig;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    k.push_back(detail::integerKey<S>("max_connections", &S::max_connections, 1, 1000000,
                                      "Producer connections at once; more are refused"));
    k.push_back(detail::integerKey<S>("max_handles_per_connection", &S::max_handles_per_connection,
                                      1, 100000, "Tables one connection may have open at once"));
    k.push_back(detail::bytesKey<S>("max_frame_bytes", &S::max_frame_bytes, 1024, 1LL << 30,
                                    "Largest frame a producer may send"));
    k.push_back(detail::integerKey<S>("max_records_per_frame", &S::max_records_per_frame, 1,
                                      10000000, "Most records in one frame"));
    k.push_back(detail::bytesKey<S>("max_record_bytes", &S::max_record_bytes, 1, kServiceMaxRequest,
                                    "Largest single record (the service takes at most 10 MiB per "
                                    "request)"));
    k.push_back(detail::integerKey<S>("connection_window_records", &S::connection_window_records, 1,
                                      kMax,
                                      "Records of one connection accepted but not yet final; then "
                                      "the daemon stops reading it"));
    k.push_back(detail::bytesKey<S>("connection_window_bytes", &S::connection_window_bytes, 1, kMax,
                                    "The same bound in record bytes"));
    k.push_back(detail::integerKey<S>("handshake_timeout_ms", &S::handshake_timeout_ms, 1, kDay,
                                      "A connection must complete its hello within this"));
    k.push_back(detail::integerKey<S>("idle_timeout_ms", &S::idle_timeout_ms, 0, kMax,
                                      "Close connections silent this long with nothing pending "
                                      "(0: never)"));
    k.push_back(detail::integerKey<S>("frame_timeout_ms", &S::frame_timeout_ms, 1, kDay,
                                      "Once a frame has begun, the rest of it must arrive within "
                                      "this (time the daemon itself is not reading excluded)"));
    return k;
  }();
  return keys;
}

const std::vector<Key<MetricsConfig>>& metricsKeys() {
  using S = MetricsConfig;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    k.push_back(detail::boolKey<S>("enabled", &S::enabled,
                                   "Serve /metrics (Prometheus), /healthz and /readyz"));
    k.push_back(detail::stringKey<S>(
        "listen", &S::listen, "host:port to serve them on; keep it on loopback", checkListen));
    return k;
  }();
  return keys;
}

const std::vector<Key<LogConfig>>& logKeys() {
  using S = LogConfig;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    k.push_back(detail::stringKey<S>(
        "level", &S::level, "trace, debug, info, warn, error, critical or off", checkLogLevel));
    k.push_back(detail::enumKey<S, LogFormat>(
        "format", &S::format, {{"text", LogFormat::Text}, {"json", LogFormat::Json}},
        "text: human-readable lines; json: one object a line"));
    return k;
  }();
  return keys;
}

const std::vector<Key<ShutdownConfig>>& shutdownKeys() {
  using S = ShutdownConfig;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    k.push_back(detail::integerKey<S>("drain_timeout_ms", &S::drain_timeout_ms, 0, kDay,
                                      "On SIGTERM: how long to wait for in-flight records to be "
                                      "acknowledged before closing anyway"));
    return k;
  }();
  return keys;
}

const std::vector<Key<PoolConfig>>& poolKeys() {
  using S = PoolConfig;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    k.push_back(detail::integerKey<S>("min_streams", &S::min_streams, 1, 1000,
                                      "Streams opened at start and kept open"));
    k.push_back(detail::integerKey<S>("max_streams", &S::max_streams, 1, 1000,
                                      "Most streams under load; >= min_streams"));
    return k;
  }();
  return keys;
}

const std::vector<Key<BatchConfig>>& batchKeys() {
  using S = BatchConfig;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    k.push_back(detail::integerKey<S>("max_records", &S::max_records, 1, 1000000,
                                      "Most records in one ingest request"));
    k.push_back(
        detail::bytesKey<S>("max_bytes", &S::max_bytes, 1, kServiceMaxRequest,
                            "Record bytes that close a batch; <= stream.max_request_bytes"));
    k.push_back(detail::integerKey<S>("linger_ms", &S::linger_ms, 0, 60000,
                                      "How long a batch waits for more records before it is sent"));
    return k;
  }();
  return keys;
}

const std::vector<Key<upstream::StreamOptions>>& streamKeys() {
  using S = upstream::StreamOptions;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    k.push_back(detail::integerKey<S>("max_inflight_records", &S::max_inflight_records, 1, kMax,
                                      "Ingest requests queued + unacknowledged per stream (the "
                                      "SDK's name and default)"));
    k.push_back(
        detail::bytesKey<S>("max_inflight_bytes", &S::max_inflight_bytes, 0, kMax,
                            "Record bytes queued + unacknowledged per stream (0: no bound)"));
    k.push_back(detail::boolKey<S>("recovery", &S::recovery,
                                   "Reconnect and replay after retriable failures"));
    k.push_back(detail::integerKey<S>("recovery_timeout_ms", &S::recovery_timeout_ms, 1, kDay,
                                      "Per (re)connection attempt, token fetch included"));
    k.push_back(detail::integerKey<S>("recovery_backoff_ms", &S::recovery_backoff_ms, 0, kDay,
                                      "Pause between failed attempts (jittered +-20%)"));
    k.push_back(detail::integerKey<S>("recovery_retries", &S::recovery_retries, 0, 1000000,
                                      "Retries after the first attempt, per failure episode"));
    k.push_back(detail::integerKey<S>("flush_timeout_ms", &S::flush_timeout_ms, 1, kDay,
                                      "Flush / close waits this long for acknowledgements"));
    k.push_back(detail::integerKey<S>("server_lack_of_ack_timeout_ms",
                                      &S::server_lack_of_ack_timeout_ms, 1, kDay,
                                      "Stream considered dead when nothing arrives this long with "
                                      "requests in flight"));
    k.push_back(detail::integerKey<S>("stream_paused_max_wait_time_ms",
                                      &S::stream_paused_max_wait_time_ms, -1, kDay,
                                      "After a close signal, wait at most this long for acks "
                                      "before moving on (-1: the server's duration)"));
    k.push_back(detail::bytesKey<S>("max_request_bytes", &S::max_request_bytes, 1024,
                                    kServiceMaxRequest,
                                    "Largest encoded ingest request (the service refuses over "
                                    "10 MiB)"));
    k.push_back(detail::integerKey<S>("drain_late_acks_ms", &S::drain_late_acks_ms, 0, 600000,
                                      "After half-closing, read late acks this long"));
    return k;
  }();
  return keys;
}

const std::vector<Key<TableConfig>>& tableKeys() {
  using S = TableConfig;
  static const std::vector<Key<S>> keys = [] {
    std::vector<Key<S>> k;
    auto name = detail::stringKey<S>(
        "name", &S::name, "catalog.schema.table (letters, digits, '_'); required", checkTableName);
    name.in_defaults = false;
    k.push_back(std::move(name));
    k.push_back(detail::enumKey<S, upstream::RecordType>(
        "record_type", &S::record_type,
        {{"proto", upstream::RecordType::Proto}, {"json", upstream::RecordType::Json}},
        "proto: records are protobuf bytes of `message`; json: each record is one JSON object"));
    k.push_back(detail::pathKey<S>("proto_file", &S::proto_file, false,
                                   "proto tables: .proto file defining `message` (compiled at "
                                   "load)"));
    k.push_back(detail::pathKey<S>("descriptor_set", &S::descriptor_set, false,
                                   "proto tables, instead of proto_file: a FileDescriptorSet "
                                   "(protoc --include_imports --descriptor_set_out)"));
    k.push_back(detail::stringKey<S>("message", &S::message,
                                     "proto tables: the record message, full name (pkg.Msg) or "
                                     "relative to the file's package",
                                     checkNoSpace));
    k.push_back(detail::customKey<S>(
        "proto_import_paths", "list of paths", "[]",
        "Directories imports are looked up in, in order (then proto_file's own directory)",
        [](Reader& reader, const Value& value, S& out) {
          if (value.node.IsNull()) return;
          if (!value.node.IsSequence()) return reader.error(value, "must be a list of directories");
          std::vector<std::string> paths;
          for (std::size_t i = 0; i < value.node.size(); ++i) {
            const YAML::Node item = value.node[i];
            Value item_value{item, fmt::format("{}[{}]", value.path, i), detail::lineOf(item)};
            auto text = detail::scalarOf(reader, item_value, "a directory");
            if (!text) continue;
            std::string dir = reader.resolve(*text);
            std::error_code ec;
            if (!std::filesystem::is_directory(dir, ec)) {
              reader.error(item_value, fmt::format("{} is not a directory", dir));
              continue;
            }
            paths.push_back(std::move(dir));
          }
          out.proto_import_paths = std::move(paths);
        }));
    k.push_back(
        detail::sectionKey<S, PoolConfig>("pool", &S::pool, poolKeys, "Streams to the table"));
    k.push_back(detail::sectionKey<S, BatchConfig>("batch", &S::batch, batchKeys,
                                                   "How records are gathered into requests"));
    k.push_back(detail::bytesKey<S>("max_queue_bytes", &S::max_queue_bytes, 1, kMax,
                                    "Record bytes accepted for the table and not yet "
                                    "acknowledged; beyond it producers are paused"));
    k.push_back(detail::boolKey<S>("validate", &S::validate,
                                   "Check each record against the schema (proto) or for being a "
                                   "JSON object (json) before it reaches a shared stream"));
    k.push_back(idListKey<S, uid_t>("allow_uids", &S::allow_uids, false,
                                    "Users (names or uids) that may write; empty with allow_gids "
                                    "empty: anyone who can open the socket"));
    k.push_back(idListKey<S, gid_t>("allow_gids", &S::allow_gids, true,
                                    "Groups (names or gids) that may write (primary group of the "
                                    "peer)"));
    k.push_back(detail::sectionKey<S, upstream::StreamOptions>(
        "stream", &S::stream, streamKeys,
        "Per-stream options, the official SDK's names and defaults"));
    return k;
  }();
  return keys;
}

struct RootNodes {
  std::optional<YAML::Node> defaults;
  int defaults_line = 0;
  std::optional<YAML::Node> tables;
  int tables_line = 0;
};

std::vector<Key<Config>> rootKeys(RootNodes* nodes) {
  using S = Config;
  std::vector<Key<S>> k;
  k.push_back(detail::sectionKey<S, ServiceConfig>("service", &S::service, serviceKeys,
                                                   "The Zerobus endpoint and how to reach it"));
  k.push_back(detail::sectionKey<S, AuthConfig>("auth", &S::auth, authKeys, "Credentials"));
  k.push_back(detail::sectionKey<S, SocketConfig>("socket", &S::socket, socketKeys,
                                                  "The Unix socket producers connect to"));
  k.push_back(detail::sectionKey<S, LimitsConfig>("limits", &S::limits, limitsKeys,
                                                  "Bounds on what producers may send"));
  k.push_back(detail::sectionKey<S, MetricsConfig>("metrics", &S::metrics, metricsKeys,
                                                   "Prometheus metrics and health endpoints"));
  k.push_back(detail::sectionKey<S, LogConfig>("log", &S::log, logKeys, "Logging"));
  k.push_back(
      detail::sectionKey<S, ShutdownConfig>("shutdown", &S::shutdown, shutdownKeys, "Stopping"));
  auto defaults = detail::customKey<S>("defaults", "mapping", "",
                                       "Table keys (all but name) applied to every table first",
                                       [nodes](Reader&, const Value& value, S&) {
                                         nodes->defaults = value.node;
                                         nodes->defaults_line = value.line;
                                       });
  defaults.describe_children = [](const std::string& prefix, std::vector<KeyDoc>& out) {
    for (const auto& key : tableKeys()) {
      if (!key.in_defaults || !key.documented) continue;
      out.push_back({prefix + key.name, key.type, key.default_text(), key.help});
      if (key.describe_children) key.describe_children(prefix + key.name + ".", out);
    }
  };
  k.push_back(std::move(defaults));
  auto tables =
      detail::customKey<S>("tables", "list", "", "The tables producers may write; at least one",
                           [nodes](Reader&, const Value& value, S&) {
                             nodes->tables = value.node;
                             nodes->tables_line = value.line;
                           });
  tables.describe_children = [](const std::string&, std::vector<KeyDoc>& out) {
    detail::describeKeys(tableKeys(), "tables[].", out);
  };
  k.push_back(std::move(tables));
  return k;
}

// --- checks across keys, after reading ---

// The line of `key` within `scope` ("tables[1]", "pool.max_streams"), looking in `defaults`
// for table keys set there; "(line N)" or "(line N, in defaults)" or "".
struct Where {
  std::string path;
  int line = 0;
  bool from_defaults = false;
};

Where whereIs(const Reader& reader, const std::string& scope, const std::string& key,
              int scope_line) {
  Where where{scope.empty() ? key : scope + "." + key, scope_line, false};
  if (auto line = reader.lineOfKey(where.path)) {
    where.line = *line;
  } else if (scope.starts_with("tables[")) {
    if (auto in_defaults = reader.lineOfKey("defaults." + key)) {
      where.line = *in_defaults;
      where.from_defaults = true;
    }
  }
  return where;
}

void errorAt(Reader& reader, const Where& where, std::string_view what) {
  if (where.from_defaults) {
    reader.addError(where.line,
                    fmt::format("{} (line {}, set in defaults): {}", where.path, where.line, what));
  } else {
    reader.error(where.path, where.line, what);
  }
}

int sectionLine(const Reader& reader, const std::string& section) {
  return reader.lineOfKey(section).value_or(0);
}

void checkService(Reader& reader, Config& config) {
  auto& service = config.service;
  const int line = sectionLine(reader, "service");
  if (service.endpoint.empty()) {
    reader.error("service.endpoint", line,
                 "is required: https://<workspace-id>.zerobus.<region>.cloud.databricks.com");
  } else {
    Url url;
    Where where = whereIs(reader, "service", "endpoint", line);
    if (auto problem = parseUrl(service.endpoint, false, url)) {
      errorAt(reader, where, *problem);
    } else if (!url.tls && !service.plaintext) {
      errorAt(reader, where,
              "is http:// (no TLS): set service.plaintext: true to confirm, or use https://");
    } else if (url.tls && service.plaintext) {
      errorAt(reader, whereIs(reader, "service", "plaintext", line),
              "plaintext: true needs an http:// endpoint (h2c); this one is https");
    }
  }
  // "https://host/" and "https://host" are the same endpoint; paths get appended to them.
  while (service.endpoint.ends_with('/')) service.endpoint.pop_back();
  while (service.workspace_url.ends_with('/')) service.workspace_url.pop_back();
  if (service.plaintext && (!service.ca_bundle_file.empty() || !service.tls_server_name.empty())) {
    reader.warn(
        "service.ca_bundle_file and service.tls_server_name have no effect with "
        "service.plaintext");
  }
  if (!service.workspace_url.empty()) {
    Url url;
    Where where = whereIs(reader, "service", "workspace_url", line);
    if (auto problem = parseUrl(service.workspace_url, true, url)) {
      errorAt(reader, where, *problem);
    } else if (!url.tls && !service.plaintext) {
      errorAt(reader, where,
              "is http://, which would send the client secret in clear: use https:// (or set "
              "service.plaintext: true for a local test server)");
    }
  }
}

std::string secretFilePath(const Reader& reader, const std::string& file) {
  std::filesystem::path path(file);
  if (path.is_absolute()) return path.lexically_normal().string();
  const std::string credentials = reader.env().credentialsDirectory();
  if (!credentials.empty())
    return (std::filesystem::path(credentials) / path).lexically_normal().string();
  return (reader.baseDir() / path).lexically_normal().string();
}

std::optional<Secret> readSecretFile(Reader& reader, const Where& where, const std::string& file) {
  const std::string path = secretFilePath(reader, file);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    errorAt(reader, where, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    return std::nullopt;
  }
  struct stat info {};
  std::string value;
  bool ok = ::fstat(fd, &info) == 0;
  if (ok && !S_ISREG(info.st_mode)) {
    errorAt(reader, where, fmt::format("{} is not a regular file", path));
    ok = false;
  } else if (ok && static_cast<std::size_t>(info.st_size) > kMaxSecretBytes) {
    errorAt(reader, where,
            fmt::format("{} is larger than {} bytes: not a secret?", path, kMaxSecretBytes));
    ok = false;
  }
  if (ok) {
    value.resize(kMaxSecretBytes + 1);
    std::size_t used = 0;
    while (used < value.size()) {
      ssize_t n = ::read(fd, value.data() + used, value.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        errorAt(reader, where, fmt::format("cannot read {}: {}", path, std::strerror(errno)));
        ok = false;
        break;
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
    }
    if (ok && used > kMaxSecretBytes) {
      errorAt(reader, where,
              fmt::format("{} is larger than {} bytes: not a secret?", path, kMaxSecretBytes));
      ok = false;
    }
    value.resize(ok ? used : 0);
  }
  ::close(fd);
  if (!ok) {
    Secret wipe(std::move(value));  // wiped on destruction
    return std::nullopt;
  }
  if ((info.st_mode & S_IROTH) != 0) {
    reader.warn(fmt::format("{} ({}) is readable by every user (mode {:04o}): chmod o-r it",
                            where.path, path, info.st_mode & 07777));
  }
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ' ||
                            value.back() == '\t')) {
    value.pop_back();
  }
  if (value.empty()) {
    errorAt(reader, where, fmt::format("{} is empty", path));
    return std::nullopt;
  }
  return Secret(std::move(value));
}

std::optional<Secret> readSecretEnv(Reader& reader, const Where& where, const std::string& name) {
  auto value = reader.env().get(name);
  if (!value) {
    errorAt(reader, where, fmt::format("environment variable {} is not set", name));
    return std::nullopt;
  }
  while (!value->empty() && (value->back() == '\n' || value->back() == '\r')) value->pop_back();
  if (value->empty()) {
    errorAt(reader, where, fmt::format("environment variable {} is empty", name));
    return std::nullopt;
  }
  return Secret(std::move(*value));
}

// Exactly one of `<base>_env` / `<base>_file`, read into `out`.
void readSecret(Reader& reader, const std::string& base, const std::string& env_name,
                const std::string& file, int line, Secret& out, std::string_view what) {
  if (env_name.empty() == file.empty()) {
    Where where = env_name.empty() ? Where{"auth." + base + "_env", line, false}
                                   : whereIs(reader, "auth", base + "_file", line);
    errorAt(reader, where,
            env_name.empty()
                ? fmt::format("{} is required: set auth.{}_env or auth.{}_file", what, base, base)
                : fmt::format("set only one of auth.{0}_env and auth.{0}_file", base));
    return;
  }
  std::optional<Secret> secret =
      env_name.empty()
          ? readSecretFile(reader, whereIs(reader, "auth", base + "_file", line), file)
          : readSecretEnv(reader, whereIs(reader, "auth", base + "_env", line), env_name);
  if (secret) out = std::move(*secret);
}

void checkAuth(Reader& reader, Config& config) {
  auto& auth = config.auth;
  const int line = sectionLine(reader, "auth");
  auto refuseKey = [&](const std::string& key, bool set, std::string_view mode) {
    if (set)
      errorAt(reader, whereIs(reader, "auth", key, line),
              fmt::format("is not used with mode {}", mode));
  };
  if (auth.mode == AuthMode::OAuth) {
    refuseKey("token_env", !auth.token_env.empty(), "oauth");
    refuseKey("token_file", !auth.token_file.empty(), "oauth");
    if (config.service.workspace_url.empty()) {
      reader.error(
          "service.workspace_url", sectionLine(reader, "service"),
          "is required with auth.mode oauth (tokens come from <workspace_url>/oidc/v1/token)");
    }
    if (auth.client_id.empty())
      reader.error("auth.client_id", line, "is required with auth.mode oauth");
    readSecret(reader, "client_secret", auth.client_secret_env, auth.client_secret_file, line,
               auth.client_secret, "the OAuth client secret");
  } else {
    refuseKey("client_id", !auth.client_id.empty(), "static_token");
    refuseKey("client_secret_env", !auth.client_secret_env.empty(), "static_token");
    refuseKey("client_secret_file", !auth.client_secret_file.empty(), "static_token");
    readSecret(reader, "token", auth.token_env, auth.token_file, line, auth.token,
               "the static token");
  }
  if (auth.ca_bundle_file.empty()) auth.ca_bundle_file = config.service.ca_bundle_file;
}

void checkSocket(Reader& reader, Config& config) {
  const int line = sectionLine(reader, "socket");
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un{}.sun_path) - 1;
  if (config.socket.path.empty() || config.socket.path.size() > kMaxPath) {
    errorAt(reader, whereIs(reader, "socket", "path", line),
            fmt::format("must be 1 to {} bytes long (a Unix socket limit), is {}", kMaxPath,
                        config.socket.path.size()));
  }
  if ((config.socket.mode & 0002) != 0) {
    reader.warn(
        fmt::format("socket.mode {:04o} lets every user on the host write records; "
                    "prefer 0660 with socket.group",
                    config.socket.mode));
  }
}

void checkLimits(Reader& reader, const Config& config) {
  const auto& limits = config.limits;
  const int line = sectionLine(reader, "limits");
  if (limits.max_record_bytes > limits.max_frame_bytes) {
    errorAt(reader, whereIs(reader, "limits", "max_record_bytes", line),
            fmt::format("must be <= limits.max_frame_bytes ({}), is {}", limits.max_frame_bytes,
                        limits.max_record_bytes));
  }
  if (limits.connection_window_bytes < limits.max_frame_bytes) {
    errorAt(reader, whereIs(reader, "limits", "connection_window_bytes", line),
            fmt::format("must be >= limits.max_frame_bytes ({}) so a full frame fits, is {}",
                        limits.max_frame_bytes, limits.connection_window_bytes));
  }
  if (limits.connection_window_records < limits.max_records_per_frame) {
    errorAt(reader, whereIs(reader, "limits", "connection_window_records", line),
            fmt::format("must be >= limits.max_records_per_frame ({}) so a full frame fits, is {}",
                        limits.max_records_per_frame, limits.connection_window_records));
  }
}

void checkMetrics(Reader& reader, const Config& config) {
  if (!config.metrics.enabled) return;
  const std::string& listen = config.metrics.listen;
  std::string_view host = std::string_view(listen).substr(0, listen.rfind(':'));
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (!isLoopbackHost(host)) {
    reader.warn(
        fmt::format("metrics.listen {} is reachable from other hosts; metrics name your "
                    "tables (bind 127.0.0.1 unless a scraper needs it)",
                    listen));
  }
}

void finishTable(Reader& reader, TableConfig& table, std::size_t index, int table_line,
                 const Config& config, std::vector<std::string>& warnings) {
  const std::string scope = fmt::format("tables[{}]", index);
  auto where = [&](const std::string& key) { return whereIs(reader, scope, key, table_line); };
  if (table.name.empty() && !reader.lineOfKey(scope + ".name")) {  // (else: already refused)
    reader.error(scope + ".name", table_line, "is required (catalog.schema.table)");
  }

  if (table.record_type == upstream::RecordType::Json) {
    auto refuse = [&](const char* key, bool set) {
      if (set) errorAt(reader, where(key), "is only for record_type proto");
    };
    refuse("proto_file", !table.proto_file.empty());
    refuse("descriptor_set", !table.descriptor_set.empty());
    refuse("message", !table.message.empty());
    refuse("proto_import_paths", !table.proto_import_paths.empty());
  } else if (table.proto_file.empty() && table.descriptor_set.empty()) {
    errorAt(reader, where("record_type"),
            "a proto table needs its schema: set proto_file (or descriptor_set) and message");
  } else if (!table.proto_file.empty() && !table.descriptor_set.empty()) {
    errorAt(reader, where("descriptor_set"), "set only one of proto_file and descriptor_set");
  } else if (table.message.empty()) {
    errorAt(reader, where(table.proto_file.empty() ? "descriptor_set" : "proto_file"),
            "needs `message`: the name of the record message");
  } else {
    ProtoSource source{table.proto_file, table.descriptor_set, table.message,
                       table.proto_import_paths};
    std::vector<std::string> protobuf_warnings;
    auto schema = loadProtoSchema(source, &protobuf_warnings);
    for (auto& warning : protobuf_warnings) warnings.push_back(scope + ": " + warning);
    if (!schema.ok()) {
      const std::string message(schema.status().message());
      const Where w =
          where(message.starts_with("unknown message") || message.starts_with("message '")
                    ? "message"
                    : (table.proto_file.empty() ? "descriptor_set" : "proto_file"));
      std::stringstream lines{message};
      for (std::string problem; std::getline(lines, problem);) errorAt(reader, w, problem);
    } else {
      table.descriptor_proto = std::move(schema->descriptor_proto);
      table.descriptor = std::move(schema->descriptor);
    }
  }

  if (table.pool.max_streams < table.pool.min_streams) {
    errorAt(reader, where("pool.max_streams"),
            fmt::format("must be >= pool.min_streams ({}), is {}", table.pool.min_streams,
                        table.pool.max_streams));
  }
  if (table.batch.max_bytes > table.stream.max_request_bytes) {
    errorAt(reader, where("batch.max_bytes"),
            fmt::format("must be <= stream.max_request_bytes ({}), is {}",
                        table.stream.max_request_bytes, table.batch.max_bytes));
  }
  if (table.max_queue_bytes < config.limits.max_record_bytes) {
    errorAt(reader, where("max_queue_bytes"),
            fmt::format("must be >= limits.max_record_bytes ({}) so any record fits, is {}",
                        config.limits.max_record_bytes, table.max_queue_bytes));
  }
  table.stream.extra_headers = config.service.extra_headers;
}

void readTables(Reader& reader, const RootNodes& nodes, Config& config) {
  TableConfig base;
  if (nodes.defaults) {
    detail::readSection(reader, *nodes.defaults, "defaults", nodes.defaults_line, tableKeys(), base,
                        /*defaults_section=*/true);
  }
  if (!nodes.tables || nodes.tables->IsNull()) {
    reader.error("tables", nodes.tables_line, "at least one table is required");
    return;
  }
  if (!nodes.tables->IsSequence()) {
    reader.error("tables", nodes.tables_line, "must be a list of tables (\"- name: ...\")");
    return;
  }
  if (nodes.tables->size() == 0) {
    reader.error("tables", nodes.tables_line, "at least one table is required");
    return;
  }
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < nodes.tables->size(); ++i) {
    const YAML::Node node = (*nodes.tables)[i];
    const std::string path = fmt::format("tables[{}]", i);
    const int line = detail::lineOf(node);
    TableConfig table = base;
    if (!node.IsMap()) {
      reader.error(path, line, "must be a mapping (name: ..., record_type: ...)");
      continue;
    }
    detail::readSection(reader, node, path, line, tableKeys(), table);
    finishTable(reader, table, i, line, config, reader.warnings());
    if (!table.name.empty()) {
      if (auto [it, fresh] = seen.emplace(table.name, i); !fresh) {
        errorAt(
            reader, whereIs(reader, path, "name", line),
            fmt::format("table {} is already configured as tables[{}]", table.name, it->second));
      }
    }
    config.tables.push_back(std::move(table));
  }
}

std::string joinErrors(const std::vector<std::string>& errors, const std::string& prefix) {
  std::string out;
  for (const auto& error : errors) {
    if (!out.empty()) out += '\n';
    out += prefix + error;
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const Config>> parse(std::string_view text,
                                                    const std::string& base_dir,
                                                    const Environment& env,
                                                    const std::string& source_path,
                                                    std::vector<std::string> warnings) {
  std::filesystem::path base =
      base_dir.empty() ? std::filesystem::current_path() : std::filesystem::path(base_dir);
  if (base.is_relative()) base = std::filesystem::absolute(base);
  Reader reader(base.lexically_normal(), env);
  reader.warnings() = std::move(warnings);
  const std::string prefix = source_path.empty() ? "" : source_path + ": ";
  auto config = std::make_shared<Config>();
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) {
      reader.error("(file)", 0, "is empty; service.endpoint and tables are required");
    } else if (!root.IsMap()) {
      reader.error("(file)", detail::lineOf(root),
                   "must be a mapping of sections (service:, auth:, ...)");
    } else {
      RootNodes nodes;
      detail::readSection(reader, root, "", 0, rootKeys(&nodes), *config);
      checkService(reader, *config);
      checkAuth(reader, *config);
      checkSocket(reader, *config);
      checkLimits(reader, *config);
      checkMetrics(reader, *config);
      readTables(reader, nodes, *config);
    }
  } catch (const YAML::Exception& e) {
    // Syntax errors: yaml-cpp's message and position (never the text around it, which could
    // be anything).
    reader.addError(e.mark.is_null() ? 0 : e.mark.line + 1,
                    e.mark.is_null() ? fmt::format("invalid YAML: {}", e.msg)
                                     : fmt::format("line {}, column {}: invalid YAML: {}",
                                                   e.mark.line + 1, e.mark.column + 1, e.msg));
  } catch (const std::exception& e) {
    // Not expected (filesystem errors on the base directory, allocation failure); still no
    // exception leaves the loader.
    reader.addError(0, fmt::format("cannot read the configuration: {}", e.what()));
  }
  if (reader.hasErrors()) {
    return absl::InvalidArgumentError(joinErrors(reader.sortedErrors(), prefix));
  }
  if (config->log.level == "warning") config->log.level = "warn";
  config->source_path = source_path;
  config->warnings = std::move(reader.warnings());
  return std::shared_ptr<const Config>(std::move(config));
}

}  // namespace

bool TableConfig::allows(uid_t uid, gid_t gid) const {
  if (allow_uids.empty() && allow_gids.empty()) return true;
  return std::find(allow_uids.begin(), allow_uids.end(), uid) != allow_uids.end() ||
         std::find(allow_gids.begin(), allow_gids.end(), gid) != allow_gids.end();
}

const TableConfig* Config::findTable(std::string_view name) const {
  for (const auto& table : tables) {
    if (table.name == name) return &table;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<const Config>> parseConfig(std::string_view yaml_text,
                                                          const std::string& base_dir,
                                                          const Environment& env) {
  return parse(yaml_text, base_dir, env, "", {});
}

absl::StatusOr<std::shared_ptr<const Config>> loadConfig(const std::string& path,
                                                         const Environment& env) {
  std::error_code ec;
  std::filesystem::path file = std::filesystem::absolute(path, ec).lexically_normal();
  if (ec) return absl::InvalidArgumentError(fmt::format("{}: {}", path, ec.message()));
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        fmt::format("cannot read config file {}: {}", file.string(), std::strerror(errno)));
  }
  struct stat info {};
  std::string text;
  std::vector<std::string> warnings;
  absl::Status status;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    status = absl::InvalidArgumentError(fmt::format("{} is not a regular file", file.string()));
  } else if (static_cast<std::size_t>(info.st_size) > kMaxConfigBytes) {
    status = absl::InvalidArgumentError(
        fmt::format("{} is larger than {} bytes", file.string(), kMaxConfigBytes));
  } else {
    text.resize(static_cast<std::size_t>(info.st_size));
    std::size_t used = 0;
    while (used < text.size()) {
      ssize_t n = ::read(fd, text.data() + used, text.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      used += static_cast<std::size_t>(n);
    }
    text.resize(used);
    if ((info.st_mode & S_IROTH) != 0) {
      warnings.push_back(fmt::format(
          "{} is readable by every user (mode {:04o}); it holds no secrets, but names their "
          "sources and the tables' access lists: chmod o-r it",
          file.string(), info.st_mode & 07777));
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  return parse(text, file.parent_path().string(), env, file.string(), std::move(warnings));
}

std::vector<KeyDoc> describeConfigKeys() {
  RootNodes unused;
  std::vector<KeyDoc> out;
  detail::describeKeys(rootKeys(&unused), "", out);
  return out;
}

}  // namespace zerobusd::config
