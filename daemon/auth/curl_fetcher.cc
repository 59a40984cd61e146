#include "daemon/auth/curl_fetcher.h"

#include <cctype>
#include <exception>
#include <map>
#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>

#include "daemon/auth/oauth_request.h"

namespace zerobusd {
namespace {

// How long the worker sleeps in curl_multi_poll when nothing happens; post() and the
// destructor wake it at once, so this only bounds curl's own timer handling.
constexpr int kPollMs = 1000;
constexpr long kMaxRedirects = 5;

bool startsWithHttps(std::string_view url) {
  constexpr std::string_view kHttps = "https://";
  if (url.size() < kHttps.size()) return false;
  for (size_t i = 0; i < kHttps.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != kHttps[i]) return false;
  }
  return true;
}

// curl codes a retry cannot fix: the request as configured is wrong, or the peer's answer is
// unusable by construction.
bool isLocalError(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct CurlFetcher::Transfer {
  Transfer(HttpPost post_request, Done on_done)
      : request(std::move(post_request)), done(std::move(on_done)) {}
  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (headers != nullptr) curl_slist_free_all(headers);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Runs `done` once; exceptions stop here, never in curl's or the worker's frames.
  void complete(absl::StatusOr<HttpAnswer> result) {
    Done callback = std::move(done);
    done = nullptr;
    if (!callback) return;
    try {
      callback(std::move(result));
    } catch (const std::exception& e) {
      spdlog::error("auth: HTTP completion callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("auth: HTTP completion callback threw");
    }
  }

  HttpPost request;
  Done done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};
};

absl::Status CurlFetcher::cancelled(const Transfer& transfer) {
  return absl::CancelledError("request to " + displayUrl(transfer.request.url) +
                              " cancelled: the HTTP worker stopped");
}

size_t CurlFetcher::onWrite(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->body.size() + bytes > transfer->request.max_answer_bytes) {
    transfer->too_large = true;
    return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, bytes);
  return bytes;
}

bool CurlFetcher::configure(Transfer& transfer, std::string* why) {
  CURL* easy = transfer.easy;
  const HttpPost& request = transfer.request;
  CURLcode code = CURLE_OK;
  const auto set = [&](CURLoption option, auto value) {
    if (code == CURLE_OK) code = curl_easy_setopt(easy, option, value);
  };
  set(CURLOPT_ERRORBUFFER, transfer.error);
  set(CURLOPT_URL, request.url.c_str());
  // Only http(s), also after redirects, and never from https down to http.
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, startsWithHttps(request.url) ? "https" : "http,https");
  set(CURLOPT_FOLLOWLOCATION, 1L);
  set(CURLOPT_MAXREDIRS, kMaxRedirects);
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDS, request.form_body.c_str());  // not copied: lives in `transfer`
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.form_body.size()));
  transfer.headers = curl_slist_append(nullptr, "Content-Type: application/x-www-form-urlencoded");
  // No "Expect: 100-continue" round trip for long forms (long table names).
  if (transfer.headers != nullptr) {
    curl_slist* with_expect = curl_slist_append(transfer.headers, "Expect:");
    if (with_expect != nullptr) transfer.headers = with_expect;
  }
  set(CURLOPT_HTTPHEADER, transfer.headers);
  if (!request.username.empty() || !request.password.empty()) {
    set(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    set(CURLOPT_USERNAME, request.username.c_str());
    set(CURLOPT_PASSWORD, request.password.c_str());
  }
  // Signals are process-wide: a library thread must not use them for DNS timeouts.
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!request.ca_file.empty()) set(CURLOPT_CAINFO, request.ca_file.c_str());
  set(CURLOPT_WRITEFUNCTION, &onWrite);
  set(CURLOPT_WRITEDATA, &transfer);
  if (code != CURLE_OK) {
    *why = curl_easy_strerror(code);
    return false;
  }
  return true;
}

