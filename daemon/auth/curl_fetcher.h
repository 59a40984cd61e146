#pragma once
// The process's one HTTP worker: a queue of POST requests that a single thread runs with
// libcurl's multi interface, so a slow or hanging token endpoint never blocks the event loop
// and token requests of different workspaces do not wait for each other. Every token source of
// the daemon shares one CurlFetcher (the composition root makes it and destroys it after the
// token sources' owner, before the event loop).
//
// curl_global_init(CURL_GLOBAL_DEFAULT) is the caller's job: call it once in main() before
// making a CurlFetcher (and curl_global_cleanup() after destroying it); libcurl's global setup
// is not something a library may do behind the program's back.
//
// Thread affinity: post() from any thread; `done` runs on the worker thread and must only hand
// the result on (EventLoop::post) without blocking. The destructor stops the worker: requests
// still queued or running end with CANCELLED, and it returns without waiting for the server.
//
// Transport: HTTP/1.1 POST, redirects followed (at most 5, never from https to http), TLS
// verified against the system roots or `ca_file`, proxies from curl's environment variables
// (https_proxy, no_proxy, ...), answers capped at kMaxTokenResponseBytes. Errors (the request
// never produced a complete HTTP answer) are classified for retry decisions:
//   timeout (connect or total)                       DEADLINE_EXCEEDED  retriable
//   DNS, connect, reset, TLS handshake or
//   certificate verification failure                 UNAVAILABLE        retriable (the SDK's
//                                                    TokenFetchError and
//                                                    FailedToEstablishTlsConnectionError)
//   malformed URL, unsupported scheme, unreadable
//   CA file, answer too large, other local errors    UNAUTHENTICATED    not retriable (the SDK's
//                                                    InvalidUCTokenError for other request
//                                                    errors: retrying cannot help)
//   worker stopped                                   CANCELLED
// Messages carry the URL (user-info removed) and curl's description; never the credentials.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <curl/curl.h>

#include "common/status.h"

namespace zerobusd {

struct HttpPost {
  std::string url;
  std::string form_body;  // application/x-www-form-urlencoded
  std::string username;   // HTTP Basic credentials (both empty: none)
  std::string password;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
  std::string ca_file;  // PEM bundle replacing the system roots; empty = system roots
  size_t max_answer_bytes = 64 * 1024;  // a longer body fails the request (bad peer input)
};

struct HttpAnswer {
  long status = 0;
  std::string body;
};

// How a transfer that produced no complete answer is reported (the table above).
[[nodiscard]] absl::Status statusForCurlError(CURLcode code, std::string_view detail,
                                              std::string_view display_url,
                                              std::chrono::milliseconds total_timeout);

class CurlFetcher {
 public:
  using Done = std::function<void(absl::StatusOr<HttpAnswer>)>;

  CurlFetcher();
  ~CurlFetcher();
  CurlFetcher(const CurlFetcher&) = delete;
  CurlFetcher& operator=(const CurlFetcher&) = delete;

  // Queues the request. `done` runs exactly once, on the worker thread (or, after the worker
  // stopped, at once on the calling thread with CANCELLED).
  void post(HttpPost request, Done done);

 private:
  struct Transfer;

  void run();
  [[nodiscard]] static absl::Status cancelled(const Transfer& transfer);
  static size_t onWrite(char* data, size_t size, size_t count, void* user);
  // Sets the options of `transfer`'s easy handle; false (reason in `why`) if curl refused one.
  static bool configure(Transfer& transfer, std::string* why);

  CURLM* multi_ = nullptr;
  std::mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queue_;  // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  std::thread worker_;
};

}  // namespace zerobusd
