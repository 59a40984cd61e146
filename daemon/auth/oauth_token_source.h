#pragma once
// OAuthTokenSource: the TokenSource that mints Zerobus tokens with OAuth client credentials
// (zerobus-protocol.md §9, the newer SDK's request form) and caches them per table.
// OAuthTokenCache: hands out one shared source per (workspace, workspace id, client, secret
// hash, table), so every stream of a table uses one token and one refresh.
// TokenMetrics: the counters both update, read by the daemon's metrics module.
//
// Behaviour of a source (rules and numbers in refresh_policy.h):
// - Cache: a token whose answer carried expires_in > 0 is cached from the request's start
//   for that long; expires_in missing, 0 or unparsable → handed to the callers of that fetch,
//   not cached (the next getToken fetches again, as SDK 1.0.1 does every time).
// - Proactive refresh: at refresh_at a background fetch starts (timer, or the first getToken
//   after it); callers keep getting the cached token meanwhile, without waiting. A failed
//   refresh keeps serving the token while usable and retries with backoff (any error; a
//   persistent 4xx shows in the metrics and the log, and reaches callers once the token lapses).
// - Single flight: at most one request per source; getToken calls while it runs (including
//   invalidating ones) wait for it and all get its result.
// - invalidate: the service refused the token; drop it and fetch (or join the fetch running,
//   which started after that token was issued and so yields a new one). An invalidate that
//   finds no fetch running always costs a request, so a caller invalidates once per refusal.
// - Retries inside getToken: retriable failures (5xx, network, TLS, timeout) are retried up
//   to BackoffPolicy::max_attempts per round (200 ms, 400 ms, ... ±20% by default) before the
//   callers see the last error; non-retriable ones (4xx, bad body, bad config) are reported at
//   once. Each attempt counts once in TokenMetrics.
//
// Thread affinity: create() and OAuthTokenCache::get() on the loop thread, or on the
// composition root's thread before the loop runs. getToken() and every callback on the loop
// thread; `done` may run before getToken() returns (cache hit, config error). Destroy on the
// loop thread, before the loop and the CurlFetcher; callers still waiting then get CANCELLED
// (posted, never re-entrantly). Results from the fetcher reach a source through
// EventLoop::post and a weak_ptr, so a source may go away with a request in flight.
// Error contract: token_source.h (INVALID_ARGUMENT also for a workspace URL that is empty or
// not http(s)); CANCELLED when the fetcher or the source shuts down. Messages never contain
// the client secret, the Basic credentials or a token.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <spdlog/logger.h>

#include "common/status.h"
#include "daemon/auth/curl_fetcher.h"
#include "daemon/auth/refresh_policy.h"
#include "daemon/auth/token_source.h"
#include "daemon/loop/event_loop.h"

namespace zerobusd {

struct OAuthTokenConfig {
  std::string workspace_url;     // https://<instance>.cloud.databricks.com (token endpoint)
  std::string zerobus_endpoint;  // the workspace id of the token's resource comes from it
  std::string table;             // catalog.schema.table
  std::string client_id;
  std::string client_secret;
};

struct OAuthTokenOptions {
  // Where the source logs (fetch results at debug, failures at warn; never secrets or tokens).
  // Null: spdlog's default logger at construction.
  std::shared_ptr<spdlog::logger> logger;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};  // whole request, per attempt
  std::string ca_file;  // PEM bundle for the token endpoint; empty = system roots
  BackoffPolicy retry;
  RefreshPolicy refresh;
};

// Updated on the loop thread, read from any thread. Per token-endpoint request.
struct TokenMetrics {
  std::atomic<uint64_t> fetches_ok{0};
  std::atomic<uint64_t> fetches_failed_retriable{0};
  std::atomic<uint64_t> fetches_failed_non_retriable{0};
  std::atomic<uint64_t> cache_hits{0};  // getToken calls answered from the cache
};

// The checks getToken() would fail with, for config validation at startup: INVALID_ARGUMENT
// for a table that is not catalog.schema.table or a bad workspace URL.
[[nodiscard]] absl::Status validateOAuthTokenConfig(const OAuthTokenConfig& config);

