#include "tools/zerobusctl/console.h"

#include <unistd.h>

namespace zerobusd::ctl {
namespace {

void writeAll(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

Console::Console(bool progress) : progress_(progress) {}

void Console::error(std::string_view text) {
  std::string line = "zerobusctl: ";
  line += text;
  line += '\n';
  std::lock_guard lock(mu_);
  clearLocked();
  writeAll(line);
}

void Console::progress(std::string_view text) {
  if (!progress_) return;
  std::string line = "\r\033[K";  // back to column 0, erase the old line
  line += text;
  std::lock_guard lock(mu_);
  writeAll(line);
  shown_ = true;
}

void Console::clearProgress() {
  std::lock_guard lock(mu_);
  clearLocked();
}

void Console::clearLocked() {
  if (!shown_) return;
  writeAll("\r\033[K");
  shown_ = false;
}

}  // namespace zerobusd::ctl
