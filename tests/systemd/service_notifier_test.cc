#include "daemon/systemd/service_notifier.h"

#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/loop/uv_event_loop.h"
#include "tests/fake/fake_fixture.h"

namespace zerobusd::systemd {
namespace {

using namespace std::chrono_literals;

// What the notifier sent; written on the loop thread, read by the test.
class Sent {
 public:
  void add(std::string_view state) {
    std::lock_guard lock(mu_);
    messages_.emplace_back(state);
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  size_t count(const std::string& prefix) {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& m : messages_) n += m.rfind(prefix, 0) == 0 ? 1U : 0U;
    return n;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> messages_;
};

class ServiceNotifierTest : public ::testing::Test {
 protected:
  void TearDown() override {
    loop_.runSync([&] { notifier_.reset(); });
  }
  void make(ServiceNotifierOptions options) {
    loop_.runSync([&] {
      notifier_ = std::make_unique<ServiceNotifier>(
          loop_.loop(), options,
          [this] {
            std::lock_guard lock(mu_);
            return status_json_;
          },
          [this](std::string_view state) { sent_.add(state); });
    });
  }
  void setStatus(std::string json) {
    std::lock_guard lock(mu_);
    status_json_ = std::move(json);
  }
  // Keeps the loop turning for `span` (a negative check has nothing to wait for).
  void turnLoopFor(std::chrono::milliseconds span) {
    auto until = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < until) loop_.runSync([] {});
  }
  void on(const std::function<void(ServiceNotifier&)>& fn) {
    loop_.runSync([&] { fn(*notifier_); });
  }

  LoopThread loop_;
  std::mutex mu_;
  std::string status_json_ = R"({"ready":true,"connections":0,"tables":{"t":{}}})";
  Sent sent_;
  std::unique_ptr<ServiceNotifier> notifier_;
};

TEST_F(ServiceNotifierTest, OutsideSystemdSendsNothingAndArmsNoTimer) {
  ServiceNotifierOptions options;
  options.enabled = false;
  options.watchdog = 2ms;
  options.status_interval = 1ms;
  make(options);
  on([](ServiceNotifier& n) {
    n.started();
    n.reloading();
    n.reloaded("x");
    n.stopping();
    n.failed("y");
  });
  // Let the loop run well past both intervals: a timer, had one been armed, would have fired.
  turnLoopFor(30ms);
  EXPECT_TRUE(sent_.all().empty());
}

TEST_F(ServiceNotifierTest, ReadyReloadAndStopMessages) {
  ServiceNotifierOptions options;
  options.enabled = true;
  options.status_interval = 1h;
  make(options);
  on([](ServiceNotifier& n) { n.started(); });
  on([](ServiceNotifier& n) { n.reloading(); });
  on([](ServiceNotifier& n) { n.reloaded("reload refused: line one\nline two"); });
  on([](ServiceNotifier& n) { n.stopping(); });
  auto sent = sent_.all();
  ASSERT_EQ(sent.size(), 4U);
  EXPECT_EQ(sent[0], "READY=1\nSTATUS=serving: 1 table, 0 connections, 0 records/s durable, 0 B queued");
  EXPECT_EQ(sent[1].rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0U) << sent[1];
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t usec = std::stoull(sent[1].substr(sent[1].find('=', 12) + 1));
  uint64_t now_usec = static_cast<uint64_t>(now.tv_sec) * 1000000U + static_cast<uint64_t>(now.tv_nsec) / 1000U;
  EXPECT_LE(usec, now_usec);
  EXPECT_GE(usec + 10'000'000U, now_usec);
  // STATUS is one line.
  EXPECT_EQ(sent[2], "READY=1\nSTATUS=reload refused: line one line two");
  EXPECT_EQ(sent[3].rfind("STOPPING=1\nSTATUS=", 0), 0U) << sent[3];
}

TEST_F(ServiceNotifierTest, StatusIsResentOnlyWhenItChanges) {
  ServiceNotifierOptions options;
  options.enabled = true;
  options.status_interval = 5ms;
  make(options);
  on([](ServiceNotifier& n) { n.started(); });
  // Several intervals pass with nothing changing: no new STATUS.
  turnLoopFor(30ms);
  EXPECT_EQ(sent_.count("STATUS="), 0U);
  setStatus(R"({"ready":true,"connections":2,"tables":{"t":{}}})");
  ASSERT_TRUE(fake::testing::waitFor([&] { return sent_.count("STATUS=") == 1; }));
  auto sent = sent_.all();
  EXPECT_EQ(sent.back(), "STATUS=serving: 1 table, 2 connections, 0 records/s durable, 0 B queued");
}

TEST_F(ServiceNotifierTest, WatchdogPingsAtHalfTheInterval) {
  ServiceNotifierOptions options;
  options.enabled = true;
  options.status_interval = 1h;
  options.watchdog = 40ms;
  make(options);
  EXPECT_EQ(notifier_->watchdogPeriod(), 20ms);
  auto begin = std::chrono::steady_clock::now();
  on([](ServiceNotifier& n) { n.started(); });
  ASSERT_TRUE(fake::testing::waitFor([&] { return sent_.count("WATCHDOG=1") >= 6; }));
  // Six pings: one at start, then one per 20 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 100ms);
}

TEST_F(ServiceNotifierTest, ATinyWatchdogIntervalStillGivesAUsablePeriod) {
  ServiceNotifierOptions options;
  options.enabled = true;
  options.watchdog = 1us;
  make(options);
  EXPECT_EQ(notifier_->watchdogPeriod(), 1ms);
}

}  // namespace
}  // namespace zerobusd::systemd
