// OAuthTokenSource and OAuthTokenCache against an in-process zerobus-fake: the token minted is
// one the fake's service accepts; caching, single flight, invalidation, proactive refresh on a
// clock the test moves (no waiting for expiry), retries and error classification, TLS with and
// without the CA bundle, and that the client secret never shows in a Status or a log line.
// The fake's workspace counters say how many token requests really happened.

#include "daemon/auth/oauth_token_source.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "daemon/auth/oauth_request.h"
#include "daemon/loop/uv_event_loop.h"
#include "tests/fake/fake_fixture.h"

namespace zerobusd {
namespace {

using fake::TokenCheck;
using fake::TokenFaults;
using fake::testing::closedLoopbackPort;
using fake::testing::kAirQuality;
using fake::testing::kEvents;
using fake::testing::waitFor;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;
using TokenResult = absl::StatusOr<std::string>;

constexpr auto kWait = seconds(20);  // bound on every wait; sanitizer builds are slow

// curl_global_init is the program's job (curl_fetcher.h); the daemon's main() does it once.
class CurlEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_EQ(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK); }
  void TearDown() override { curl_global_cleanup(); }
};
[[maybe_unused]] ::testing::Environment* const kCurlEnvironment =
    ::testing::AddGlobalTestEnvironment(new CurlEnvironment);

// The real libuv loop with a clock the test moves: now() is steady_clock plus an offset, and
// timers fall due on that clock too, so advance() runs a 55-minute refresh timer at once.
// Timers also keep their real-time deadline (short backoffs just fire). Loop thread only,
// except post().
class ShiftedClockLoop final : public EventLoop {
 public:
  explicit ShiftedClockLoop(UvEventLoop& inner) : inner_(inner) {}

  void post(Callback callback) override { inner_.post(std::move(callback)); }
  TimerId addTimer(milliseconds delay, Callback callback) override {
    const TimerId id = next_id_++;
    const TimerId real = inner_.addTimer(delay, [this, id] { fire(id); });
    timers_.emplace(id, Timer{now() + delay, std::move(callback), real});
    return id;
  }
  void cancelTimer(TimerId id) override {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    inner_.cancelTimer(it->second.real);
    timers_.erase(it);
  }
  bool isLoopThread() const override { return inner_.isLoopThread(); }
  Clock::time_point now() const override { return Clock::now() + offset_; }

  // Moves the clock forward and runs the timers now due, earliest first.
  void advance(Clock::duration by) {
    offset_ += by;
    for (;;) {
      auto due = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.deadline <= now() &&
            (due == timers_.end() || it->second.deadline < due->second.deadline)) {
          due = it;
        }
      }
      if (due == timers_.end()) return;
      inner_.cancelTimer(due->second.real);
      Callback callback = std::move(due->second.callback);
      timers_.erase(due);
      callback();
    }
  }

  std::vector<Clock::time_point> deadlines() const {
    std::vector<Clock::time_point> out;
    for (const auto& [id, timer] : timers_) out.push_back(timer.deadline);
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  struct Timer {
    Clock::time_point deadline;
    Callback callback;
    TimerId real;
  };
  void fire(TimerId id) {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    Callback callback = std::move(it->second.callback);
    timers_.erase(it);
    callback();
  }

  UvEventLoop& inner_;
  Clock::duration offset_{};
  std::map<TimerId, Timer> timers_;
  TimerId next_id_ = 1;
};

class OAuthTokenSourceTest : public fake::testing::FakeTest {
 protected:
  void SetUp() override {
    FakeTest::SetUp();
    loop_thread_ = std::make_unique<LoopThread>();
    loop_ = std::make_unique<ShiftedClockLoop>(loop_thread_->loop());
    fetcher_ = std::make_unique<CurlFetcher>();
  }

