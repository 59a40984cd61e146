// daemon_load: one producer process pushing AirQuality records through zerobusd with the C++
// client library, the way an application would, and printing one JSON line of figures.
//   throughput mode: ingestMany in batches, every record waited for at the end (durable by
//     default); records_per_s counts from the first ingest to the last outcome.
//   latency mode (--rate R): batches paced to R records/s, each batch's accepted ack (or
//     durable, with --wait durable) timed: p50/p99/max in microseconds.
// Records are the official SDK driver's (bench/upstream_load.cc explains), so figures compare.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/air_quality.h"
#include "zerobusd/client.h"

namespace {

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path, table = "main.default.air_quality", mode = "proto", wait = "durable";
  int64_t records = 100000, first = 0;
  int size = 100, batch = 1000;
  double rate = 0;
  CLI::App app{"daemon_load: one producer through zerobusd"};
  app.add_option("--socket", socket_path, "zerobusd's socket")->required();
  app.add_option("--table", table);
  app.add_option("--mode", mode)->check(CLI::IsMember({"proto", "json"}));
  app.add_option("--records", records)->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--first", first, "index of the first record (distinct records per producer)");
  app.add_option("--size", size)->check(CLI::Range(20, 1 << 20));
  app.add_option("--batch", batch)->check(CLI::Range(1, 100000));
  app.add_option("--rate", rate, "records/s to pace at (latency mode); 0: as fast as possible");
  app.add_option("--wait", wait, "ack level waited for: durable or accepted")
      ->check(CLI::IsMember({"durable", "accepted"}));
  CLI11_PARSE(app, argc, argv);

  zerobusd::ClientOptions options;
  options.socket_path = socket_path;
  options.client_name = "daemon_load";
  auto client = zerobusd::Client::connect(options);
  if (!client) {
    std::fprintf(stderr, "daemon_load: %s\n", client.error().toString().c_str());
    return 1;
  }
  bool proto = mode == "proto";
  auto opened = client->openTable(table, proto ? zerobusd::RecordType::kProto : zerobusd::RecordType::kJson);
  if (!opened) {
    std::fprintf(stderr, "daemon_load: %s\n", opened.error().toString().c_str());
    return 1;
  }
  zerobusd::Table t = opened.value();
  std::vector<zerobusd::AckHandle> handles;
  std::vector<double> latencies_us;
  std::vector<std::string> buffer;
  int64_t bytes = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < records;) {
    int64_t n = std::min<int64_t>(batch, records - i);
    buffer.clear();
    for (int64_t k = 0; k < n; ++k) {
      int64_t id = first + i + k;
      buffer.push_back(proto ? zerobusd::bench::airQualityProto(id, id, size) : zerobusd::bench::airQualityJson(id, id, size));
      bytes += static_cast<int64_t>(buffer.back().size());
    }
    if (rate > 0) {
      auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(static_cast<double>(i) / rate));
      std::this_thread::sleep_until(due);  // pacing the load, not synchronisation
      auto sent = std::chrono::steady_clock::now();
      zerobusd::AckHandle h = t.ingestMany(std::span<const std::string>(buffer));
      auto status = wait == "accepted" ? h.waitAccepted(std::chrono::seconds(60)) : h.waitDurable(std::chrono::seconds(60));
      if (!status) {
        std::fprintf(stderr, "daemon_load: %s\n", status.error().toString().c_str());
        return 1;
      }
      latencies_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - sent).count());
    } else {
      handles.push_back(t.ingestMany(std::span<const std::string>(buffer)));
    }
    i += n;
  }
  int64_t failed = 0;
  for (auto& h : handles) {
    auto status = wait == "accepted" ? h.waitAccepted(std::chrono::seconds(300)) : h.waitDurable(std::chrono::seconds(300));
    if (!status) ++failed;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  (void)client->close(std::chrono::seconds(30));
  nlohmann::json out = {{"driver", "zerobusd"}, {"mode", mode}, {"batch", batch}, {"records", records},
                        {"bytes", bytes}, {"seconds", seconds},
                        {"records_per_s", static_cast<int64_t>(static_cast<double>(records) / seconds)},
                        {"failed_batches", failed}};
  if (!latencies_us.empty()) {
    out["wait"] = wait;
    out["latency_p50_us"] = percentile(latencies_us, 0.50);
    out["latency_p99_us"] = percentile(latencies_us, 0.99);
    out["latency_max_us"] = percentile(latencies_us, 1.0);
  }
  std::printf("%s\n", out.dump().c_str());
  return failed == 0 ? 0 : 1;
}
