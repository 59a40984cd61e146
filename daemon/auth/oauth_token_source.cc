#include "daemon/auth/oauth_token_source.h"

#include <cassert>
#include <utility>

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "daemon/auth/oauth_request.h"

namespace zerobusd {
namespace {

using Clock = EventLoop::Clock;

std::chrono::milliseconds untilCeil(Clock::time_point when, Clock::time_point now) {
  return std::chrono::ceil<std::chrono::milliseconds>(when - now);
}

// Seeds differ per source, so sources that failed together do not retry in lockstep.
std::minstd_rand::result_type randomSeed() {
  std::random_device device;
  return static_cast<std::minstd_rand::result_type>(device());
}

}  // namespace

absl::Status validateOAuthTokenConfig(const OAuthTokenConfig& config) {
  if (auto table = splitTableName(config.table); !table.ok()) return table.status();
  if (auto url = normalizeWorkspaceUrl(config.workspace_url); !url.ok()) return url.status();
  return absl::OkStatus();
}

std::shared_ptr<OAuthTokenSource> OAuthTokenSource::create(EventLoop& loop, CurlFetcher& fetcher,
                                                           OAuthTokenConfig config,
                                                           TokenMetrics& metrics,
                                                           OAuthTokenOptions options) {
  return std::make_shared<OAuthTokenSource>(Private{}, loop, fetcher, std::move(config), metrics,
                                            std::move(options));
}

OAuthTokenSource::OAuthTokenSource(Private, EventLoop& loop, CurlFetcher& fetcher,
                                   OAuthTokenConfig config, TokenMetrics& metrics,
                                   OAuthTokenOptions options)
    : loop_(loop),
      fetcher_(fetcher),
      metrics_(metrics),
      options_(std::move(options)),
      log_(options_.logger ? options_.logger : spdlog::default_logger()),
      table_(config.table),
      random_(randomSeed()) {
  auto table = splitTableName(config.table);
  auto workspace_url = normalizeWorkspaceUrl(config.workspace_url);
  if (!table.ok()) {
    config_status_ = table.status();
    return;
  }
  if (!workspace_url.ok()) {
    config_status_ = workspace_url.status();
    return;
  }
  request_.url = tokenEndpointUrl(*workspace_url);
  request_.form_body = tokenRequestForm(workspaceIdFromEndpoint(config.zerobus_endpoint), *table);
  request_.username = std::move(config.client_id);
  request_.password = std::move(config.client_secret);
  request_.connect_timeout = options_.connect_timeout;
  request_.total_timeout = options_.request_timeout;
  request_.ca_file = options_.ca_file;
  request_.max_answer_bytes = kMaxTokenResponseBytes;
  endpoint_ = displayUrl(request_.url);
  basic_credentials_ = base64Encode(request_.username + ":" + request_.password);
}

OAuthTokenSource::~OAuthTokenSource() {
  // Timers hold only a weak_ptr, so leaving them is safe; cancel them when we may touch the loop.
  if (loop_.isLoopThread()) {
    cancelTimer(refresh_timer_);
    cancelTimer(retry_timer_);
  }
  if (!waiters_.empty()) {
    // Posted, so no caller's code runs inside this destructor.
    loop_.post([waiters = std::move(waiters_)] {
      for (const auto& waiter : waiters) waiter(absl::CancelledError("token source shut down"));
    });
  }
}

void OAuthTokenSource::getToken(bool invalidate, Callback done) {
  assert(loop_.isLoopThread());
  if (!config_status_.ok()) {
    done(config_status_);
    return;
  }
  const auto now = loop_.now();
  if (invalidate) dropCached();
  if (cachedUsable(now)) {
    metrics_.cache_hits.fetch_add(1, std::memory_order_relaxed);
    if (now >= cached_->times.refresh_at && !fetching_ && !retry_timer_) {
      log_->debug("auth: token for {} due for refresh, fetching in the background", table_);
      startFetch();
    }
    const std::string token = cached_->token;  // `done` may call back into this source
    done(token);
    return;
  }
  dropCached();  // lapsed, if there was one

  const bool first_waiter = waiters_.empty();
  waiters_.push_back(std::move(done));
  if (first_waiter) round_attempts_ = 0;
  if (fetching_) return;  // single flight: the running request answers everyone
  if (retry_timer_) {
    // With waiters already queued this is their backoff: the retry serves this caller too.
    if (!first_waiter) return;
    // A background refresh was waiting to retry; a caller needs a token now.
    cancelTimer(retry_timer_);
  }
  startFetch();
}

bool OAuthTokenSource::cachedUsable(Clock::time_point now) const {
  return cached_ && now < cached_->times.usable_until;
}

void OAuthTokenSource::startFetch() {
  assert(!fetching_);
  fetching_ = true;
  const auto started = loop_.now();  // lifetimes count from here (§9: from request start)
  std::weak_ptr<OAuthTokenSource> weak = weak_from_this();
  EventLoop* loop = &loop_;
  fetcher_.post(request_, [weak, loop, started](absl::StatusOr<HttpAnswer> answer) {
    // Worker thread: hand over to the loop, touch nothing else.
    loop->post([weak, started, answer = std::move(answer)]() mutable {
      if (auto self = weak.lock()) self->onAnswer(started, std::move(answer));
    });
  });
}

void OAuthTokenSource::onAnswer(Clock::time_point started, absl::StatusOr<HttpAnswer> answer) {
  fetching_ = false;
  if (!answer.ok()) {
    // The fetcher's message reads "request to <url> failed: ...".
    onFailed(absl::Status(answer.status().code(),
                          "OAuth token " + std::string(answer.status().message())));
    return;
  }
  auto parsed = interpretTokenAnswer(answer->status, answer->body, endpoint_);
  if (!parsed.ok()) {
    onFailed(parsed.status());
    return;
  }
  onFetched(started, std::move(parsed->access_token), parsed->expires_in);
}

void OAuthTokenSource::onFetched(Clock::time_point started, std::string token,
                                 std::optional<std::chrono::seconds> expires_in) {
  metrics_.fetches_ok.fetch_add(1, std::memory_order_relaxed);
  background_failures_ = 0;
  cancelTimer(retry_timer_);
  dropCached();
  const auto now = loop_.now();
  if (expires_in && expires_in->count() > 0) {
    const TokenTimes times = tokenTimes(started, *expires_in, options_.refresh);
    if (now < times.usable_until) {
      cached_ = Cached{token, times};
      // A refresh due already (slow answer, tiny lifetime) waits for the next getToken rather
      // than looping on a timer with nobody asking.
      if (times.refresh_at > now) {
        std::weak_ptr<OAuthTokenSource> weak = weak_from_this();
        refresh_timer_ = loop_.addTimer(untilCeil(times.refresh_at, now), [weak] {
          if (auto self = weak.lock()) self->onRefreshTimer();
        });
      }
      log_->debug("auth: token for {} fetched, expires in {} s, refresh in {} ms", table_,
                  expires_in->count(), untilCeil(times.refresh_at, now).count());
    } else {
      log_->warn(
          "auth: token for {} arrived with its lifetime ({} s) already used up; not "
          "cached",
          table_, expires_in->count());
    }
  } else {
    log_->debug("auth: token for {} fetched without a usable expires_in; not cached", table_);
  }
  deliver(token);
}

void OAuthTokenSource::onFailed(const absl::Status& raw) {
  const absl::Status status = redacted(raw);
  const bool retriable = isRetriable(status) && status.code() != absl::StatusCode::kCancelled;
  (isRetriable(status) ? metrics_.fetches_failed_retriable : metrics_.fetches_failed_non_retriable)
      .fetch_add(1, std::memory_order_relaxed);

  if (waiters_.empty()) {
    // A background refresh: nobody waits; keep serving the cached token while it is usable.
    if (status.code() == absl::StatusCode::kCancelled) return;
    ++background_failures_;
    if (cachedUsable(loop_.now())) {
      const auto left = untilCeil(cached_->times.usable_until, loop_.now());
      log_->warn("auth: refreshing the token for {} failed ({} ms of validity left): {}", table_,
                 left.count(), std::string(status.message()));
      scheduleRetry(background_failures_);
    }
    return;
  }

  ++round_attempts_;
  if (retriable && round_attempts_ < options_.retry.max_attempts) {
    log_->debug("auth: token attempt {} for {} failed, retrying: {}", round_attempts_, table_,
                std::string(status.message()));
    scheduleRetry(round_attempts_);
    return;
  }
  absl::Status final_status = status;
  if (round_attempts_ > 1) {
    final_status = absl::Status(status.code(), "after " + std::to_string(round_attempts_) +
                                                   " attempts: " + std::string(status.message()));
  }
  if (final_status.code() == absl::StatusCode::kCancelled) {
    log_->debug("auth: no token for {}: {}", table_, std::string(final_status.message()));
  } else {
    log_->warn("auth: no token for {}: {}", table_, std::string(final_status.message()));
  }
  deliver(final_status);
}

void OAuthTokenSource::scheduleRetry(int failures) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto delay = backoffDelay(options_.retry, failures, unit(random_));
  std::weak_ptr<OAuthTokenSource> weak = weak_from_this();
  cancelTimer(retry_timer_);
  retry_timer_ = loop_.addTimer(delay, [weak] {
    if (auto self = weak.lock()) self->onRetryTimer();
  });
}

