// validate() allocates nothing for a valid record (proto and JSON), with or without an error
// string to fill: the hot path must stay free of the allocator.

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/validate/record_validator.h"
#include "tests/validate/test_schemas.h"

namespace zerobusd::validate {
namespace {

TEST(ValidatorAllocationTest, ValidProtoRecordsAllocateNothing) {
  testing::Schema schema(testing::kTestProto);
  std::mt19937 random(3);
  for (const char* type : {"test.Everything", "test.AirQuality", "test.Recursive"}) {
    auto validator = makeProtoValidator(schema.message(type));
    std::vector<std::string> records;
    for (int i = 0; i < 300; ++i) {
      auto message = schema.newMessage(type);
      testing::fillRandom(*message, random, 4);
      records.push_back(message->SerializeAsString());
    }
    std::string error;
    error.reserve(256);
    const long before = testing::allocationCount();
    int valid = 0;
    for (const auto& record : records) {
      valid += validator->validate(record, &error) ? 1 : 0;
      valid += validator->validate(record, nullptr) ? 1 : 0;
    }
    const long allocations = testing::allocationCount() - before;
    EXPECT_EQ(valid, 600) << type;
    EXPECT_EQ(allocations, 0) << type;
  }
}

TEST(ValidatorAllocationTest, ValidJsonRecordsAllocateNothing) {
  auto validator = makeJsonValidator();
  const std::vector<std::string> records = {
      R"({"device_name":"sensor-1","temp":21,"humidity":-3})",
      R"({"a":[1,2.5,-3e10],"b":{"c":[{"d":null}]},"e":"\u00e9\ud83d\ude42 grüße"})",
  };
  std::string error;
  const long before = testing::allocationCount();
  int valid = 0;
  for (int i = 0; i < 1000; ++i) {
    for (const auto& record : records) valid += validator->validate(record, &error) ? 1 : 0;
  }
  EXPECT_EQ(valid, 2000);
  EXPECT_EQ(testing::allocationCount() - before, 0);
}

// The counter works (so the zeros above mean something).
TEST(ValidatorAllocationTest, CounterSeesAllocations) {
  const long before = testing::allocationCount();
  auto* p = new std::string(100, 'x');
  delete p;
  EXPECT_GE(testing::allocationCount() - before, 1);
}

}  // namespace
}  // namespace zerobusd::validate
