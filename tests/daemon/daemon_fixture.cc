#include "tests/daemon/daemon_fixture.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <future>

#include <fmt/format.h>

#include "daemon/config/environment.h"

namespace zerobusd::testing {

namespace f = zerobusd::frame;

RawClient::RawClient(const std::string& socket_path) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) closeNow();
}

RawClient::~RawClient() { closeNow(); }

void RawClient::closeNow() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawClient::send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::optional<RawFrame> RawClient::read(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (buffer_.size() >= f::kHeaderSize) {
      auto header = f::parseHeader(reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size(), UINT32_MAX);
      if (header.status == f::HeaderStatus::kError) return std::nullopt;
      size_t total = f::kHeaderSize + header.header.payload_size;
      if (buffer_.size() >= total) {
        RawFrame frame{header.header.type, buffer_.substr(f::kHeaderSize, header.header.payload_size)};
        buffer_.erase(0, total);
        return frame;
      }
    }
    if (fd_ < 0) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      closeNow();
      continue;  // frames already buffered are still returned
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

std::optional<RawFrame> RawClient::readUntil(const std::function<bool(const RawFrame&)>& pred,
                                             std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto frame = read(std::max(left, std::chrono::milliseconds(0)));
    if (!frame) return std::nullopt;
    if (pred(*frame)) return frame;
  }
}

bool RawClient::hello(uint8_t ack_levels) {
  std::string out;
  f::encodeHello(out, ack_levels, "daemon-test");
  if (!send(out)) return false;
  auto welcome = read();
  return welcome && welcome->type == f::FrameType::kWelcome;
}

uint32_t RawClient::open(const std::string& table, f::RecordType type, f::ErrorCode* refused) {
  std::string out;
  f::encodeOpen(out, 1, type, table);
  if (!send(out)) return 0;
  auto result = readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kOpenResult; });
  if (!result) return 0;
  f::OpenResult parsed;
  f::ErrorCode error{};
  if (!f::parseOpenResult(result->payload, &parsed, &error)) return 0;
  if (refused != nullptr) *refused = parsed.error_code;
  return parsed.error_code == f::ErrorCode::kOk ? parsed.handle : 0;
}

bool RawClient::sendRecords(uint32_t handle, uint64_t first_seq, const std::vector<std::string>& records) {
  std::string out;
  f::RecordsEncoder encoder;
  encoder.begin(out, handle, first_seq);
  for (const auto& r : records) encoder.add(out, r);
  encoder.finish(out);
  return send(out);
}

bool RawClient::waitDurable(uint32_t handle, uint64_t next_seq, std::vector<f::Reject>* rejects,
                            std::chrono::milliseconds limit) {
  auto frame = readUntil(
      [&](const RawFrame& fr) {
        f::ErrorCode error{};
        if (fr.type == f::FrameType::kReject && rejects != nullptr) {
          f::Reject reject;
          if (f::parseReject(fr.payload, &reject, &error)) {
            reject_storage_.emplace_back(reject.message);
            reject.message = reject_storage_.back();
            rejects->push_back(reject);
          }
        }
        if (fr.type != f::FrameType::kAck) return false;
        f::Ack ack;
        return f::parseAck(fr.payload, &ack, &error) && ack.handle == handle &&
               ack.level == f::AckLevel::kDurable && ack.next_seq >= next_seq;
      },
      limit);
  return frame.has_value();
}

void DaemonTest::SetUp() {
  FakeTest::SetUp();
  std::ofstream proto(socket_dir_.path() + "/air_quality.proto");
  proto << "syntax = \"proto2\";\nmessage AirQuality { optional string device_name = 1; "
           "optional int32 temp = 2; optional int64 humidity = 3; }\n";
}

void DaemonTest::TearDown() {
  // End as the daemon does on SIGTERM when that is quick (drain, then half-close the streams),
  // the way it really stops; not drained within 3 s, it is stopped below regardless.
  if (server_ && !shut_down_) shutdownDaemon(std::chrono::seconds(3));
  stopDaemon();
  FakeTest::TearDown();
}

