#include "tests/fake/fake_fixture.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace zerobusd::fake::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "zbfake-XXXXXX").string();
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {
Column column(const char* name, const char* type, bool nullable = true, int position = 0) {
  Column c;
  c.name = name;
  c.type = *parseTypeText(type);
  c.nullable = nullable;
  c.position = position;
  return c;
}
}  // namespace

FakeConfig testConfig(const std::string& output_dir) {
  FakeConfig config;
  config.grpc_listen = "127.0.0.1:0";
  config.http_listen = "127.0.0.1:0";
  config.admin_listen = "127.0.0.1:0";
  config.plaintext = true;
  config.output_dir = output_dir;
  config.stream_lifetime_ms = 0;  // tests that want a lifetime set one
  FakeTable air;
  air.schema.full_name = kAirQuality;
  air.schema.columns = {column("device_name", "string", true, 0), column("temp", "int", true, 1),
                        column("humidity", "bigint", true, 2)};
  FakeTable events;
  events.schema.full_name = kEvents;
  events.schema.columns = {column("id", "bigint", false, 0), column("kind", "string", false, 1),
                           column("tags", "array<string>", true, 2)};
  config.tables = {air, events};
  return config;
}

google::protobuf::DescriptorProto airQualityDescriptor() {
  google::protobuf::DescriptorProto d;
  d.set_name("AirQuality");
  auto add = [&](const char* name, int number, google::protobuf::FieldDescriptorProto::Type type) {
    auto* f = d.add_field();
    f->set_name(name);
    f->set_number(number);
    f->set_type(type);
    f->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
  };
  add("device_name", 1, google::protobuf::FieldDescriptorProto::TYPE_STRING);
  add("temp", 2, google::protobuf::FieldDescriptorProto::TYPE_INT32);
  add("humidity", 3, google::protobuf::FieldDescriptorProto::TYPE_INT64);
  return d;
}

std::string airQualityRecord(int i, size_t size) {
  // device_name "sensor-<i>" padded with 'x' so the whole record is `size` bytes; temp and
  // humidity as one-byte varints (the SDK driver's layout).
  size_t name_len = size > 6 ? std::min<size_t>(size - 6, 127) : 1;
  std::string name = "sensor-" + std::to_string(i);
  name.resize(std::max(name.size(), name_len), 'x');
  std::string out;
  out += '\x0a';
  out += static_cast<char>(name.size());
  out += name;
  out += '\x10';
  out += static_cast<char>(20 + i % 15);
  out += '\x18';
  out += static_cast<char>(50 + i % 40);
  return out;
}

std::vector<std::string> airQualityRecords(int first, int count) {
  std::vector<std::string> out;
  for (int i = first; i < first + count; ++i) out.push_back(airQualityRecord(i));
  return out;
}

std::string airQualityJson(int i) {
  return nlohmann::json{{"device_name", "sensor-" + std::to_string(i)},
                        {"temp", 20 + i % 15},
                        {"humidity", 50 + i % 40}}
      .dump();
}

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

int closedLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0;
  ::close(fd);
  return bound ? ntohs(addr.sin_port) : -1;
}

std::optional<int> waitChild(pid_t pid, std::chrono::milliseconds limit) {
  // A pidfd becomes readable when the process exits: an exact wait with a bound, no polling.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return std::nullopt;
  pollfd exited{pidfd, POLLIN, 0};
  const bool done = ::poll(&exited, 1, static_cast<int>(limit.count())) == 1;
  ::close(pidfd);
  int status = 0;
  if (!done || ::waitpid(pid, &status, 0) != pid) return std::nullopt;
  return status;
}

Call::Call(zb::Zerobus::Stub& stub, const std::string& table, const std::string& token)
    : Call(stub, {{"authorization", "Bearer " + token},
                  {"x-databricks-zerobus-table-name", table}}) {}

Call::Call(zb::Zerobus::Stub& stub,
           const std::vector<std::pair<std::string, std::string>>& metadata) {
  context_.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  for (const auto& [key, value] : metadata) context_.AddMetadata(key, value);
  stream_ = stub.EphemeralStream(&context_);
}

