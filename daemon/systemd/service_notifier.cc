#include "daemon/systemd/service_notifier.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include <fmt/format.h>

namespace zerobusd::systemd {

namespace {
// STATUS= is one line: a multi-line reason (a config error lists every problem) is joined.
std::string oneLine(std::string_view text) {
  std::string line(text);
  std::replace(line.begin(), line.end(), '\n', ' ');
  constexpr size_t kMaxStatus = 400;  // `systemctl status` shows one line; keep it readable
  if (line.size() > kMaxStatus) line = line.substr(0, kMaxStatus - 3) + "...";
  return line;
}
}  // namespace

ServiceNotifierOptions ServiceNotifierOptions::fromEnvironment() {
  ServiceNotifierOptions options;
  options.enabled = notifySocketSet();
  if (options.enabled) options.watchdog = watchdogInterval();
  return options;
}

ServiceNotifier::ServiceNotifier(EventLoop& loop, ServiceNotifierOptions options,
                                 std::function<std::string()> status_json, Send send)
    : loop_(loop), options_(options), status_json_(std::move(status_json)), send_(std::move(send)) {}

ServiceNotifier::~ServiceNotifier() {
  if (watchdog_timer_) loop_.cancelTimer(*watchdog_timer_);
  if (status_timer_) loop_.cancelTimer(*status_timer_);
}

std::optional<std::chrono::milliseconds> ServiceNotifier::watchdogPeriod() const {
  if (!options_.watchdog) return std::nullopt;
  // Half the interval: one late ping (a long but healthy loop turn) is not yet a kill.
  auto half = std::chrono::duration_cast<std::chrono::milliseconds>(*options_.watchdog / 2);
  return std::max(half, std::chrono::milliseconds(1));
}

std::string ServiceNotifier::statusLine() { return oneLine(line_.summarize(status_json_(), loop_.now())); }

void ServiceNotifier::started() {
  if (!enabled()) return;
  assert(loop_.isLoopThread());
  last_status_ = statusLine();
  send_("READY=1\nSTATUS=" + last_status_);
  if (options_.watchdog && !watchdog_timer_) pingWatchdog();
  if (!status_timer_) status_timer_ = loop_.addTimer(options_.status_interval, [this] { refreshStatus(); });
}

void ServiceNotifier::reloading() {
  if (!enabled()) return;
  last_status_ = "reloading the configuration";
  send_(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS={}", monotonicUsec(), last_status_));
}

void ServiceNotifier::reloaded(std::string_view outcome) {
  if (!enabled()) return;
  last_status_ = oneLine(outcome);
  send_("READY=1\nSTATUS=" + last_status_);
}

void ServiceNotifier::stopping() {
  if (!enabled()) return;
  last_status_ = "stopping: draining what producers sent";
  send_("STOPPING=1\nSTATUS=" + last_status_);
}

void ServiceNotifier::failed(std::string_view why) {
  if (!enabled()) return;
  send_("STATUS=cannot start: " + oneLine(why));
}

void ServiceNotifier::pingWatchdog() {
  watchdog_timer_.reset();
  send_("WATCHDOG=1");
  watchdog_timer_ = loop_.addTimer(*watchdogPeriod(), [this] { pingWatchdog(); });
}

void ServiceNotifier::refreshStatus() {
  status_timer_.reset();
  std::string line = statusLine();
  if (line != last_status_) {
    last_status_ = std::move(line);
    send_("STATUS=" + last_status_);
  }
  status_timer_ = loop_.addTimer(options_.status_interval, [this] { refreshStatus(); });
}

}  // namespace zerobusd::systemd