absl::Status statusForCurlError(CURLcode code, std::string_view detail,
                                std::string_view display_url,
                                std::chrono::milliseconds total_timeout) {
  std::string what = "request to " + std::string(display_url);
  what += code == CURLE_OPERATION_TIMEDOUT
              ? " timed out (limit " + std::to_string(total_timeout.count()) + " ms)"
              : std::string(" failed");
  what += ": ";
  what += curl_easy_strerror(code);
  if (!detail.empty()) what += " (" + std::string(detail) + ")";
  if (code == CURLE_OPERATION_TIMEDOUT) return absl::DeadlineExceededError(what);
  if (isLocalError(code)) return absl::UnauthenticatedError(what);
  return absl::UnavailableError(what);
}

CurlFetcher::CurlFetcher() : multi_(curl_multi_init()) {
  if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
  worker_ = std::thread([this] { run(); });
}

CurlFetcher::~CurlFetcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  worker_.join();
  curl_multi_cleanup(multi_);
}

void CurlFetcher::post(HttpPost request, Done done) {
  auto transfer = std::make_unique<Transfer>(std::move(request), std::move(done));
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(transfer));
    }
  }
  if (transfer) {  // not queued: the worker is gone or going
    transfer->complete(cancelled(*transfer));
    return;
  }
  curl_multi_wakeup(multi_);
}

void CurlFetcher::run() {
  std::map<CURL*, std::unique_ptr<Transfer>> active;
  for (;;) {
    std::deque<std::unique_ptr<Transfer>> incoming;
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      incoming.swap(queue_);
    }
    for (auto& transfer : incoming) {
      const std::string url = displayUrl(transfer->request.url);
      std::string why;
      transfer->easy = curl_easy_init();
      if (transfer->easy == nullptr) {
        transfer->complete(absl::UnavailableError("request to " + url + ": curl_easy_init failed"));
        continue;
      }
      if (!configure(*transfer, &why)) {
        transfer->complete(
            absl::UnauthenticatedError("request to " + url + " not possible: " + why));
        continue;
      }
      if (CURLMcode added = curl_multi_add_handle(multi_, transfer->easy); added != CURLM_OK) {
        transfer->complete(absl::UnavailableError("request to " + url +
                                                  " not started: " + curl_multi_strerror(added)));
        continue;
      }
      CURL* easy = transfer->easy;
      active.emplace(easy, std::move(transfer));
    }

    int running = 0;
    curl_multi_perform(multi_, &running);
    int queued_messages = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued_messages)) {
      if (message->msg != CURLMSG_DONE) continue;
      // Read the message before removing its handle: removal invalidates it.
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      curl_multi_remove_handle(multi_, easy);
      auto found = active.find(easy);
      if (found == active.end()) continue;
      std::unique_ptr<Transfer> transfer = std::move(found->second);
      active.erase(found);

      const std::string url = displayUrl(transfer->request.url);
      if (transfer->too_large) {
        transfer->complete(absl::UnauthenticatedError(
            "request to " + url + " failed: the answer exceeds " +
            std::to_string(transfer->request.max_answer_bytes) + " bytes"));
      } else if (code != CURLE_OK) {
        transfer->complete(
            statusForCurlError(code, transfer->error, url, transfer->request.total_timeout));
      } else {
        HttpAnswer answer;
        curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &answer.status);
        answer.body = std::move(transfer->body);
        transfer->complete(std::move(answer));
      }
    }
    curl_multi_poll(multi_, nullptr, 0, kPollMs, nullptr);
  }

  // Stopping: abandon running transfers (removing a handle aborts it) and queued ones.
  for (auto& [easy, transfer] : active) {
    curl_multi_remove_handle(multi_, easy);
    transfer->complete(cancelled(*transfer));
  }
  std::deque<std::unique_ptr<Transfer>> leftover;
  {
    std::lock_guard lock(mu_);
    leftover.swap(queue_);
  }
  for (auto& transfer : leftover) {
    transfer->complete(cancelled(*transfer));
  }
}

}  // namespace zerobusd
