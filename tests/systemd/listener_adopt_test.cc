// Listener and the sockets inherited from the service manager (daemon/ipc/listener.h).

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "daemon/ipc/listener.h"
#include "daemon/loop/uv_event_loop.h"
#include "tests/fake/fake_fixture.h"

namespace zerobusd::ipc {
namespace {

int unixSocket(const std::string& path, bool listening) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return -1;
  if (listening && ::listen(fd, 8) != 0) return -1;
  return fd;
}

bool canConnect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

class ListenerAdoptTest : public ::testing::Test {
 protected:
  void TearDown() override {
    loop_.runSync([&] { listener_.reset(); });
    // The registry is process-wide: leave it empty for the next test.
    for (int fd : takeUnadoptedInheritedSockets()) ::close(fd);
  }
  absl::Status start(const std::string& path) {
    absl::Status status;
    loop_.runSync([&] {
      listener_ = std::make_unique<Listener>(loop_.loop().raw());
      ListenerOptions options;
      options.path = path;
      options.mode = 0600;
      status = listener_->start(options, [this](std::shared_ptr<Connection> connection) {
        ++accepted_;
        connection->start({});
        connection->close("test", false);  // its handle closes through the loop, as the Server does
      });
    });
    return status;
  }
  void stop() {
    loop_.runSync([&] { listener_->stop(); });
  }
  std::string path(const char* name) const { return dir_.path() + "/" + name; }

  fake::testing::TempDir dir_;
  LoopThread loop_;
  std::unique_ptr<Listener> listener_;
  std::atomic<int> accepted_{0};
};

TEST_F(ListenerAdoptTest, AdoptsTheInheritedSocketBoundToItsPath) {
  int fd = unixSocket(path("zd.sock"), true);
  ASSERT_GE(fd, 0);
  ::chmod(path("zd.sock").c_str(), 0666);
  registerInheritedSockets({fd});
  ASSERT_TRUE(start(path("zd.sock")).ok());
  EXPECT_TRUE(listener_->adopted());
  EXPECT_TRUE(takeUnadoptedInheritedSockets().empty());
  EXPECT_TRUE(canConnect(path("zd.sock")));
  EXPECT_TRUE(fake::testing::waitFor([&] { return accepted_.load() == 1; }));
  struct stat st {};
  ASSERT_EQ(::stat(path("zd.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666U) << "the service manager's mode was changed";
  stop();
  EXPECT_TRUE(std::filesystem::exists(path("zd.sock"))) << "an adopted socket's file was removed";
}

TEST_F(ListenerAdoptTest, MatchesTheSameFileUnderAnotherSpelling) {
  std::filesystem::create_directory(path("real"));
  std::filesystem::create_directory_symlink(path("real"), path("link"));
  int fd = unixSocket(path("real/zd.sock"), true);
  ASSERT_GE(fd, 0);
  registerInheritedSockets({fd});
  ASSERT_TRUE(start(path("link/zd.sock")).ok());
  EXPECT_TRUE(listener_->adopted());
}

TEST_F(ListenerAdoptTest, BindsItsOwnWhenTheInheritedSocketIsForAnotherPath) {
  int fd = unixSocket(path("other.sock"), true);
  ASSERT_GE(fd, 0);
  registerInheritedSockets({fd});
  ASSERT_TRUE(start(path("zd.sock")).ok());
  EXPECT_FALSE(listener_->adopted());
  EXPECT_TRUE(canConnect(path("zd.sock")));
  auto left = takeUnadoptedInheritedSockets();
  ASSERT_EQ(left.size(), 1U);
  EXPECT_EQ(left[0], fd);
  ::close(fd);
  stop();
  EXPECT_FALSE(std::filesystem::exists(path("zd.sock")));  // its own file goes at stop
}

// Anything but a listening Unix stream socket is not adopted: a bound socket that does not
// listen, a datagram socket, a pipe, a closed descriptor.
TEST_F(ListenerAdoptTest, RefusesWhatIsNotAListeningUnixStreamSocket) {
  int bound = unixSocket(path("zd.sock"), false);
  ASSERT_GE(bound, 0);
  int dgram = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  int closed = ::dup(pipe_fds[0]);
  ::close(closed);
  registerInheritedSockets({bound, dgram, pipe_fds[0], closed});
  // The bound-but-not-listening file is stale: replaced by a socket of the Listener's own.
  ASSERT_TRUE(start(path("zd.sock")).ok());
  EXPECT_FALSE(listener_->adopted());
  EXPECT_TRUE(canConnect(path("zd.sock")));
  auto left = takeUnadoptedInheritedSockets();
  EXPECT_EQ(left.size(), 4U);
  for (int fd : {bound, dgram, pipe_fds[0], pipe_fds[1]}) ::close(fd);
}

}  // namespace
}  // namespace zerobusd::ipc