  void TearDown() override {
    // Sources and the cache go on the loop thread, then the fetcher (no more results), then the
    // loop (its timers close), then the clock wrapper the loop's timers pointed at.
    if (loop_thread_) {
      loop_thread_->runSync([&] {
        sources_.clear();
        cache_.reset();
      });
    }
    fetcher_.reset();
    loop_thread_.reset();
    loop_.reset();
    FakeTest::TearDown();
  }

  std::string workspaceUrl() const {
    return "http://127.0.0.1:" + std::to_string(fake_->httpPort());
  }

  OAuthTokenConfig config(const std::string& table = kAirQuality) const {
    OAuthTokenConfig c;
    c.workspace_url = workspaceUrl();
    c.zerobus_endpoint = "http://127.0.0.1:" + std::to_string(fake_->grpcPort());
    c.table = table;
    c.client_id = "test-client";
    c.client_secret = "test-secret";
    return c;
  }

  // Short backoffs so retry tests finish fast; the policy itself is unit-tested.
  static OAuthTokenOptions fastOptions() {
    OAuthTokenOptions options;
    options.retry.initial_backoff = milliseconds(5);
    options.retry.max_backoff = milliseconds(40);
    return options;
  }

  OAuthTokenSource& makeSource(OAuthTokenConfig c, OAuthTokenOptions options = fastOptions()) {
    std::shared_ptr<OAuthTokenSource> source;
    loop_thread_->runSync([&] {
      source = OAuthTokenSource::create(*loop_, *fetcher_, std::move(c), metrics_, options);
    });
    sources_.push_back(source);
    return *source;
  }

  void onLoop(const std::function<void()>& fn) { loop_thread_->runSync(fn); }

  // Calls getToken on the loop thread; the future completes when `done` runs (at most once:
  // a second call would throw future_error and fail the test).
  std::future<TokenResult> request(TokenSource& source, bool invalidate = false) {
    auto promise = std::make_shared<std::promise<TokenResult>>();
    auto future = promise->get_future();
    onLoop([&] {
      source.getToken(invalidate, [promise](const TokenResult& result) {
        // A fresh Status for the test thread: copies share a refcounted rep whose count Debian's
        // (uninstrumented) libabsl_status changes, which TSan would report as a race.
        promise->set_value(result.ok() ? TokenResult(*result)
                                       : TokenResult(absl::Status(result.status().code(),
                                                                  result.status().message())));
      });
    });
    return future;
  }

  static TokenResult await(std::future<TokenResult>& future) {
    if (future.wait_for(kWait) != std::future_status::ready) {
      return absl::DeadlineExceededError("test: getToken did not complete in time");
    }
    return future.get();
  }

  TokenResult get(TokenSource& source, bool invalidate = false) {
    auto future = request(source, invalidate);
    return await(future);
  }

  static bool readyNow(std::future<TokenResult>& future) {
    return future.wait_for(seconds(0)) == std::future_status::ready;
  }

  uint64_t workspaceCounter(const char* name) const {
    return fake_->workspace().counters()[name].get<uint64_t>();
  }
  uint64_t tokenRequests() const { return workspaceCounter("token_requests"); }

  void setTokenFaults(int status, int count, int delay_ms = 0, std::string body_mode = "",
                      int64_t lifetime_s = 0) {
    TokenFaults faults;
    faults.status = status;
    faults.count = count;
    faults.delay_ms = delay_ms;
    faults.body_mode = std::move(body_mode);
    faults.lifetime_s = lifetime_s;
    fake_->workspace().setTokenFaults(faults);
  }
  void clearTokenFaults() { fake_->workspace().setTokenFaults({}); }

  void advance(EventLoop::Clock::duration by) {
    onLoop([&] { loop_->advance(by); });
  }
  // Moves the clock exactly to the earliest pending timer (the refresh) and runs it.
  void advanceToNextTimer() {
    onLoop([&] {
      const auto deadlines = loop_->deadlines();
      ASSERT_FALSE(deadlines.empty());
      loop_->advance(deadlines.front() - loop_->now());
    });
  }

