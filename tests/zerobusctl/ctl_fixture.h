#pragma once
// zerobusctl end-to-end harness: zerobus-fake and zerobusd in-process (DaemonTest), the real
// zerobusctl binary run against the daemon's socket (ctl_runner.h), and helpers to read what
// landed in the fake's tables.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon/daemon_fixture.h"
#include "tests/zerobusctl/ctl_runner.h"

namespace zerobusd::ctl::testing {

class CtlTest : public zerobusd::testing::DaemonTest {
 protected:
  // zerobusctl --socket <the daemon's socket> --timeout 20s <args...>
  CtlRun ctl(const std::vector<std::string>& args, const CtlInput& input = {});
  // Polls `zerobusctl health` (bounded) until it exits 0; the daemon is ready once every table
  // has an open upstream stream.
  bool waitHealthy();
  // The `row` objects landed in `table`, once there are at least `count` (bounded wait).
  std::vector<nlohmann::json> rowsOnceAtLeast(const std::string& table, size_t count);
  // A file in the test's temporary directory holding `text`.
  std::string inputFile(const std::string& name, const std::string& text);

  fake::testing::TempDir work_;
};

// "line N:" / "record N:" appears on its own in zerobusctl's stderr.
bool reportsNumber(const std::string& err, const std::string& unit, int number);

}  // namespace zerobusd::ctl::testing
