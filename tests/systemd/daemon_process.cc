#include "tests/systemd/daemon_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/fake/fake_fixture.h"

extern char** environ;

namespace zerobusd::testing {

namespace {

bool isSystemdVariable(const char* entry) {
  for (const char* prefix : {"NOTIFY_SOCKET=", "WATCHDOG_", "LISTEN_", "CREDENTIALS_DIRECTORY="}) {
    if (std::strncmp(entry, prefix, std::strlen(prefix)) == 0) return true;
  }
  return false;
}

// Writes "LISTEN_PID=<pid>" into `out` without allocating (runs between fork and exec).
void formatListenPid(char* out, size_t size, pid_t pid) {
  const char prefix[] = "LISTEN_PID=";
  size_t at = 0;
  for (; prefix[at] != '\0' && at + 1 < size; ++at) out[at] = prefix[at];
  char digits[24];
  size_t n = 0;
  auto value = static_cast<unsigned long>(pid);
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < sizeof(digits));
  while (n > 0 && at + 1 < size) out[at++] = digits[--n];
  out[at] = '\0';
}

}  // namespace

DaemonProcess::DaemonProcess(const SpawnOptions& options) : log_path_(options.log_path) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args{options.binary};
  args.insert(args.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!isSystemdVariable(*e)) env.emplace_back(*e);
  }
  env.insert(env.end(), options.env.begin(), options.env.end());
  if (options.listen_fd >= 0) env.emplace_back("LISTEN_FDS=1");
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  char listen_pid[48] = {};
  if (options.listen_fd >= 0) envp.push_back(listen_pid);
  envp.push_back(nullptr);

  int log_fd = ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) return;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (options.listen_fd >= 0) {
      // Out of the way first, in case the socket is fd 3 already (dup2 onto itself would keep
      // close-on-exec set).
      int high = ::fcntl(options.listen_fd, F_DUPFD_CLOEXEC, 64);
      if (high < 0 || ::dup2(high, 3) < 0) ::_exit(126);
      formatListenPid(listen_pid, sizeof(listen_pid), ::getpid());
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !exit_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool DaemonProcess::signal(int signum) const { return pid_ > 0 && ::kill(pid_, signum) == 0; }

std::optional<int> DaemonProcess::waitExit(std::chrono::milliseconds limit) {
  if (exit_ || pid_ <= 0) return exit_;
  auto status = fake::testing::waitChild(pid_, limit);
  if (status) exit_ = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
  return exit_;
}

std::string DaemonProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace zerobusd::testing
