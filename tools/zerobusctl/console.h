#pragma once
// zerobusctl's stderr: error lines, and (only when stderr is a terminal) one progress line
// that is rewritten in place. Error lines first clear the progress line so the two never mix.
//
// Thread-safe: the reporter thread and the main thread both write through one Console.
// Never throws; write errors on stderr are ignored (there is nowhere left to report them).

#include <mutex>
#include <string>
#include <string_view>

namespace zerobusd::ctl {

class Console {
 public:
  // `progress`: whether progress lines are shown (callers pass isatty(STDERR_FILENO)).
  explicit Console(bool progress);

  bool showsProgress() const { return progress_; }
  // "zerobusctl: <text>\n" on stderr.
  void error(std::string_view text);
  // Replaces the progress line (no-op unless progress is on).
  void progress(std::string_view text);
  // Removes the progress line, if one is shown.
  void clearProgress();

 private:
  void clearLocked();

  const bool progress_;
  std::mutex mu_;
  bool shown_ = false;  // guarded by mu_
};

}  // namespace zerobusd::ctl
