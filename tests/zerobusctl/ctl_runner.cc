#include "tests/zerobusctl/ctl_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace zerobusd::ctl::testing {
namespace {

using Clock = std::chrono::steady_clock;

int openOrThrow(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  return fd;
}

// VmHWM of a live process, in KiB; 0 when it cannot be read (the process already ended).
long peakRssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

}  // namespace

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

CtlRun runCtl(const std::vector<std::string>& args, const CtlInput& input) {
  char dir_template[] = "/tmp/zbctl-run-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp failed");
  const std::string dir = dir_template;
  const std::string out_path = dir + "/out";
  const std::string err_path = dir + "/err";

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [name, value] : input.env) replaced = replaced || name == key;
    for (const auto& name : input.unset_env) replaced = replaced || name == key;
    if (!replaced) env_storage.push_back(entry);
  }
  for (const auto& [name, value] : input.env) env_storage.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  std::vector<std::string> argv_storage = {ZEROBUSCTL_BIN};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const int in_fd =
      openOrThrow(input.stdin_file.empty() ? "/dev/null" : input.stdin_file, O_RDONLY);
  const int out_fd = openOrThrow(out_path, O_WRONLY | O_CREAT | O_TRUNC);
  const int err_fd = openOrThrow(err_path, O_WRONLY | O_CREAT | O_TRUNC);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  pid_t pid = 0;
  const auto started = Clock::now();
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_fd);
  ::close(out_fd);
  ::close(err_fd);
  if (spawned != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(spawned));

  CtlRun run;
  int status = 0;
  // Polls for the child's end with a bounded deadline (the test must end by itself).
  while (true) {
    run.peak_rss_kib = std::max(run.peak_rss_kib, peakRssKib(pid));
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (Clock::now() - started > input.limit) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      run.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  run.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  run.exit_code = !run.timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = readFile(out_path);
  run.err = readFile(err_path);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return run;
}

}  // namespace zerobusd::ctl::testing
