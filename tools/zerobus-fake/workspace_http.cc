#include "tools/zerobus-fake/workspace_http.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <optional>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "tools/zerobus-fake/oauth_form.h"

namespace zerobusd::fake {
namespace {

// Routes tolerate one extra leading slash: clients build URLs by plain concatenation, so a
// workspace URL configured with a trailing '/' yields "//oidc/v1/token" (protocol §9).
constexpr char kTokenRoute[] = R"(//?oidc/v1/token)";
constexpr char kUcTableRoute[] = R"(//?api/2\.1/unity-catalog/tables/(.+))";

constexpr char kJson[] = "application/json";
constexpr char kScope[] = "all-apis";

const std::set<std::string>& bodyModes() {
  static const std::set<std::string> modes = {
      "", "malformed", "no_access_token", "expires_quoted", "expires_zero", "expires_missing"};
  return modes;
}

bool validFaultStatus(int status) { return status >= 400 && status <= 599; }

// Client-controlled text (table names, workspace ids) can be invalid UTF-8; never let that
// make serialisation throw.
std::string dumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string lowerAscii(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

// The OAuth `error` an injected status answers with (RFC 6749 §5.2 names where one exists).
std::string oauthErrorFor(int status) {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "invalid_client";
    case 403:
      return "access_denied";
    case 429:
      return "rate_limited";
    case 503:
      return "temporarily_unavailable";
    default:
      return status >= 500 ? "server_error" : "invalid_request";
  }
}

// The Databricks REST `error_code` an injected status answers with.
std::string ucErrorFor(int status) {
  switch (status) {
    case 400:
      return "INVALID_PARAMETER_VALUE";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 429:
      return "REQUEST_LIMIT_EXCEEDED";
    case 503:
      return "TEMPORARILY_UNAVAILABLE";
    default:
      return status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
  }
}

}  // namespace

struct WorkspaceHttp::Reply {
  Reply() = default;
  Reply(int status_code, std::string json_body) : status(status_code), body(std::move(json_body)) {}

  void writeTo(httplib::Response& response) const {
    response.status = status;
    for (const auto& [name, value] : headers) {
      response.set_header(name, value);
    }
    response.set_content(body, content_type.c_str());
  }

