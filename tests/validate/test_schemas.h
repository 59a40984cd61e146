#pragma once
// Helpers for the daemon/validate tests: schemas compiled from .proto text, records encoded
// and decoded through DynamicMessage (the reference parser the validator must agree with),
// random records of any message, hand-made wire bytes, and an allocation counter.

#include "tests/support/allocation_counter.h"
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>

namespace zerobusd::validate::testing {

// Messages covering every field kind (test.Everything), the 3-column AirQuality, a
// recursive message, a proto3 file, and a message with 300 required fields.
extern const char kTestProto[];
extern const char kTestProto3[];

class Schema {
 public:
  // Compiles .proto text (no imports); aborts the test binary on a syntax error.
  explicit Schema(std::string_view proto_text, std::string_view file_name = "test.proto");

  const google::protobuf::Descriptor& message(std::string_view full_name) const;
  std::unique_ptr<google::protobuf::Message> newMessage(std::string_view full_name);
  // Text format -> wire bytes (partial messages allowed, for missing-required cases).
  std::string encode(std::string_view full_name, std::string_view text_format);
  // The reference verdict: DynamicMessage parses it and every required field is set.
  bool referenceAccepts(std::string_view full_name, std::string_view bytes);

 private:
  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_{&pool_};
};

// Sets a random subset of fields (nested messages down to `depth`) with random values.
void fillRandom(google::protobuf::Message& message, std::mt19937& random, int depth);

// Wire-format building blocks for malformed records.
std::string varint(uint64_t value);
std::string tag(uint32_t number, uint32_t wire_type);
std::string lengthDelimited(uint32_t number, std::string_view body);

// Global operator new calls so far (tests/support/allocation_counter.cc replaces it).
using zerobusd::testing::allocationCount;

}  // namespace zerobusd::validate::testing
