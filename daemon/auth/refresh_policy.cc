#include "daemon/auth/refresh_policy.h"

#include <algorithm>
#include <cmath>

namespace zerobusd {

TokenTimes tokenTimes(EventLoop::Clock::time_point request_start, std::chrono::seconds lifetime,
                      const RefreshPolicy& policy) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  // Capping first keeps every sum below far from the clock's range (and a hostile expires_in
  // from parking a token in the cache for years).
  const milliseconds life =
      std::clamp<milliseconds>(lifetime, milliseconds(1), policy.max_lifetime);
  const double fraction = std::clamp(policy.refresh_fraction, 0.0, 1.0);
  const auto scaled_lead =
      milliseconds(std::llround(static_cast<double>(life.count()) * (1.0 - fraction)));
  const milliseconds lead = std::min<milliseconds>(policy.refresh_buffer, scaled_lead);
  const milliseconds margin = std::min<milliseconds>(policy.expiry_margin, life / 20);

  TokenTimes times;
  times.expires_at = request_start + life;
  times.usable_until = times.expires_at - margin;
  // With a fraction of 1 (or a zero buffer) the lead would be shorter than the margin: refresh
  // no later than the token stops being served.
  times.refresh_at = times.expires_at - std::max(lead, margin);
  return times;
}

std::chrono::milliseconds backoffDelay(const BackoffPolicy& policy, int failures,
                                       double unit_random) {
  const int doublings = std::clamp(failures - 1, 0, 30);
  const double base =
      std::min(static_cast<double>(policy.initial_backoff.count()) * std::ldexp(1.0, doublings),
               static_cast<double>(policy.max_backoff.count()));
  const double jitter = std::clamp(policy.jitter, 0.0, 0.99);
  const double factor = 1.0 - jitter + 2.0 * jitter * std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, base * factor)));
}

}  // namespace zerobusd
