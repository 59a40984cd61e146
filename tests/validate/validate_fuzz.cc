// Fuzz target for daemon/validate. The first byte picks the validator (test.Everything,
// test.AirQuality, test.Recursive, JSON), the rest is the record. Besides not crashing, the
// verdict must be safe: a record the validator accepts must parse with the reference parser
// (DynamicMessage with every required field set; nlohmann::json as an object), otherwise a
// record that would fail a shared stream got through.
//
// Built two ways: with clang -fsanitize=fuzzer (a real libFuzzer binary), and with any
// compiler linked to fuzz_replay_main.cc, which replays tests/validate/corpus under ctest.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/validate/record_validator.h"
#include "tests/validate/test_schemas.h"

namespace {

using zerobusd::validate::RecordValidator;

struct Harness {
  zerobusd::validate::testing::Schema schema{zerobusd::validate::testing::kTestProto};
  const char* types[3] = {"test.Everything", "test.AirQuality", "test.Recursive"};
  std::unique_ptr<RecordValidator> proto[3] = {
      zerobusd::validate::makeProtoValidator(schema.message(types[0])),
      zerobusd::validate::makeProtoValidator(schema.message(types[1])),
      zerobusd::validate::makeProtoValidator(schema.message(types[2]))};
  std::unique_ptr<RecordValidator> json = zerobusd::validate::makeJsonValidator();
};

[[noreturn]] void unsafe(const char* what) {
  std::fprintf(stderr, "validate_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static Harness* harness = new Harness();  // never freed: lives for the process
  if (size == 0) return 0;
  const unsigned selector = data[0] % 4u;
  const std::string_view record(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string error;
  if (selector < 3) {
    const bool ok = harness->proto[selector]->validate(record, &error);
    if (ok != harness->proto[selector]->validate(record, nullptr))
      unsafe("verdict depends on error");
    if (ok && !harness->schema.referenceAccepts(harness->types[selector], record)) {
      unsafe("accepted a proto record protobuf refuses");
    }
    if (!ok && error.empty()) unsafe("refused without an error");
  } else {
    const bool ok = harness->json->validate(record, &error);
    if (ok) {
      auto parsed = nlohmann::json::parse(record, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded() || !parsed.is_object())
        unsafe("accepted JSON that is not an object");
    }
    if (!ok && error.empty()) unsafe("refused without an error");
  }
  return 0;
}
