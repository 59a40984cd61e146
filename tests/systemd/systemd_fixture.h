#pragma once
// zerobusd as systemd runs it, against zerobus-fake in-process (plaintext, free ports): a
// config file in a temporary directory, the OAuth client secret as a credential
// ($CREDENTIALS_DIRECTORY/client-secret, as LoadCredential= provides it), a NotifyReceiver as
// NOTIFY_SOCKET, and the real binary started by DaemonProcess. Producers use the C++ client.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/fake/fake_fixture.h"
#include "tests/systemd/daemon_process.h"
#include "tests/systemd/notify_receiver.h"
#include "zerobusd/client.h"

namespace zerobusd::testing {

class SystemdDaemonTest : public fake::testing::FakeTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string socketPath() const { return dir_.path() + "/zd.sock"; }
  std::string configPath() const { return dir_.path() + "/zerobusd.yaml"; }
  // Writes the config: the events table (JSON), plus the air_quality table (proto) if asked.
  void writeConfig(bool with_air_quality = false, const std::string& extra_yaml = "");
  // Starts the daemon with NOTIFY_SOCKET and the credentials directory set, plus `env`.
  void spawn(std::vector<std::string> env = {}, int listen_fd = -1);
  // SIGTERM, then the exit code (nullopt if it did not exit within the limit).
  std::optional<int> stop();

  // One JSON record into the events table through the client library, waited on until durable.
  ::testing::AssertionResult ingestEvent(int id);

  fake::testing::TempDir dir_;
  std::unique_ptr<NotifyReceiver> notify_;
  std::unique_ptr<DaemonProcess> daemon_;
};

}  // namespace zerobusd::testing