  TokenMetrics metrics_;
  std::unique_ptr<LoopThread> loop_thread_;
  std::unique_ptr<ShiftedClockLoop> loop_;
  std::unique_ptr<CurlFetcher> fetcher_;
  std::vector<std::shared_ptr<OAuthTokenSource>> sources_;
  std::unique_ptr<OAuthTokenCache> cache_;
};

// --- the token itself ---

TEST_F(OAuthTokenSourceTest, FetchedTokenOpensAStreamOnTheFake) {
  auto& source = makeSource(config());
  auto token = get(source);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(fake_->tokens().check(*token, kAirQuality), TokenCheck::Ok);
  // Scoped to its table only, as the authorization_details ask.
  EXPECT_EQ(fake_->tokens().check(*token, kEvents), TokenCheck::NotGranted);

  fake::testing::Call call(stub(), kAirQuality, *token);
  ASSERT_TRUE(call.createProto());
  EXPECT_FALSE(call.readCreated().empty());
  EXPECT_TRUE(call.finish().ok());

  EXPECT_EQ(tokenRequests(), 1u);
  EXPECT_EQ(workspaceCounter("tokens_issued"), 1u);
  EXPECT_EQ(metrics_.fetches_ok, 1u);
  EXPECT_EQ(metrics_.cache_hits, 0u);
}

TEST_F(OAuthTokenSourceTest, WorkspaceUrlWithTrailingSlashStillWorks) {
  auto c = config();
  c.workspace_url += "/";  // "//oidc/v1/token", as the SDK's concatenation makes it
  auto& source = makeSource(c);
  auto token = get(source);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(fake_->tokens().check(*token, kAirQuality), TokenCheck::Ok);
}

TEST_F(OAuthTokenSourceTest, ResourceNamesTheWorkspaceIdFromTheEndpoint) {
  restartWith([](fake::FakeConfig& c) { c.workspace_id = "1234567890"; });
  auto good = config();
  good.zerobus_endpoint = "1234567890.zerobus.us-west-2.cloud.databricks.com";
  auto token = get(makeSource(good));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(fake_->tokens().check(*token, kAirQuality), TokenCheck::Ok);

  auto other = config();
  other.zerobus_endpoint = "https://999.zerobus.us-west-2.cloud.databricks.com";
  auto refused = get(makeSource(other));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("HTTP 400 (invalid_target"));
  EXPECT_EQ(tokenRequests(), 2u);
}

// --- cache, single flight, invalidation ---

TEST_F(OAuthTokenSourceTest, SecondCallIsServedFromTheCache) {
  auto& source = makeSource(config());
  auto first = get(source);
  auto second = get(source);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(tokenRequests(), 1u);
  EXPECT_EQ(metrics_.cache_hits, 1u);
}

