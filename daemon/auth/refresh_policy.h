#pragma once
// When a cached token is refreshed and when it stops being served, and how long to wait
// between failed fetches. Pure functions of their inputs (the caller supplies the clock reading
// and the random draw), so the rules are tested without a loop, a server or waiting.
//
// Refresh rule, for a token of lifetime L (expires_in, capped at max_lifetime) whose request
// started at t0, so it expires at t0 + L:
//   lead          = min(refresh_buffer, (1 - refresh_fraction) * L)   defaults 5 min, 0.8
//   refresh_at    = t0 + L - lead      background refresh from here on
//   usable_until  = t0 + L - min(expiry_margin, L / 20)               default margin 10 s
// With the defaults a token of 25 min or more is refreshed 5 min before expiry (the SDK's
// token_refresh_buffer); a shorter one at 80% of its lifetime (a 2 s token after 1.6 s). It is
// served until 10 s (or 5% of L) before expiry, so a stream never opens with a token about to
// lapse; lead >= that margin always, so the refresh starts while the token is still served.
//
// Backoff: failure n (1-based) waits min(max_backoff, initial_backoff * 2^(n-1)), scaled by a
// uniform factor in [1 - jitter, 1 + jitter] so sources that failed together spread out.

#include <chrono>

#include "daemon/loop/event_loop.h"

namespace zerobusd {

struct RefreshPolicy {
  std::chrono::seconds refresh_buffer{5 * 60};
  double refresh_fraction = 0.8;  // in (0, 1]
  std::chrono::seconds expiry_margin{10};
  std::chrono::seconds max_lifetime{24 * 3600};  // longer expires_in values are capped
};

struct TokenTimes {
  EventLoop::Clock::time_point refresh_at;
  EventLoop::Clock::time_point usable_until;
  EventLoop::Clock::time_point expires_at;
};

// `lifetime` must be > 0 (0 means "do not cache" and never reaches here).
TokenTimes tokenTimes(EventLoop::Clock::time_point request_start, std::chrono::seconds lifetime,
                      const RefreshPolicy& policy);

struct BackoffPolicy {
  int max_attempts = 3;  // per getToken round, first attempt included
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{30'000};
  double jitter = 0.2;  // in [0, 1)
};

// `failures` >= 1; `unit_random` in [0, 1).
std::chrono::milliseconds backoffDelay(const BackoffPolicy& policy, int failures,
                                       double unit_random);

}  // namespace zerobusd
