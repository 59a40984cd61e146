#include "tools/zerobusctl/workspace_client.h"

#include <algorithm>
#include <future>
#include <memory>
#include <utility>

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "daemon/auth/curl_fetcher.h"
#include "daemon/auth/oauth_request.h"
#include "tools/zerobusctl/json_depth.h"
#include "tools/zerobusctl/proto_gen.h"

namespace zerobusd::ctl {
namespace {

constexpr long kMaxRedirects = 5;
constexpr auto kMaxConnectTimeout = std::chrono::milliseconds(10'000);

// Server-sent text made safe for a terminal: printable ASCII, bounded.
std::string printable(std::string_view text, size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > limit) out += "...";
  return out;
}

bool isHttps(std::string_view url) {
  return url.size() >= 8 &&
         std::equal(url.begin(), url.begin() + 8, "https://", [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// " (TABLE_DOES_NOT_EXIST: Table 'x' does not exist.)" from a Databricks REST error body, or
// "" when the body is not one.
std::string restErrorDetail(std::string_view body) {
  if (!jsonDepthWithin(body, 16)) return "";
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return "";
  std::string code;
  std::string message;
  if (auto it = json.find("error_code"); it != json.end() && it->is_string()) {
    code = printable(it->get<std::string>(), 64);
  }
  if (auto it = json.find("message"); it != json.end() && it->is_string()) {
    message = printable(it->get<std::string>(), 300);
  }
  if (code.empty() && message.empty()) return "";
  return fmt::format(" ({}{}{})", code, !code.empty() && !message.empty() ? ": " : "", message);
}

struct Answer {
  long status = 0;
  std::string body;
  bool too_large = false;
};

size_t collect(char* data, size_t size, size_t count, void* user) {
  auto* answer = static_cast<Answer*>(user);
  const size_t bytes = size * count;
  if (answer->body.size() + bytes > kMaxUcAnswerBytes) {
    answer->too_large = true;
    return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
  }
  answer->body.append(data, bytes);
  return bytes;
}

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

absl::StatusOr<std::string> fetchCatalogToken(const WorkspaceAccess& access) {
  auto base = normalizeWorkspaceUrl(access.workspace_url);
  if (!base.ok()) return base.status();
  HttpPost post;
  post.url = tokenEndpointUrl(*base);
  post.form_body = "grant_type=client_credentials&scope=all-apis";
  post.username = access.client_id;
  post.password = access.client_secret;
  post.connect_timeout = std::min(access.timeout, kMaxConnectTimeout);
  post.total_timeout = access.timeout;
  post.ca_file = access.ca_file;
  post.max_answer_bytes = kMaxTokenResponseBytes;

  std::promise<absl::StatusOr<HttpAnswer>> answered;
  auto future = answered.get_future();
  {
    CurlFetcher fetcher;
    fetcher.post(std::move(post), [&answered](absl::StatusOr<HttpAnswer> answer) {
      answered.set_value(std::move(answer));
    });
    future.wait();
  }
  absl::StatusOr<HttpAnswer> answer = future.get();
  const std::string endpoint = displayUrl(tokenEndpointUrl(*base));
  absl::StatusOr<TokenResponse> token =
      answer.ok() ? interpretTokenAnswer(answer->status, answer->body, endpoint)
                  : absl::StatusOr<TokenResponse>(answer.status());
  if (!token.ok()) {
    return absl::Status(token.status().code(), redactSecrets(std::string(token.status().message()),
                                                             {access.client_secret}));
  }
  return std::move(token->access_token);
}

absl::StatusOr<std::string> fetchUcTableJson(const WorkspaceAccess& access, std::string_view token,
                                             std::string_view full_name) {
  auto base = normalizeWorkspaceUrl(access.workspace_url);
  if (!base.ok()) return base.status();
  const std::string url = *base + "/api/2.1/unity-catalog/tables/" + formUrlEncode(full_name);
  const std::string shown = displayUrl(url);
  auto redact = [&](std::string text) {
    return redactSecrets(std::move(text), {access.client_secret, token});
  };

  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return absl::InternalError("curl_easy_init failed");
  curl_slist* list = nullptr;
  for (const std::string& header :
       {"Authorization: Bearer " + std::string(token), std::string("Accept: application/json")}) {
    curl_slist* grown = curl_slist_append(list, header.c_str());
    if (grown == nullptr) {
      curl_slist_free_all(list);
      return absl::InternalError("curl_slist_append failed");
    }
    list = grown;
  }
  std::unique_ptr<curl_slist, ListDeleter> headers(list);
  Answer answer;
  char error[CURL_ERROR_SIZE] = {};
  CURLcode code = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (code == CURLE_OK) code = curl_easy_setopt(easy.get(), option, value);
  };
  set(CURLOPT_ERRORBUFFER, error);
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  // Never from https down to http; curl drops the Authorization header on a redirect to
  // another host.
  set(CURLOPT_REDIR_PROTOCOLS_STR, isHttps(url) ? "https" : "http,https");
  set(CURLOPT_FOLLOWLOCATION, 1L);
  set(CURLOPT_MAXREDIRS, kMaxRedirects);
  set(CURLOPT_HTTPHEADER, headers.get());
  set(CURLOPT_USERAGENT, "zerobusctl");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::min(access.timeout, kMaxConnectTimeout).count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(access.timeout.count()));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!access.ca_file.empty()) set(CURLOPT_CAINFO, access.ca_file.c_str());
  set(CURLOPT_WRITEFUNCTION, &collect);
  set(CURLOPT_WRITEDATA, &answer);
  if (code != CURLE_OK) {
    return absl::InternalError(fmt::format("curl refused an option: {}", curl_easy_strerror(code)));
  }
  code = curl_easy_perform(easy.get());
  if (answer.too_large) {
    return absl::InvalidArgumentError(
        fmt::format("the answer of {} is larger than {} bytes", shown, kMaxUcAnswerBytes));
  }
  if (code != CURLE_OK) {
    absl::Status failed = statusForCurlError(code, error, shown, access.timeout);
    return absl::Status(failed.code(), redact(std::string(failed.message())));
  }
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  if (answer.status >= 200 && answer.status < 300) return std::move(answer.body);

  const std::string detail = redact(restErrorDetail(answer.body));
  const std::string said = fmt::format("{} answered HTTP {}{}", shown, answer.status, detail);
  switch (answer.status) {
    case 401:
      return absl::UnauthenticatedError(said + ": the token was refused");
    case 403:
      return absl::PermissionDeniedError(
          said + ": the service principal needs USE CATALOG, USE SCHEMA and SELECT on the table");
    case 404:
      return absl::NotFoundError(said + ": no such table in Unity Catalog");
    default:
      if (answer.status >= 500) return absl::UnavailableError(said + ": try again later");
      return absl::UnknownError(said);
  }
}

}  // namespace zerobusd::ctl