std::vector<std::string> eventRecords(int first, int count) {
  std::vector<std::string> out;
  for (int i = first; i < first + count; ++i) out.push_back(nlohmann::json{{"id", i}, {"kind", "k"}}.dump());
  return out;
}

std::optional<f::ErrorFrame> fatalError(RawClient& client, std::string* storage, std::chrono::milliseconds limit) {
  auto frame = client.readUntil([](const RawFrame& fr) { return fr.type == f::FrameType::kError; }, limit);
  if (!frame) return std::nullopt;
  *storage = frame->payload;
  f::ErrorFrame error;
  f::ErrorCode parse_error{};
  if (!f::parseError(*storage, &error, &parse_error)) return std::nullopt;
  return error;
}

std::string DaemonTest::metricsText() {
  int port = 0;
  loop_->runSync([&] { port = server_->metricsPort(); });
  httplib::Client http("127.0.0.1", port);
  auto res = http.Get("/metrics");
  return res ? res->body : "";
}

std::string DaemonTest::daemonYaml() const {
  return fmt::format(R"(
service:
  endpoint: http://127.0.0.1:{grpc}
  workspace_url: http://127.0.0.1:{http}
  plaintext: true
auth:
  mode: oauth
  client_id: test-client
  client_secret_env: TEST_SECRET
socket:
  path: {socket}
metrics:
  listen: 127.0.0.1:0
log:
  level: warn
defaults:
  batch: {{linger_ms: 2}}
  stream:
    recovery_backoff_ms: 50
    recovery_timeout_ms: 5000
)",
                     fmt::arg("grpc", fake_->grpcPort()), fmt::arg("http", fake_->httpPort()),
                     fmt::arg("socket", socketPath()));
}

std::string DaemonTest::configYaml(const std::string& extra_yaml, const std::string& table_extra,
                                   bool air_quality, bool events) const {
  std::string yaml = daemonYaml() + extra_yaml + "\ntables:\n";
  if (air_quality) {
    yaml += fmt::format("  - name: {}\n    record_type: proto\n    proto_file: air_quality.proto\n"
                        "    message: AirQuality\n{}\n",
                        kAirQuality, table_extra);
  }
  if (events) yaml += fmt::format("  - name: {}\n    record_type: json\n{}\n", kEvents, table_extra);
  return yaml;
}

absl::StatusOr<std::shared_ptr<const config::Config>> DaemonTest::parseYaml(const std::string& yaml) const {
  config::MapEnvironment env;
  env.set("TEST_SECRET", "test-secret");
  return config::parseConfig(yaml, socket_dir_.path(), env);
}

void DaemonTest::startDaemon(const std::string& extra_yaml, const std::string& table_extra) {
  startDaemonWith(configYaml(extra_yaml, table_extra));
}

void DaemonTest::startDaemonWith(const std::string& yaml) {
  auto parsed = parseYaml(yaml);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << yaml;
  config_ = *parsed;
  loop_ = std::make_unique<LoopThread>();
  absl::Status started;
  loop_->runSync([&] {
    server_ = std::make_unique<server::Server>(loop_->loop(), config_);
    started = server_->start();
  });
  ASSERT_TRUE(started.ok()) << started;
}

absl::Status DaemonTest::reloadDaemon(const std::string& yaml) {
  auto parsed = parseYaml(yaml);
  absl::Status result;
  loop_->runSync([&] { result = server_->reload(parsed); });
  return result;
}

void DaemonTest::stopDaemon() {
  if (!loop_) return;
  loop_->runSync([&] { server_.reset(); });
  loop_.reset();
}

bool DaemonTest::shutdownDaemon(std::chrono::seconds limit) {
  shut_down_ = true;
  // Shared with the callback: it may still come after this gave up waiting.
  auto drained = std::make_shared<std::promise<bool>>();
  auto future = drained->get_future();
  loop_->runSync([&] { server_->shutdown([drained](bool ok) { drained->set_value(ok); }); });
  if (future.wait_for(limit) != std::future_status::ready) return false;
  return future.get();
}

std::string DaemonTest::statusJson() {
  std::string json;
  loop_->runSync([&] { json = server_->statusJson(); });
  return json;
}

}  // namespace zerobusd::testing
