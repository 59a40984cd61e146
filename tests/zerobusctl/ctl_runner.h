#pragma once
// Runs the real zerobusctl binary (path compiled in as ZEROBUSCTL_BIN) as a child process, as a
// user or a probe would: arguments, stdin from a file, extra environment, stdout and stderr
// captured through temporary files. Bounded: a child still running after `limit` is killed
// (and the result says so).

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace zerobusd::ctl::testing {

struct CtlRun {
  int exit_code = -1;  // -1: killed by a signal or by the time limit
  bool timed_out = false;
  std::string out;
  std::string err;
  // The child's peak resident set (VmHWM), sampled while it runs. Not getrusage's ru_maxrss:
  // with a vfork-style spawn that also counts the parent's peak before exec.
  long peak_rss_kib = 0;
  std::chrono::milliseconds took{0};
};

struct CtlInput {
  std::string stdin_file;                                // empty: /dev/null
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) ours
  std::vector<std::string> unset_env;                    // removed from ours
  std::chrono::milliseconds limit{60'000};
};

CtlRun runCtl(const std::vector<std::string>& args, const CtlInput& input = {});

// Writes `text` to a new file `path` (helper for inputs).
void writeFile(const std::string& path, const std::string& text);
std::string readFile(const std::string& path);

}  // namespace zerobusd::ctl::testing