bool Call::create(const std::string& table, zb::RecordType type,
                  std::optional<google::protobuf::DescriptorProto> descriptor) {
  zb::EphemeralStreamRequest request;
  auto* create = request.mutable_create_stream();
  create->set_table_name(table);
  create->set_record_type(type);
  if (descriptor) create->set_descriptor_proto(descriptor->SerializeAsString());
  return stream_->Write(request);
}

bool Call::sendBatch(int64_t offset, const std::vector<std::string>& records, bool json) {
  zb::EphemeralStreamRequest request;
  auto* batch = request.mutable_ingest_record_batch();
  batch->set_offset_id(offset);
  for (const auto& record : records) {
    if (json) {
      batch->mutable_json_batch()->add_records(record);
    } else {
      batch->mutable_proto_encoded_batch()->add_records(record);
    }
  }
  return stream_->Write(request);
}

bool Call::sendRecord(int64_t offset, const std::string& record, bool json) {
  zb::EphemeralStreamRequest request;
  auto* single = request.mutable_ingest_record();
  single->set_offset_id(offset);
  if (json) {
    single->set_json_record(record);
  } else {
    single->set_proto_encoded_record(record);
  }
  return stream_->Write(request);
}

std::optional<zb::EphemeralStreamResponse> Call::read() {
  zb::EphemeralStreamResponse response;
  if (!stream_->Read(&response)) return std::nullopt;
  if (response.has_ingest_record_response() &&
      response.ingest_record_response().has_durability_ack_up_to_offset()) {
    last_ack_ = response.ingest_record_response().durability_ack_up_to_offset();
  }
  return response;
}

bool Call::readAck(int64_t offset) {
  while (last_ack_ < offset) {
    if (!read()) return false;
  }
  return true;
}

std::string Call::readCreated() {
  auto response = read();
  if (!response || !response->has_create_stream_response()) return "";
  return response->create_stream_response().stream_id();
}

grpc::Status Call::finish() {
  stream_->WritesDone();
  return finishWithoutHalfClose();
}

grpc::Status Call::finishWithoutHalfClose() {
  while (read()) {
  }
  return stream_->Finish();
}

void FakeTest::startFake(FakeConfig config) {
  config_ = config;
  fake_ = std::make_unique<FakeServer>(std::move(config));
  auto status = fake_->start();
  ASSERT_TRUE(status.ok()) << status.message();
  stub_ = newStub();
}

void FakeTest::restartWith(const std::function<void(FakeConfig&)>& edit) {
  fake_->stop();
  FakeConfig config = config_;
  edit(config);
  startFake(std::move(config));
}

std::unique_ptr<zb::Zerobus::Stub> FakeTest::newStub() {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(fake_->grpcPort()),
                                     grpc::InsecureChannelCredentials());
  return zb::Zerobus::NewStub(channel);
}

nlohmann::json FakeTest::admin(const std::string& path, const nlohmann::json& body) {
  httplib::Client client("127.0.0.1", fake_->adminPort());
  auto res = client.Post(path.c_str(), body.dump(), "application/json");
  if (!res) return {{"http_error", static_cast<int>(res.error())}};
  auto parsed = nlohmann::json::parse(res->body, nullptr, false);
  parsed["http_status"] = res->status;
  return parsed;
}

nlohmann::json FakeTest::adminGet(const std::string& path) {
  httplib::Client client("127.0.0.1", fake_->adminPort());
  auto res = client.Get(path.c_str());
  if (!res) return {{"http_error", static_cast<int>(res.error())}};
  return nlohmann::json::parse(res->body, nullptr, false);
}

std::vector<nlohmann::json> FakeTest::landedRows(const std::string& table) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(std::filesystem::path(out_.path()) / (table + ".jsonl"));
  std::string line;
  while (std::getline(in, line)) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

}  // namespace zerobusd::fake::testing