  int status = 200;
  std::string body;
  std::string content_type = kJson;
  httplib::Headers headers;
};

absl::Status validateTokenFaults(const TokenFaults& faults) {
  if (faults.status != 0 && !validFaultStatus(faults.status)) {
    return absl::InvalidArgumentError("status must be 0 or 400..599");
  }
  if (faults.count < -1) {
    return absl::InvalidArgumentError("count must be -1 (until cleared) or >= 0");
  }
  if (faults.delay_ms < 0 || faults.delay_ms > kMaxFaultDelayMs) {
    return absl::InvalidArgumentError("delay_ms must be 0.." + std::to_string(kMaxFaultDelayMs));
  }
  if (bodyModes().count(faults.body_mode) == 0) {
    return absl::InvalidArgumentError(
        "body_mode must be one of \"\", malformed, no_access_token, expires_quoted, "
        "expires_zero, expires_missing");
  }
  if (faults.lifetime_s < 0) {
    return absl::InvalidArgumentError("lifetime_s must be >= 0");
  }
  return absl::OkStatus();
}

absl::Status validateUcFaults(const UcFaults& faults) {
  if (faults.status != 0 && !validFaultStatus(faults.status)) {
    return absl::InvalidArgumentError("status must be 0 or 400..599");
  }
  if (faults.count < -1) {
    return absl::InvalidArgumentError("count must be -1 (until cleared) or >= 0");
  }
  if (faults.delay_ms < 0 || faults.delay_ms > kMaxFaultDelayMs) {
    return absl::InvalidArgumentError("delay_ms must be 0.." + std::to_string(kMaxFaultDelayMs));
  }
  return absl::OkStatus();
}

WorkspaceHttp::WorkspaceHttp(const FakeConfig& config, TokenAuthority& tokens)
    : workspace_id_(config.workspace_id),
      token_lifetime_s_(config.token_lifetime_s),
      tokens_(tokens) {
  for (const OAuthClient& client : config.clients) {
    clients_.emplace(client.id, client.secret);  // the first of repeated ids wins
  }
  for (const FakeTable& table : config.tables) {
    tables_.emplace(lowerAscii(table.schema.full_name), table.schema);
  }
  for (const std::string& token : config.static_tokens) {
    tokens_.addStatic(token);
  }
}

WorkspaceHttp::~WorkspaceHttp() { releaseDelays(); }

void WorkspaceHttp::registerRoutes(httplib::Server& server) {
  server.Post(kTokenRoute, [this](const httplib::Request& request, httplib::Response& response) {
    handleToken(request, response);
  });
  server.Get(kUcTableRoute, [this](const httplib::Request& request, httplib::Response& response) {
    handleUcTable(request, response);
  });
}

void WorkspaceHttp::setTokenFaults(const TokenFaults& faults) {
  {
    std::lock_guard lock(mu_);
    token_faults_ = faults;
  }
  faults_changed_.notify_all();
}

void WorkspaceHttp::setUcFaults(const UcFaults& faults) {
  {
    std::lock_guard lock(mu_);
    uc_faults_ = faults;
  }
  faults_changed_.notify_all();
}

TokenFaults WorkspaceHttp::tokenFaults() const {
  std::lock_guard lock(mu_);
  return token_faults_;
}

UcFaults WorkspaceHttp::ucFaults() const {
  std::lock_guard lock(mu_);
  return uc_faults_;
}

void WorkspaceHttp::releaseDelays() {
  {
    std::lock_guard lock(mu_);
    delays_released_ = true;
  }
  faults_changed_.notify_all();
}

nlohmann::json WorkspaceHttp::counters() const {
  std::lock_guard lock(mu_);
  return {
      {"token_requests", token_requests_},
      {"tokens_issued", tokens_issued_},
      {"token_refused", token_refused_},
      {"token_faults_fired", token_faults_fired_},
      {"token_delayed", token_delayed_},
      {"uc_requests", uc_requests_},
      {"uc_served", uc_served_},
      {"uc_refused", uc_refused_},
      {"uc_faults_fired", uc_faults_fired_},
      {"uc_delayed", uc_delayed_},
  };
}

void WorkspaceHttp::resetCounters() {
  std::lock_guard lock(mu_);
  token_requests_ = 0;
  tokens_issued_ = 0;
  token_refused_.clear();
  token_faults_fired_ = 0;
  token_delayed_ = 0;
  uc_requests_ = 0;
  uc_served_ = 0;
  uc_refused_.clear();
  uc_faults_fired_ = 0;
  uc_delayed_ = 0;
}

void WorkspaceHttp::delayLocked(std::unique_lock<std::mutex>& lock,
                                const std::function<int()>& delay_ms, uint64_t& delayed) {
  const auto start = std::chrono::steady_clock::now();
  bool counted = false;
  while (!delays_released_) {
    const int wait_ms = std::clamp(delay_ms(), 0, kMaxFaultDelayMs);
    const auto until = start + std::chrono::milliseconds(wait_ms);
    if (wait_ms == 0 || std::chrono::steady_clock::now() >= until) {
      return;
    }
    if (!counted) {
      ++delayed;  // counted when the wait starts, so tests can see a request being held
      counted = true;
    }
    faults_changed_.wait_until(lock, until);
  }
}

void WorkspaceHttp::handleToken(const httplib::Request& request, httplib::Response& response) {
  Reply reply;
  // Exceptions must not reach httplib, which would answer 500 with the message in a header.
  try {
    reply = tokenReply(request);
  } catch (const std::exception& e) {
    spdlog::error("zerobus-fake: token endpoint failed: {}", e.what());
    reply = Reply{500, dumpJson({{"error", "server_error"}, {"error_description", e.what()}})};
  }
  reply.writeTo(response);
}

void WorkspaceHttp::handleUcTable(const httplib::Request& request, httplib::Response& response) {
  Reply reply;
  try {
    reply = ucReply(request);
  } catch (const std::exception& e) {
    spdlog::error("zerobus-fake: unity catalog endpoint failed: {}", e.what());
    reply = Reply{500, dumpJson({{"error_code", "INTERNAL_ERROR"}, {"message", e.what()}})};
  }
  reply.writeTo(response);
}

WorkspaceHttp::Reply WorkspaceHttp::refuseToken(int status, const std::string& error,
                                                const std::string& description) {
  {
    std::lock_guard lock(mu_);
    ++token_refused_[error];
  }
  spdlog::debug("zerobus-fake: token request refused: {} {} ({})", status, error, description);
  Reply reply{status, dumpJson({{"error", error}, {"error_description", description}})};
  if (status == 401) {
    reply.headers.emplace("WWW-Authenticate", "Basic realm=\"zerobus-fake\"");
  }
  return reply;
}

WorkspaceHttp::Reply WorkspaceHttp::refuseUc(int status, const std::string& error_code,
                                             const std::string& message) {
  {
    std::lock_guard lock(mu_);
    ++uc_refused_[error_code];
  }
  spdlog::debug("zerobus-fake: unity catalog request refused: {} {} ({})", status, error_code,
                message);
  return Reply{status, dumpJson({{"error_code", error_code}, {"message", message}})};
}

WorkspaceHttp::Reply WorkspaceHttp::tokenReply(const httplib::Request& request) {
  int fault_status = 0;
  std::string body_mode;
  int64_t lifetime_s = token_lifetime_s_;
  {
    std::unique_lock lock(mu_);
    ++token_requests_;
    const auto current_delay = [this] { return token_faults_.delay_ms; };
    delayLocked(lock, current_delay, token_delayed_);
    if (validFaultStatus(token_faults_.status) && token_faults_.count != 0) {
      if (token_faults_.count > 0) {
        --token_faults_.count;
      }
      ++token_faults_fired_;
      fault_status = token_faults_.status;
    }
    if (bodyModes().count(token_faults_.body_mode) != 0) {
      body_mode = token_faults_.body_mode;
    }
    if (token_faults_.lifetime_s > 0) {
      lifetime_s = token_faults_.lifetime_s;
    }
  }
  if (fault_status != 0) {
    spdlog::debug("zerobus-fake: token request answered by injected fault {}", fault_status);
    Reply reply{fault_status, dumpJson({{"error", oauthErrorFor(fault_status)},
                                        {"error_description", "injected fault"}})};
    if (fault_status == 429 || fault_status == 503) {
      reply.headers.emplace("Retry-After", "1");
    }
    return reply;
  }

  const auto credentials = parseBasicAuth(request.get_header_value("Authorization"));
  if (!credentials) {
    return refuseToken(401, "invalid_client", "HTTP Basic client authentication is required");
  }
  const auto client = clients_.find(credentials->id);
  if (client == clients_.end() || client->second != credentials->secret) {
    return refuseToken(401, "invalid_client", "Client authentication failed");
  }
  if (!isFormContentType(request.get_header_value("Content-Type"))) {
    return refuseToken(400, "invalid_request",
                       "Content-Type must be application/x-www-form-urlencoded");
  }
  const auto form = parseForm(request.body);
  if (!form.ok()) {
    return refuseToken(400, "invalid_request", std::string(form.status().message()));
  }
  const auto field = [&form](const char* name) -> std::optional<std::string> {
    const auto it = form->find(name);
    return it == form->end() ? std::nullopt : std::optional<std::string>(it->second);
  };

  const auto grant_type = field("grant_type");
  if (!grant_type) {
    return refuseToken(400, "invalid_request", "grant_type is missing");
  }
  if (*grant_type != "client_credentials") {
    return refuseToken(400, "unsupported_grant_type", "grant_type must be client_credentials");
  }
  if (field("scope") != kScope) {
    return refuseToken(400, "invalid_scope", "scope must be all-apis");
  }

  TokenGrant grant;
  const auto resource = field("resource");
  const auto details_text = field("authorization_details");
  std::optional<std::vector<UcPrivilegeDetail>> details;
  if (details_text) {
    auto parsed = parseAuthorizationDetails(*details_text);
    if (!parsed.ok()) {
      return refuseToken(400, "invalid_request", std::string(parsed.status().message()));
    }
    details = *std::move(parsed);
  }
  if (resource) {
    const auto workspace_id = workspaceIdFromResource(*resource);
    if (!workspace_id) {
      return refuseToken(
          400, "invalid_target",
          "resource must be api://databricks/workspaces/<workspace-id>/zerobusDirectWriteApi");
    }
    if (!workspace_id_.empty() && *workspace_id != workspace_id_) {
      return refuseToken(400, "invalid_target",
                         "resource names workspace '" + *workspace_id + "', not this one");
    }
    if (!details) {
      return refuseToken(400, "invalid_request", "authorization_details is required with resource");
    }
    grant.ingest = true;
    grant.tables = writableTables(*details);
  }
  // Without a resource the token is schema-only: it grants no table (see the header).

  if (body_mode == "malformed") {
    std::lock_guard lock(mu_);
    ++token_faults_fired_;
    return Reply{200, R"({"access_token":)"};
  }
  if (body_mode == "no_access_token") {
    std::lock_guard lock(mu_);
    ++token_faults_fired_;
    return Reply{
        200, dumpJson({{"token_type", "Bearer"}, {"expires_in", lifetime_s}, {"scope", kScope}})};
  }

  if (spdlog::should_log(spdlog::level::debug)) {
    std::string tables;
    for (const std::string& table : grant.tables) {
      tables += (tables.empty() ? "" : ",") + table;
    }
    spdlog::debug("zerobus-fake: {} token for client {} (tables: {}), lifetime {} s",
                  grant.ingest ? "ingest" : "schema-only", credentials->id,
                  tables.empty() ? "none" : tables, lifetime_s);
  }
  nlohmann::json body = {
      {"access_token", tokens_.mint(std::move(grant), std::chrono::seconds(lifetime_s))},
      {"token_type", "Bearer"},
      {"scope", kScope}};
  {
    std::lock_guard lock(mu_);
    ++tokens_issued_;
    if (!body_mode.empty()) {
      ++token_faults_fired_;
    }
  }
  if (body_mode == "expires_quoted") {
    body["expires_in"] = std::to_string(lifetime_s);
  } else if (body_mode == "expires_zero") {
    body["expires_in"] = 0;
  } else if (body_mode != "expires_missing") {
    body["expires_in"] = lifetime_s;
  }
  Reply reply{200, dumpJson(body)};
  reply.headers.emplace("Cache-Control", "no-store");  // RFC 6749 §5.1
  return reply;
}

WorkspaceHttp::Reply WorkspaceHttp::ucReply(const httplib::Request& request) {
  int fault_status = 0;
  bool reject_ingest_tokens = false;
  {
    std::unique_lock lock(mu_);
    ++uc_requests_;
    const auto current_delay = [this] { return uc_faults_.delay_ms; };
    delayLocked(lock, current_delay, uc_delayed_);
    if (validFaultStatus(uc_faults_.status) && uc_faults_.count != 0) {
      if (uc_faults_.count > 0) {
        --uc_faults_.count;
      }
      ++uc_faults_fired_;
      fault_status = uc_faults_.status;
    }
    reject_ingest_tokens = uc_faults_.reject_ingest_tokens;
  }
  if (fault_status != 0) {
    spdlog::debug("zerobus-fake: unity catalog request answered by injected fault {}",
                  fault_status);
    Reply reply{fault_status, dumpJson({{"error_code", ucErrorFor(fault_status)},
                                        {"message", "injected fault"}})};
    if (fault_status == 429 || fault_status == 503) {
      reply.headers.emplace("Retry-After", "1");
    }
    return reply;
  }

  // httplib percent-decodes the path before routing, so the match is the decoded name.
  const std::string name = request.matches.size() > 1 ? request.matches[1].str() : std::string();
  const auto token = parseBearerToken(request.get_header_value("Authorization"));
  if (!token) {
    return refuseUc(401, "UNAUTHENTICATED", "Bearer token authentication is required.");
  }
  TokenGrant grant;
  switch (tokens_.lookup(*token, &grant)) {
    case TokenCheck::Ok:
      break;
    case TokenCheck::Expired:
      return refuseUc(401, "UNAUTHENTICATED", "Token is expired.");
    case TokenCheck::Unknown:
    case TokenCheck::NotGranted:
      return refuseUc(401, "UNAUTHENTICATED", "Invalid access token.");
  }
  if (reject_ingest_tokens && grant.ingest) {
    {
      std::lock_guard lock(mu_);
      ++uc_faults_fired_;
    }
    spdlog::debug("zerobus-fake: unity catalog request with an ingest-scoped token refused");
    return Reply{403, dumpJson({{"error_code", "PERMISSION_DENIED"},
                                {"message",
                                 "The token's authorization details do not allow "
                                 "this API (ingest-scoped token)."}})};
  }
  const TableSchema* table = findTable(name);
  if (table == nullptr) {
    return refuseUc(404, "TABLE_DOES_NOT_EXIST", "Table '" + name + "' does not exist.");
  }
  {
    std::lock_guard lock(mu_);
    ++uc_served_;
  }
  spdlog::debug("zerobus-fake: unity catalog schema of {} served", table->full_name);
  return Reply{200, dumpJson(unityCatalogTableJson(*table))};
}

const TableSchema* WorkspaceHttp::findTable(const std::string& full_name) const {
  const auto it = tables_.find(lowerAscii(full_name));
  return it == tables_.end() ? nullptr : &it->second;
}

}  // namespace zerobusd::fake
