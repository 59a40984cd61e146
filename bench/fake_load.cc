// fake_load: drives EphemeralStream calls against a Zerobus endpoint (zerobus-fake here) with
// AirQuality records, waits for every durability ack, and prints one JSON line of figures.
// Used by bench/fake_throughput.sh (can the fake keep up with anything we benchmark against
// it?) and by the demo as a plain producer. Each stream is one call with a writer (this
// thread pool) and a reader thread; at most --window messages are unacked per stream.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "bench/air_quality.h"
#include "proto/zerobus_service.grpc.pb.h"

namespace {

namespace zb = databricks::zerobus;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string target = "127.0.0.1:50443";
  std::string ca_file;  // TLS with this CA; empty = plaintext
  std::string authority;
  std::string token = "test-token";
  std::string table = "main.default.air_quality";
  std::string mode = "proto";
  int64_t records = 1000000;
  int size = 100;
  int batch = 1000;
  int streams = 1;
  int window = 64;
};

struct StreamResult {
  int64_t records = 0;
  int64_t bytes = 0;
  std::string error;
};

// One call: sends records [first, first + count) in batches, waits for every ack.
StreamResult runStream(const Options& o, const std::shared_ptr<grpc::Channel>& channel,
                       int64_t first, int64_t count) {
  StreamResult result;
  auto stub = zb::Zerobus::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + o.token);
  context.AddMetadata("x-databricks-zerobus-table-name", o.table);
  auto stream = stub->EphemeralStream(&context);
  stream->WaitForInitialMetadata();
  bool json = o.mode == "json";
  zb::EphemeralStreamRequest create;
  create.mutable_create_stream()->set_table_name(o.table);
  create.mutable_create_stream()->set_record_type(json ? zb::JSON : zb::PROTO);
  if (!json) create.mutable_create_stream()->set_descriptor_proto(zerobusd::bench::airQualityDescriptor().SerializeAsString());
  zb::EphemeralStreamResponse response;
  if (!stream->Write(create) || !stream->Read(&response) || !response.has_create_stream_response()) {
    result.error = "create_stream failed: " + stream->Finish().error_message();
    return result;
  }

  std::mutex mu;
  std::condition_variable cv;
  int64_t acked = -1;
  bool reader_done = false;
  std::thread reader([&] {
    zb::EphemeralStreamResponse r;
    while (stream->Read(&r)) {
      if (r.has_ingest_record_response()) {
        std::lock_guard lock(mu);
        acked = r.ingest_record_response().durability_ack_up_to_offset();
        cv.notify_all();
      }
    }
    std::lock_guard lock(mu);
    reader_done = true;
    cv.notify_all();
  });

  int64_t offset = 0;
  zb::EphemeralStreamRequest request;
  for (int64_t i = first; i < first + count;) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return reader_done || offset - acked <= o.window; });
      if (reader_done) break;
    }
    int64_t n = std::min<int64_t>(o.batch, first + count - i);
    request.Clear();
    auto* batch = request.mutable_ingest_record_batch();
    batch->set_offset_id(offset);
    for (int64_t k = 0; k < n; ++k, ++i) {
      std::string* record = json ? batch->mutable_json_batch()->add_records()
                                 : batch->mutable_proto_encoded_batch()->add_records();
      *record = json ? zerobusd::bench::airQualityJson(i, i, o.size) : zerobusd::bench::airQualityProto(i, i, o.size);
      result.bytes += static_cast<int64_t>(record->size());
    }
    if (!stream->Write(request)) break;
    result.records += n;
    ++offset;
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return reader_done || acked == offset - 1; });
  }
  stream->WritesDone();
  reader.join();
  grpc::Status status = stream->Finish();
  if (!status.ok()) result.error = std::to_string(status.error_code()) + " " + status.error_message();
  if (acked != offset - 1 && result.error.empty()) result.error = "not every message was acked";
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"fake_load: push AirQuality records over EphemeralStream and time the acks"};
  app.add_option("--target", o.target, "host:port of the Zerobus endpoint");
  app.add_option("--ca", o.ca_file, "TLS with this CA bundle (PEM); without it: plaintext");
  app.add_option("--authority", o.authority, "TLS name to check (default: the target host)");
  app.add_option("--token", o.token, "bearer token");
  app.add_option("--table", o.table, "catalog.schema.table");
  app.add_option("--mode", o.mode, "proto or json")->check(CLI::IsMember({"proto", "json"}));
  app.add_option("--records", o.records, "records in all")->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--size", o.size, "bytes per record")->check(CLI::Range(20, 127));
  app.add_option("--batch", o.batch, "records per message")->check(CLI::Range(1, 100000));
  app.add_option("--streams", o.streams, "concurrent streams")->check(CLI::Range(1, 256));
  app.add_option("--window", o.window, "unacked messages per stream")->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);

  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  if (!o.ca_file.empty()) {
    std::ifstream in(o.ca_file);
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in) {
      std::fprintf(stderr, "fake_load: cannot read %s\n", o.ca_file.c_str());
      return 2;
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem.str();
    credentials = grpc::SslCredentials(ssl);
    if (!o.authority.empty()) args.SetSslTargetNameOverride(o.authority);
  }
  // One connection per stream, as the newer SDK does, so streams do not share one HTTP/2 pipe.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int s = 0; s < o.streams; ++s) {
    grpc::ChannelArguments own = args;
    own.SetInt("zerobusd.fake_load.channel", s);  // distinct args: a distinct connection
    channels.push_back(grpc::CreateCustomChannel(o.target, credentials, own));
  }

  std::vector<StreamResult> results(static_cast<size_t>(o.streams));
  std::vector<std::thread> threads;
  auto start = Clock::now();
  int64_t per_stream = o.records / o.streams;
  for (int s = 0; s < o.streams; ++s) {
    int64_t first = per_stream * s;
    int64_t count = s == o.streams - 1 ? o.records - first : per_stream;
    threads.emplace_back([&, s, first, count] {
      results[static_cast<size_t>(s)] = runStream(o, channels[static_cast<size_t>(s)], first, count);
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  int64_t records = 0, bytes = 0;
  std::string errors;
  for (const auto& r : results) {
    records += r.records;
    bytes += r.bytes;
    if (!r.error.empty()) errors += (errors.empty() ? "" : "; ") + r.error;
  }
  nlohmann::json out = {{"driver", "fake_load"},     {"mode", o.mode},
                        {"streams", o.streams},      {"batch", o.batch},
                        {"size", o.size},            {"records", records},
                        {"bytes", bytes},            {"seconds", seconds},
                        {"records_per_s", static_cast<int64_t>(static_cast<double>(records) / seconds)},
                        {"mb_per_s", static_cast<double>(bytes) / seconds / 1e6}};
  if (!errors.empty()) out["error"] = errors;
  std::printf("%s\n", out.dump().c_str());
  return errors.empty() ? 0 : 1;
}
