// Socket activation: systemd (here, the test) binds and listens on the socket, passes it as
// fd 3 with LISTEN_FDS/LISTEN_PID, and keeps it across daemon restarts. zerobusd must serve
// on it, and leave the file and the listening socket alone when it stops.

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>

#include <gtest/gtest.h>

#include "tests/systemd/systemd_fixture.h"

namespace zerobusd::testing {
namespace {

// A listening AF_UNIX stream socket at `path`, as systemd's zerobusd.socket makes it.
int listenAt(const std::string& path, mode_t mode) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 16) != 0 ||
      ::chmod(path.c_str(), mode) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

class SocketActivationTest : public SystemdDaemonTest {
 protected:
  void TearDown() override {
    SystemdDaemonTest::TearDown();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  int listen_fd_ = -1;
};

TEST_F(SocketActivationTest, ServesOnThePassedSocketAndLeavesItAloneAtStop) {
  writeConfig();  // socket.mode is 0660 by default: the daemon must not apply it here
  listen_fd_ = listenAt(socketPath(), 0666);
  ASSERT_GE(listen_fd_, 0) << std::strerror(errno);
  struct stat before {};
  ASSERT_EQ(::lstat(socketPath().c_str(), &before), 0);

  spawn({}, listen_fd_);
  ASSERT_TRUE(notify_->waitForLine("READY=1")) << daemon_->log();
  EXPECT_TRUE(ingestEvent(1));
  EXPECT_NE(daemon_->log().find("passed by the service manager"), std::string::npos) << daemon_->log();

  EXPECT_EQ(stop(), 0) << daemon_->log();
  struct stat after {};
  ASSERT_EQ(::lstat(socketPath().c_str(), &after), 0) << "the daemon removed the socket file";
  EXPECT_TRUE(S_ISSOCK(after.st_mode));
  EXPECT_EQ(after.st_ino, before.st_ino) << "the daemon replaced the socket file";
  EXPECT_EQ(after.st_mode & 0777, 0666U) << "the daemon changed the socket's mode";
}

// What socket activation is for: a producer that connects while no daemon runs waits in the
// backlog and is served by the next daemon, which gets the same socket.
TEST_F(SocketActivationTest, AProducerConnectingBetweenTwoDaemonsIsServedByTheNext) {
  writeConfig();
  listen_fd_ = listenAt(socketPath(), 0660);
  ASSERT_GE(listen_fd_, 0) << std::strerror(errno);
  spawn({}, listen_fd_);
  ASSERT_TRUE(notify_->waitForLine("READY=1")) << daemon_->log();
  ASSERT_EQ(stop(), 0) << daemon_->log();

  auto waiting = std::async(std::launch::async, [this] {
    ClientOptions options;
    options.socket_path = socketPath();
    options.connect_timeout = std::chrono::seconds(30);
    auto client = Client::connect(options);
    if (!client.ok()) return client.error().toString();
    auto table = client->openTable(fake::testing::kEvents, RecordType::kJson);
    if (!table.ok()) return table.error().toString();
    auto done = table->ingestJson(R"({"id": 2, "kind": "queued"})").waitDurable(std::chrono::seconds(30));
    return done.ok() ? std::string("ok") : done.error().toString();
  });
  spawn({}, listen_fd_);
  ASSERT_TRUE(notify_->waitForLine("READY=1")) << daemon_->log();
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(waiting.get(), "ok") << daemon_->log();
  EXPECT_EQ(stop(), 0) << daemon_->log();
}

// LISTEN_FDS announcing a socket bound elsewhere: not ours to serve on. The daemon binds
// socket.path as usual, says so, and does not keep the stray fd.
TEST_F(SocketActivationTest, ASocketForAnotherPathIsIgnored) {
  writeConfig();
  listen_fd_ = listenAt(dir_.path() + "/other.sock", 0660);
  ASSERT_GE(listen_fd_, 0) << std::strerror(errno);
  spawn({}, listen_fd_);
  ASSERT_TRUE(notify_->waitForLine("READY=1")) << daemon_->log();
  EXPECT_TRUE(ingestEvent(3));
  std::string log = daemon_->log();
  EXPECT_NE(log.find("ignoring socket fd 3 passed by the service manager"), std::string::npos) << log;
  EXPECT_EQ(log.find("(socket activation)"), std::string::npos) << log;
  EXPECT_EQ(stop(), 0) << daemon_->log();
  EXPECT_FALSE(std::filesystem::exists(socketPath()));  // its own file, removed at stop
}

}  // namespace
}  // namespace zerobusd::testing