void OAuthTokenSource::onRefreshTimer() {
  refresh_timer_.reset();
  if (!cachedUsable(loop_.now()) || fetching_ || retry_timer_) return;
  log_->debug("auth: refreshing the token for {} ahead of expiry", table_);
  startFetch();
}

void OAuthTokenSource::onRetryTimer() {
  retry_timer_.reset();
  if (fetching_) return;
  // A background retry is pointless once the token lapsed: the next getToken fetches anyway.
  if (waiters_.empty() && !cachedUsable(loop_.now())) return;
  startFetch();
}

void OAuthTokenSource::dropCached() {
  cached_.reset();
  cancelTimer(refresh_timer_);
}

void OAuthTokenSource::cancelTimer(std::optional<EventLoop::TimerId>& timer) {
  if (timer) loop_.cancelTimer(*timer);
  timer.reset();
}

void OAuthTokenSource::deliver(const absl::StatusOr<std::string>& result) {
  // Swap first: callbacks may call getToken() again, which must see a settled state.
  std::vector<Callback> waiters = std::exchange(waiters_, {});
  round_attempts_ = 0;
  for (const auto& waiter : waiters) waiter(result);
}

absl::Status OAuthTokenSource::redacted(const absl::Status& status) const {
  std::string message =
      redactSecrets(std::string(status.message()), {request_.password, basic_credentials_});
  return absl::Status(status.code(), message);
}

OAuthTokenCache::OAuthTokenCache(EventLoop& loop, CurlFetcher& fetcher, TokenMetrics& metrics,
                                 OAuthTokenOptions options)
    : loop_(loop), fetcher_(fetcher), metrics_(metrics), options_(std::move(options)) {}

std::shared_ptr<TokenSource> OAuthTokenCache::get(const OAuthTokenConfig& config) {
  auto url = normalizeWorkspaceUrl(config.workspace_url);
  Key key{url.ok() ? *url : config.workspace_url, workspaceIdFromEndpoint(config.zerobus_endpoint),
          config.client_id, sha256Hex(config.client_secret), config.table};
  auto& source = sources_[std::move(key)];
  if (!source) source = OAuthTokenSource::create(loop_, fetcher_, config, metrics_, options_);
  return source;
}

size_t OAuthTokenCache::dropUnused() {
  return std::erase_if(sources_, [](const auto& entry) { return entry.second.use_count() == 1; });
}

std::string sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    // Only on a broken OpenSSL; an empty key part still never holds the secret.
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0f];
  }
  return out;
}

}  // namespace zerobusd