class OAuthTokenSource final : public TokenSource,
                               public std::enable_shared_from_this<OAuthTokenSource> {
 public:
  // `loop`, `fetcher` and `metrics` must outlive the source. Never fails: a bad config makes
  // every getToken() fail with INVALID_ARGUMENT, before any I/O.
  static std::shared_ptr<OAuthTokenSource> create(EventLoop& loop, CurlFetcher& fetcher,
                                                  OAuthTokenConfig config, TokenMetrics& metrics,
                                                  OAuthTokenOptions options = {});

  void getToken(bool invalidate, Callback done) override;

  // For create() only (std::make_shared needs a public constructor).
  struct Private {
    explicit Private() = default;
  };
  OAuthTokenSource(Private, EventLoop& loop, CurlFetcher& fetcher, OAuthTokenConfig config,
                   TokenMetrics& metrics, OAuthTokenOptions options);
  ~OAuthTokenSource() override;
  OAuthTokenSource(const OAuthTokenSource&) = delete;
  OAuthTokenSource& operator=(const OAuthTokenSource&) = delete;

 private:
  struct Cached {
    std::string token;
    TokenTimes times;
  };

  void startFetch();
  void onAnswer(EventLoop::Clock::time_point started, absl::StatusOr<HttpAnswer> answer);
  void onFetched(EventLoop::Clock::time_point started, std::string token,
                 std::optional<std::chrono::seconds> expires_in);
  void onFailed(const absl::Status& status);
  void onRefreshTimer();
  void onRetryTimer();
  void scheduleRetry(int failures);
  void dropCached();
  void cancelTimer(std::optional<EventLoop::TimerId>& timer);
  void deliver(const absl::StatusOr<std::string>& result);
  bool cachedUsable(EventLoop::Clock::time_point now) const;
  [[nodiscard]] absl::Status redacted(const absl::Status& status) const;

  EventLoop& loop_;
  CurlFetcher& fetcher_;
  TokenMetrics& metrics_;
  const OAuthTokenOptions options_;
  const std::shared_ptr<spdlog::logger> log_;
  const std::string table_;
  absl::Status config_status_;     // not OK: every getToken fails with it
  HttpPost request_;               // built once; holds the credentials
  std::string endpoint_;           // token URL for messages (no user-info)
  std::string basic_credentials_;  // base64(id:secret), only to redact it from messages

  // Loop thread only.
  std::optional<Cached> cached_;
  bool fetching_ = false;
  std::vector<Callback> waiters_;
  int round_attempts_ = 0;       // attempts finished since the current waiters began waiting
  int background_failures_ = 0;  // consecutive failed refreshes (backoff exponent)
  std::optional<EventLoop::TimerId> refresh_timer_;
  std::optional<EventLoop::TimerId> retry_timer_;
  std::minstd_rand random_;
};

// Thread affinity: as OAuthTokenSource::create(). Sources stay registered (and keep their
// token warm) until dropUnused() finds no stream holding them.
class OAuthTokenCache {
 public:
  // `loop`, `fetcher` and `metrics` must outlive the cache and every source it handed out.
  OAuthTokenCache(EventLoop& loop, CurlFetcher& fetcher, TokenMetrics& metrics,
                  OAuthTokenOptions options = {});

  // The source for this key, made on first use. Keyed by the normalised workspace URL, the
  // workspace id derived from the endpoint (it scopes the token), the client id, the SHA-256 of
  // the secret (the secret itself is not kept in the key) and the table.
  std::shared_ptr<TokenSource> get(const OAuthTokenConfig& config);

  size_t size() const { return sources_.size(); }
  // Forgets sources that only the cache holds; returns how many.
  size_t dropUnused();

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;

  EventLoop& loop_;
  CurlFetcher& fetcher_;
  TokenMetrics& metrics_;
  OAuthTokenOptions options_;
  std::map<Key, std::shared_ptr<OAuthTokenSource>> sources_;
};

// Lower-case hex SHA-256 (OpenSSL), for cache keys that must not hold a secret.
std::string sha256Hex(std::string_view data);

}  // namespace zerobusd
