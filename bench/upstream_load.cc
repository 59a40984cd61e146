// upstream_load: drives one zerobusd upstream stream (daemon/upstream ZerobusStream) the way
// ../shared/bench/official-sdk/driver.js drives the official SDK: same records (AirQuality,
// device_name "sensor-<i>" padded, capped at 127 bytes in proto mode as the driver does), same
// batches, timed from the first ingest to the last ack, one JSON line out. With
// bench/upstream_vs_sdk.sh it measures this module against the SDK in one run.

#include <chrono>
#include <cstdio>
#include <future>
#include <string>

#include <CLI/CLI.hpp>
#include <google/protobuf/descriptor.pb.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include "bench/air_quality.h"
#include "daemon/loop/uv_event_loop.h"
#include "daemon/upstream/channel.h"
#include "daemon/upstream/zerobus_stream.h"

namespace {

using namespace zerobusd;
using namespace zerobusd::upstream;

struct Options {
  std::string endpoint = "https://localhost:50443";
  std::string ca_file;
  std::string token = "test-token";
  std::string table = "main.default.air_quality";
  std::string mode = "proto";
  int64_t records = 100000;
  int size = 100;
  int batch = 1000;
};

double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"upstream_load: one zerobusd upstream stream, driven like the official SDK driver"};
  app.add_option("--endpoint", o.endpoint, "Zerobus endpoint URL");
  app.add_option("--ca", o.ca_file, "CA bundle (PEM) to trust");
  app.add_option("--token", o.token, "bearer token");
  app.add_option("--table", o.table, "catalog.schema.table");
  app.add_option("--mode", o.mode, "proto or json")->check(CLI::IsMember({"proto", "json"}));
  app.add_option("--records", o.records)->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--size", o.size)->check(CLI::Range(10, 1 << 20));
  app.add_option("--batch", o.batch)->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);

  TransportOptions transport;
  transport.endpoint = o.endpoint;
  transport.ca_bundle_file = o.ca_file;
  auto channel = makeChannel(transport, [](const char* name) { return std::getenv(name); });
  if (!channel.ok()) {
    std::fprintf(stderr, "upstream_load: %s\n", channel.status().ToString().c_str());
    return 2;
  }
  bool proto = o.mode == "proto";
  TableTarget target{o.table, proto ? RecordType::Proto : RecordType::Json,
                     proto ? bench::airQualityDescriptor().SerializeAsString() : ""};

  LoopThread thread;
  std::promise<absl::Status> finished;
  bool finished_set = false;
  auto finish = [&](absl::Status status) {
    if (finished_set) return;
    finished_set = true;
    finished.set_value(std::move(status));
  };
  int64_t bytes = 0;
  int64_t next = 0;
  int64_t durable = 0;
  std::chrono::steady_clock::time_point t0;
  std::shared_ptr<ZerobusStream> stream;
  std::function<void()> produce;
  std::promise<absl::Status> opened;
  bool open_reported = false;

  StreamCallbacks callbacks;
  callbacks.on_state = [&](StreamState state) {
    if (!open_reported && (state == StreamState::Opened || state == StreamState::Failed)) {
      open_reported = true;
      opened.set_value(state == StreamState::Opened ? absl::OkStatus() : stream->lastError());
    }
  };
  callbacks.on_batch_done = [&](BatchOutcome outcome, Records) {
    if (!outcome.status.ok()) {
      finish(outcome.status);
      return;
    }
    durable += static_cast<int64_t>(outcome.records);
    if (durable == o.records) finish(absl::OkStatus());
  };
  // Fill the window; resumed by on_capacity.
  produce = [&] {
    while (next < o.records) {
      Records batch;
      int64_t n = std::min<int64_t>(o.batch, o.records - next);
      for (int64_t k = 0; k < n; ++k) {
        std::string* r = batch.Add();
        *r = proto ? bench::airQualityProto((next + k) % 10, next + k, o.size)
                   : bench::airQualityJson((next + k) % 10, next + k, o.size);
        bytes += static_cast<int64_t>(r->size());
      }
      auto offset = stream->ingest(batch, static_cast<uint64_t>(next));
      if (!offset.ok()) {
        if (offset.status().code() == absl::StatusCode::kResourceExhausted) {
          for (const auto& r : batch) bytes -= static_cast<int64_t>(r.size());
          return;  // on_capacity calls back
        }
        finish(offset.status());
        return;
      }
      next += n;
    }
  };
  callbacks.on_capacity = [&] { produce(); };

  thread.runSync([&] {
    stream = ZerobusStream::create(thread.loop(), *channel,
                                   std::make_shared<StaticTokenSource>(o.token), target,
                                   StreamOptions{}, callbacks);
    stream->start();
  });
  absl::Status open_status = opened.get_future().get();
  if (!open_status.ok()) {
    std::fprintf(stderr, "upstream_load failed: %s\n", open_status.ToString().c_str());
    return 1;
  }
  double cpu0 = cpuSeconds();
  thread.runSync([&] {
    t0 = std::chrono::steady_clock::now();
    produce();
  });
  absl::Status result = finished.get_future().get();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpuSeconds() - cpu0;
  std::promise<void> closed;
  thread.runSync([&] { stream->close([&](absl::Status) { closed.set_value(); }); });
  closed.get_future().wait();
  thread.runSync([&] { stream.reset(); });
  if (!result.ok()) {
    std::fprintf(stderr, "upstream_load failed: %s\n", result.ToString().c_str());
    return 1;
  }
  nlohmann::json out = {{"driver", "zerobusd-upstream"}, {"mode", o.mode}, {"batch", o.batch},
                        {"records", o.records}, {"bytes", bytes}, {"seconds", seconds},
                        {"records_per_s", static_cast<int64_t>(static_cast<double>(o.records) / seconds)},
                        {"mb_per_s", static_cast<double>(bytes) / seconds / 1e6},
                        {"cpu_seconds", cpu},
                        {"cpu_ns_per_record", cpu * 1e9 / static_cast<double>(o.records)}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