TEST_F(OAuthTokenSourceTest, ConcurrentCallsShareOneRequest) {
  auto& source = makeSource(config());
  setTokenFaults(0, 0, /*delay_ms=*/60'000);  // hold the request until the faults are cleared
  std::vector<std::future<TokenResult>> futures;
  for (int i = 0; i < 3; ++i) futures.push_back(request(source));
  ASSERT_TRUE(waitFor([&] { return workspaceCounter("token_delayed") == 1; }));
  // Later callers, an invalidating one included, join the request in flight.
  futures.push_back(request(source));
  futures.push_back(request(source, /*invalidate=*/true));
  for (auto& future : futures) EXPECT_FALSE(readyNow(future));

  clearTokenFaults();  // releases the held request
  std::vector<std::string> tokens;
  for (auto& future : futures) {
    auto token = await(future);
    ASSERT_TRUE(token.ok()) << token.status();
    tokens.push_back(*token);
  }
  for (const auto& token : tokens) EXPECT_EQ(token, tokens.front());
  EXPECT_EQ(tokenRequests(), 1u);
  EXPECT_EQ(metrics_.fetches_ok, 1u);
}

TEST_F(OAuthTokenSourceTest, InvalidateFetchesANewToken) {
  auto& source = makeSource(config());
  auto first = get(source);
  ASSERT_TRUE(first.ok()) << first.status();
  auto renewed = get(source, /*invalidate=*/true);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_NE(*first, *renewed);
  EXPECT_EQ(tokenRequests(), 2u);
  auto cached = get(source);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(*cached, *renewed);
  EXPECT_EQ(tokenRequests(), 2u);
  EXPECT_EQ(fake_->tokens().check(*renewed, kAirQuality), TokenCheck::Ok);
}

TEST_F(OAuthTokenSourceTest, QuotedExpiresInIsCached) {
  setTokenFaults(0, 0, 0, "expires_quoted");
  auto& source = makeSource(config());
  auto first = get(source);
  auto second = get(source);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(tokenRequests(), 1u);
}

TEST_F(OAuthTokenSourceTest, ZeroOrMissingExpiresInIsUsedButNotCached) {
  for (const char* mode : {"expires_zero", "expires_missing"}) {
    SCOPED_TRACE(mode);
    fake_->workspace().resetCounters();
    setTokenFaults(0, 0, 0, mode);
    auto& source = makeSource(config());
    auto first = get(source);
    auto second = get(source);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_NE(*first, *second);
    EXPECT_EQ(fake_->tokens().check(*first, kAirQuality), TokenCheck::Ok);
    EXPECT_EQ(tokenRequests(), 2u);
  }
}

TEST_F(OAuthTokenSourceTest, CacheHandsOutOneSourcePerKey) {
  onLoop([&] {
    cache_ = std::make_unique<OAuthTokenCache>(*loop_, *fetcher_, metrics_, fastOptions());
  });
  std::shared_ptr<TokenSource> a;
  std::shared_ptr<TokenSource> b;
  std::shared_ptr<TokenSource> events;
  std::shared_ptr<TokenSource> other_secret;
  std::shared_ptr<TokenSource> other_client;
  onLoop([&] {
    a = cache_->get(config());
    b = cache_->get(config());
    events = cache_->get(config(kEvents));
    auto c = config();
    c.client_secret = "another-secret";
    other_secret = cache_->get(c);
    c = config();
    c.client_id = "another-client";
    other_client = cache_->get(c);
  });
  EXPECT_EQ(a, b);
  EXPECT_NE(a, events);
  EXPECT_NE(a, other_secret);
  EXPECT_NE(a, other_client);
  EXPECT_EQ(cache_->size(), 4u);

  // Two streams of one table: one token request.
  auto from_a = get(*a);
  auto from_b = get(*b);
  ASSERT_TRUE(from_a.ok() && from_b.ok());
  EXPECT_EQ(*from_a, *from_b);
  EXPECT_EQ(tokenRequests(), 1u);

  size_t dropped = 0;
  onLoop([&] {
    events.reset();
    other_secret.reset();
    other_client.reset();
    dropped = cache_->dropUnused();
  });
  EXPECT_EQ(dropped, 3u);
  EXPECT_EQ(cache_->size(), 1u);
  onLoop([&] {
    a.reset();
    b.reset();
  });
}

// --- proactive refresh (the test moves the loop's clock) ---

TEST_F(OAuthTokenSourceTest, RefreshesFiveMinutesAheadWithoutMakingCallersWait) {
  auto& source = makeSource(config());
  EventLoop::Clock::time_point before;
  onLoop([&] { before = loop_->now(); });
  auto first = get(source);
  ASSERT_TRUE(first.ok()) << first.status();
  onLoop([&] {
    const auto deadlines = loop_->deadlines();
    ASSERT_EQ(deadlines.size(), 1u);  // the refresh timer
    EXPECT_GE(deadlines[0] - before, minutes(55));
    EXPECT_LE(deadlines[0] - before, minutes(55) + kWait);
  });

  advance(minutes(54));
  auto still = get(source);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(*still, *first);

  // Hold the refresh at the fake: callers meanwhile get the cached token at once.
  setTokenFaults(0, 0, /*delay_ms=*/60'000);
  advanceToNextTimer();
  ASSERT_TRUE(waitFor([&] { return workspaceCounter("token_delayed") == 1; }));
  auto during = request(source);
  ASSERT_TRUE(readyNow(during));
  EXPECT_EQ(*during.get(), *first);

  clearTokenFaults();
  ASSERT_TRUE(waitFor([&] { return metrics_.fetches_ok == 2; }));
  auto refreshed = get(source);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_NE(*refreshed, *first);
  EXPECT_EQ(fake_->tokens().check(*refreshed, kAirQuality), TokenCheck::Ok);
  EXPECT_EQ(tokenRequests(), 2u);
}

TEST_F(OAuthTokenSourceTest, ShortLivedTokenRefreshesAtEightyPercent) {
  setTokenFaults(0, 0, 0, "", /*lifetime_s=*/60);
  auto& source = makeSource(config());
  EventLoop::Clock::time_point before;
  onLoop([&] { before = loop_->now(); });
  auto first = get(source);
  ASSERT_TRUE(first.ok()) << first.status();
  onLoop([&] {
    const auto deadlines = loop_->deadlines();
    ASSERT_EQ(deadlines.size(), 1u);
    EXPECT_GE(deadlines[0] - before, seconds(48));  // 80% of 60 s
    EXPECT_LE(deadlines[0] - before, seconds(48) + kWait);
  });
  advance(seconds(47));
  EXPECT_EQ(metrics_.fetches_ok, 1u);  // not due yet: the timer is still pending
  onLoop([&] { EXPECT_EQ(loop_->deadlines().size(), 1u); });
  advanceToNextTimer();
  ASSERT_TRUE(waitFor([&] { return metrics_.fetches_ok == 2; }));
  auto refreshed = get(source);
  ASSERT_TRUE(refreshed.ok());
  EXPECT_NE(*refreshed, *first);
  EXPECT_EQ(tokenRequests(), 2u);
}

TEST_F(OAuthTokenSourceTest, RealTimeRefreshOfATwoSecondToken) {
  // The timer path on the real clock: lifetime 2 s, refresh at 1.6 s, no test-side clock moves.
  setTokenFaults(0, 0, 0, "", /*lifetime_s=*/2);
  auto& source = makeSource(config());
  auto first = get(source);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(waitFor([&] { return metrics_.fetches_ok >= 2; }, kWait));
  auto refreshed = get(source);
  ASSERT_TRUE(refreshed.ok());
  EXPECT_NE(*refreshed, *first);
}

TEST_F(OAuthTokenSourceTest, FailedRefreshKeepsServingTheValidTokenAndRetries) {
  auto& source = makeSource(config());
  auto first = get(source);
  ASSERT_TRUE(first.ok()) << first.status();

  setTokenFaults(503, -1);
  advanceToNextTimer();
  ASSERT_TRUE(waitFor([&] { return metrics_.fetches_failed_retriable >= 2; }));  // retried
  auto during = request(source);
  ASSERT_TRUE(readyNow(during));
  EXPECT_EQ(*during.get(), *first);

  clearTokenFaults();
  ASSERT_TRUE(waitFor([&] { return metrics_.fetches_ok == 2; }));
  auto refreshed = get(source);
  ASSERT_TRUE(refreshed.ok());
  EXPECT_NE(*refreshed, *first);
}

TEST_F(OAuthTokenSourceTest, NeverServesATokenPastItsUsableTime) {
  auto& source = makeSource(config());
  auto first = get(source);
  ASSERT_TRUE(first.ok()) << first.status();
  setTokenFaults(503, -1);
  advance(minutes(60) - seconds(5));  // inside the 10 s margin before expiry
  auto lapsed = get(source);
  ASSERT_FALSE(lapsed.ok());
  EXPECT_EQ(lapsed.status().code(), absl::StatusCode::kUnavailable);
}

// --- errors and retries ---

TEST_F(OAuthTokenSourceTest, ServerErrorIsRetriedThenSucceeds) {
  setTokenFaults(503, 1);
  auto& source = makeSource(config());
  auto token = get(source);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(fake_->tokens().check(*token, kAirQuality), TokenCheck::Ok);
  EXPECT_EQ(tokenRequests(), 2u);
  EXPECT_EQ(workspaceCounter("token_faults_fired"), 1u);
  EXPECT_EQ(metrics_.fetches_failed_retriable, 1u);
  EXPECT_EQ(metrics_.fetches_ok, 1u);
}

TEST_F(OAuthTokenSourceTest, ServerErrorsBeyondTheRetryBudgetAreRetriable) {
  setTokenFaults(500, -1);
  auto& source = makeSource(config());
  auto token = get(source);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(isRetriable(token.status()));
  const std::string message(token.status().message());
  EXPECT_THAT(message, HasSubstr("after 3 attempts"));
  EXPECT_THAT(message, HasSubstr("HTTP 500"));
  EXPECT_THAT(message, HasSubstr("/oidc/v1/token"));
  EXPECT_EQ(tokenRequests(), 3u);
  EXPECT_EQ(metrics_.fetches_failed_retriable, 3u);

  clearTokenFaults();  // the next call starts a fresh round
  auto later = get(source);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(tokenRequests(), 4u);
}

TEST_F(OAuthTokenSourceTest, ClientErrorsAreNotRetried) {
  auto& source = makeSource(config());
  uint64_t expected_requests = 0;
  for (int status : {401, 403, 429, 400}) {
    SCOPED_TRACE(status);
    setTokenFaults(status, -1);
    auto token = get(source);
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_FALSE(isRetriable(token.status()));
    EXPECT_THAT(std::string(token.status().message()),
                HasSubstr("answered HTTP " + std::to_string(status)));
    EXPECT_EQ(tokenRequests(), ++expected_requests);  // exactly one request each
  }
  EXPECT_EQ(metrics_.fetches_failed_non_retriable, 4u);
  EXPECT_EQ(metrics_.fetches_failed_retriable, 0u);
}

TEST_F(OAuthTokenSourceTest, UnusableBodiesAreNotRetried) {
  auto& source = makeSource(config());
  uint64_t expected_requests = 0;
  for (const char* mode : {"malformed", "no_access_token"}) {
    SCOPED_TRACE(mode);
    setTokenFaults(0, 0, 0, mode);
    auto token = get(source);
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(tokenRequests(), ++expected_requests);
  }
}

TEST_F(OAuthTokenSourceTest, BadTableNameFailsBeforeAnyRequest) {
  for (const char* table : {"main.default", "main..air_quality", "a.b.c.d", ""}) {
    SCOPED_TRACE(table);
    auto token = get(makeSource(config(table)));
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(validateOAuthTokenConfig(config(table)).ok());
  }
  auto bad_url = config();
  bad_url.workspace_url = "ftp://127.0.0.1/";
  auto token = get(makeSource(bad_url));
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(validateOAuthTokenConfig(config()).ok());
  EXPECT_EQ(tokenRequests(), 0u);
  EXPECT_EQ(metrics_.fetches_failed_non_retriable, 0u);  // no fetch happened at all
}

TEST_F(OAuthTokenSourceTest, ConnectionRefusedIsRetriable) {
  auto c = config();
  const int port = closedLoopbackPort();
  ASSERT_GT(port, 0);
  c.workspace_url = "http://127.0.0.1:" + std::to_string(port);
  auto token = get(makeSource(c));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(token.status().message()), HasSubstr("/oidc/v1/token"));
  EXPECT_EQ(metrics_.fetches_failed_retriable, 3u);
}

TEST_F(OAuthTokenSourceTest, HangingEndpointTimesOutAsDeadlineExceeded) {
  setTokenFaults(0, 0, /*delay_ms=*/60'000);
  auto options = fastOptions();
  options.request_timeout = milliseconds(300);
  options.retry.max_attempts = 1;
  auto token = get(makeSource(config(), options));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(isRetriable(token.status()));
  EXPECT_THAT(std::string(token.status().message()), HasSubstr("timed out"));
  EXPECT_THAT(std::string(token.status().message()), Not(HasSubstr("test-secret")));
  clearTokenFaults();
}

TEST_F(OAuthTokenSourceTest, HangingWorkspaceDoesNotDelayAnotherOne) {
  // A second fake whose token endpoint hangs: the shared worker still serves the first fake.
  fake::testing::TempDir other_dir;
  fake::FakeServer other(fake::testing::testConfig(other_dir.path()));
  ASSERT_TRUE(other.start().ok());
  TokenFaults hang;
  hang.delay_ms = 60'000;
  other.workspace().setTokenFaults(hang);

  auto slow_config = config();
  slow_config.workspace_url = "http://127.0.0.1:" + std::to_string(other.httpPort());
  auto& slow = makeSource(slow_config);
  auto& fast = makeSource(config(kEvents));
  auto pending = request(slow);
  ASSERT_TRUE(waitFor([&] { return other.workspace().counters()["token_delayed"] == 1; }));
  auto token = get(fast);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_FALSE(readyNow(pending));

  other.workspace().setTokenFaults({});
  auto slow_token = await(pending);
  EXPECT_TRUE(slow_token.ok()) << slow_token.status();
  // Close the kept-alive connections first, or stopping `other` waits out httplib's keep-alive.
  onLoop([&] { sources_.clear(); });
  fetcher_.reset();
  other.stop();
}

// --- shutdown ---

TEST_F(OAuthTokenSourceTest, DestroyingASourceCancelsItsWaiters) {
  setTokenFaults(0, 0, /*delay_ms=*/60'000);
  auto& source = makeSource(config());
  auto pending = request(source);
  ASSERT_TRUE(waitFor([&] { return workspaceCounter("token_delayed") == 1; }));
  onLoop([&] { sources_.clear(); });
  auto result = await(pending);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  clearTokenFaults();  // the late answer finds no source: dropped
  ASSERT_TRUE(waitFor([&] { return workspaceCounter("tokens_issued") == 1; }));
}

TEST_F(OAuthTokenSourceTest, StoppingTheFetcherAbortsARequestInFlight) {
  setTokenFaults(0, 0, /*delay_ms=*/60'000);
  auto& source = makeSource(config());
  auto pending = request(source);
  ASSERT_TRUE(waitFor([&] { return workspaceCounter("token_delayed") == 1; }));
  const auto started = std::chrono::steady_clock::now();
  fetcher_.reset();  // must not wait for the 60 s answer
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
  auto result = await(pending);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("HTTP worker stopped"));
  onLoop([&] { sources_.clear(); });  // they point at the fetcher that is gone
  clearTokenFaults();
}

// --- secrets ---

TEST_F(OAuthTokenSourceTest, SecretNeverAppearsInStatusOrLog) {
  constexpr char kSecret[] = "S3cr3t-Never-Show-Me";
  restartWith([&](fake::FakeConfig& c) { c.clients.push_back({"secret-client", kSecret}); });
  // A logger of its own (no global logger swap while fake threads log).
  std::ostringstream log;
  auto options = fastOptions();
  options.logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  options.logger->set_level(spdlog::level::trace);

  auto c = config();
  c.client_id = "secret-client";
  c.client_secret = kSecret;
  const std::string basic = base64Encode(std::string("secret-client:") + kSecret);
  std::vector<absl::Status> errors;
  const auto collect = [&](TokenSource& source) {
    auto token = get(source);
    if (!token.ok()) errors.push_back(token.status());
  };
  collect(makeSource(c, options));  // a success, for its log lines
  ASSERT_TRUE(errors.empty()) << errors.front();

  auto wrong = c;
  wrong.client_id = "test-client";  // its secret is another one: a real 401
  collect(makeSource(wrong, options));
  for (int status : {500, 401}) {
    setTokenFaults(status, -1);
    collect(makeSource(c, options));
  }
  for (const char* mode : {"malformed", "no_access_token"}) {
    setTokenFaults(0, 0, 0, mode);
    collect(makeSource(c, options));
  }
  clearTokenFaults();
  auto refused = c;
  refused.workspace_url = "http://127.0.0.1:" + std::to_string(closedLoopbackPort());
  collect(makeSource(refused, options));
  auto user_info = c;  // credentials in the URL are not printed either
  user_info.workspace_url =
      std::string("http://secret-client:") + kSecret + "@127.0.0.1:" + std::to_string(closedLoopbackPort());
  collect(makeSource(user_info, options));

  ASSERT_EQ(errors.size(), 7u);
  for (const auto& error : errors) {
    const std::string message(error.message());
    EXPECT_THAT(message, Not(HasSubstr(kSecret))) << message;
    EXPECT_THAT(message, Not(HasSubstr(basic))) << message;
  }
  EXPECT_THAT(log.str(), Not(HasSubstr(kSecret)));
  EXPECT_THAT(log.str(), Not(HasSubstr(basic)));
  EXPECT_THAT(log.str(), HasSubstr("HTTP 500"));  // the log did capture the failures
  EXPECT_THAT(log.str(), HasSubstr("fetched, expires in 3600 s"));
}

// --- TLS ---

class OAuthTokenSourceTlsTest : public OAuthTokenSourceTest {
 protected:
  void SetUp() override {
    OAuthTokenSourceTest::SetUp();
    const std::string command =
        std::string(ZEROBUSD_SOURCE_DIR) + "/scripts/gen-certs.sh " + certs_.path() + " >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0);
    restartWith([&](fake::FakeConfig& c) {
      c.plaintext = false;
      c.tls_cert_file = certs_.path() + "/server.pem";
      c.tls_key_file = certs_.path() + "/server.key";
    });
  }

  OAuthTokenConfig tlsConfig() const {
    auto c = config();
    c.workspace_url = "https://localhost:" + std::to_string(fake_->httpPort());
    c.zerobus_endpoint = "https://localhost:" + std::to_string(fake_->grpcPort());
    return c;
  }

  fake::testing::TempDir certs_;
};

TEST_F(OAuthTokenSourceTlsTest, VerifiesTheServerWithTheCaBundle) {
  auto options = fastOptions();
  options.ca_file = certs_.path() + "/ca.pem";
  auto token = get(makeSource(tlsConfig(), options));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(fake_->tokens().check(*token, kAirQuality), TokenCheck::Ok);
  EXPECT_EQ(tokenRequests(), 1u);
}

TEST_F(OAuthTokenSourceTlsTest, UntrustedCertificateIsRetriableUnavailable) {
  // The test CA is not in the system roots. Like the SDK's FailedToEstablishTlsConnectionError
  // this is retriable: a fixed trust store or a certificate rotation can clear it.
  auto token = get(makeSource(tlsConfig()));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(token.status().message()), HasSubstr("certificate"));
  EXPECT_THAT(std::string(token.status().message()), Not(HasSubstr("test-secret")));
  EXPECT_EQ(metrics_.fetches_failed_retriable, 3u);
  EXPECT_EQ(tokenRequests(), 0u);  // no HTTP request got through the handshake
}

TEST_F(OAuthTokenSourceTlsTest, MissingCaFileIsAConfigurationError) {
  auto options = fastOptions();
  options.ca_file = certs_.path() + "/no-such-ca.pem";
  auto token = get(makeSource(tlsConfig(), options));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated) << token.status();
  EXPECT_EQ(metrics_.fetches_failed_non_retriable, 1u);
}

}  // namespace
}  // namespace zerobusd
