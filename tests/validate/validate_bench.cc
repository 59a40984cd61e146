// Micro-benchmark: ns per validate() call on a ~100-byte AirQuality record (the size the
// architecture's budget is stated for), next to a DynamicMessage parse of the same bytes and
// a JSON record of similar size. Prints numbers; asserts nothing (timings vary by machine and
// build type: quote release builds).
//   validate_bench [iterations]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "daemon/validate/record_validator.h"
#include "tests/validate/test_schemas.h"

namespace {

template <class F>
double nsPer(long iterations, F&& f) {
  const auto start = std::chrono::steady_clock::now();
  long sink = 0;
  for (long i = 0; i < iterations; ++i) sink += f() ? 1 : 0;
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (sink != iterations)
    std::fprintf(stderr, "unexpected verdicts: %ld of %ld\n", sink, iterations);
  return static_cast<double>(
             std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
         static_cast<double>(iterations);
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 5'000'000;
  zerobusd::validate::testing::Schema schema(zerobusd::validate::testing::kTestProto);
  const std::string record = schema.encode(
      "test.AirQuality",
      "device_name: "
      "'sensor-0042.building-7.floor-3.east-wing.example.internal/probe-a/channel-0009/rack-12' "
      "temp: 2150 humidity: 1234567890123");
  const std::string json =
      R"({"device_name":"sensor-0042.building-7.floor-3.east-wing","temp":2150,"humidity":1234567890123})";
  auto proto = zerobusd::validate::makeProtoValidator(schema.message("test.AirQuality"));
  auto json_validator = zerobusd::validate::makeJsonValidator();
  auto message = schema.newMessage("test.AirQuality");

  // Warm up, then measure.
  nsPer(iterations / 10, [&] { return proto->validate(record, nullptr); });
  const double proto_ns = nsPer(iterations, [&] { return proto->validate(record, nullptr); });
  const double json_ns = nsPer(iterations, [&] { return json_validator->validate(json, nullptr); });
  const double parse_ns = nsPer(iterations / 10, [&] {
    return message->ParseFromArray(record.data(), static_cast<int>(record.size())) &&
           message->IsInitialized();
  });
  std::printf("proto validate  (%zu-byte AirQuality): %6.1f ns/record\n", record.size(), proto_ns);
  std::printf("json validate   (%zu-byte object):     %6.1f ns/record\n", json.size(), json_ns);
  std::printf("DynamicMessage parse (same proto record): %6.1f ns/record (reference)\n", parse_ns);
  return 0;
}
