// Random mutation robustness (fixed seed, 100 000 inputs): the validators never crash (the
// asan preset catches any read outside the record), and they agree with the reference
// parsers: whatever the proto validator accepts, DynamicMessage parses with every required
// field set; whatever the JSON validator accepts, nlohmann::json parses as an object. And the
// converse, minus the documented differences (unknown fields, UTF-8 in proto2 strings, the
// depth limit, a byte-order mark, non-canonical encodings).

#include <random>
#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/reflection.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon/validate/record_validator.h"
#include "tests/validate/test_schemas.h"

namespace zerobusd::validate {
namespace {

namespace pb = google::protobuf;

std::string mutate(std::string input, std::mt19937& random) {
  const int operations = 1 + static_cast<int>(random() % 3);
  for (int op = 0; op < operations; ++op) {
    const std::size_t size = input.size();
    auto at = [&](std::size_t bound) { return bound == 0 ? 0 : random() % bound; };
    switch (random() % 8) {
      case 0:  // flip a bit
        if (size > 0) input[at(size)] ^= static_cast<char>(1 << (random() % 8));
        break;
      case 1:  // overwrite a byte
        if (size > 0) input[at(size)] = static_cast<char>(random());
        break;
      case 2:  // insert a byte
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(at(size + 1)),
                     static_cast<char>(random()));
        break;
      case 3: {  // delete a range
        std::size_t from = at(size);
        input.erase(from, 1 + at(8));
        break;
      }
      case 4:  // truncate
        input.resize(at(size + 1));
        break;
      case 5: {  // duplicate a chunk
        std::size_t from = at(size);
        std::string chunk = input.substr(from, 1 + at(16));
        input.insert(at(input.size() + 1), chunk);
        break;
      }
      case 6:  // interesting bytes
        if (size > 0) {
          static const char kBytes[] = {'\0', '\x7f', '\x80', '\xff', '"', '\\',
                                        '{',  '[',    ']',    '}',    ','};
          input[at(size)] = kBytes[random() % sizeof kBytes];
        }
        break;
      default: {  // a long varint or continuation run
        std::string run(1 + at(12), '\x80');
        input.insert(at(size + 1), run);
        break;
      }
    }
  }
  return input;
}

bool hasUnknownFieldsOrBadUtf8(const pb::Message& message) {
  const pb::Reflection& r = *message.GetReflection();
  if (!r.GetUnknownFields(message).empty()) return true;
  std::vector<const pb::FieldDescriptor*> fields;
  r.ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->type() == pb::FieldDescriptor::TYPE_STRING) {
      const int n = field->is_repeated() ? r.FieldSize(message, field) : 1;
      for (int i = 0; i < n; ++i) {
        std::string value = field->is_repeated() ? r.GetRepeatedString(message, field, i)
                                                 : r.GetString(message, field);
        if (!isValidUtf8(reinterpret_cast<const unsigned char*>(value.data()), value.size()))
          return true;
      }
    }
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      const int n = field->is_repeated() ? r.FieldSize(message, field) : 1;
      for (int i = 0; i < n; ++i) {
        const pb::Message& child = field->is_repeated() ? r.GetRepeatedMessage(message, field, i)
                                                        : r.GetMessage(message, field);
        if (hasUnknownFieldsOrBadUtf8(child)) return true;
      }
    }
  }
  return false;
}

TEST(ValidatorRobustnessTest, ProtoMutationsAgreeWithDynamicMessage) {
  testing::Schema schema(testing::kTestProto);
  std::mt19937 random(7);
  int accepted = 0;
  int canonical = 0;
  for (const char* type : {"test.Everything", "test.AirQuality", "test.Recursive"}) {
    auto validator = makeProtoValidator(schema.message(type));
    std::vector<std::string> seeds;
    for (int i = 0; i < 200; ++i) {
      auto message = schema.newMessage(type);
      testing::fillRandom(*message, random, 3);
      seeds.push_back(message->SerializePartialAsString());
    }
    for (int i = 0; i < 20000; ++i) {
      const std::string record = mutate(seeds[random() % seeds.size()], random);
      std::string error;
      const bool ok = validator->validate(record, &error);
      EXPECT_EQ(ok, validator->validate(record, nullptr));
      auto reference = schema.newMessage(type);
      const bool parsed =
          reference->ParsePartialFromArray(record.data(), static_cast<int>(record.size()));
      if (parsed && reference->IsInitialized() && reference->SerializeAsString() == record) {
        ++canonical;
      }
      if (ok) {
        ++accepted;
        ASSERT_TRUE(parsed && reference->IsInitialized())
            << type << ": accepted what protobuf refuses: " << ::testing::PrintToString(record);
      } else {
        EXPECT_FALSE(error.empty());
        // Canonical records (what protobuf itself would write, no unknown fields, UTF-8
        // strings) must pass. Non-canonical ones may legitimately differ: a singular field
        // given twice keeps only its last value in protobuf, but each is checked here.
        if (parsed && reference->IsInitialized() && !hasUnknownFieldsOrBadUtf8(*reference) &&
            reference->SerializeAsString() == record) {
          ADD_FAILURE() << type << ": refused what protobuf parses cleanly (" << error
                        << "): " << ::testing::PrintToString(record);
        }
      }
    }
  }
  EXPECT_GT(accepted, 1000);   // the mutations leave plenty of valid records too
  EXPECT_GT(canonical, 1000);  // and the converse was checked on many
}

int jsonDepth(const nlohmann::json& value) {
  if (!value.is_structured()) return 0;
  int deepest = 0;
  for (const auto& child : value) deepest = std::max(deepest, jsonDepth(child));
  return deepest + 1;
}

TEST(ValidatorRobustnessTest, JsonMutationsAgreeWithNlohmann) {
  auto validator = makeJsonValidator();
  std::mt19937 random(11);
  const std::vector<std::string> seeds = {
      R"({"device_name":"sensor-1","temp":21,"humidity":-3})",
      R"({"a":[1,2.5,-3e10,0,-0.0,1E+2,1e-2],"b":{"c":[{"d":null}]},"e":true,"f":false})",
      R"({"esc":"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \ud83d\ude42","k":"grüße 日本 🙂"})",
      R"({"id":1,"kind":"click","tags":["a","b"],"attrs":{"k":"v"},"source":{"host":"h","pid":3}})",
      "{ \"spaced\" : [ 1 , 2 ] ,\n\t\"x\" : { } }",
  };
  int accepted = 0;
  for (int i = 0; i < 40000; ++i) {
    const std::string record = mutate(seeds[random() % seeds.size()], random);
    std::string error;
    const bool ok = validator->validate(record, &error);
    nlohmann::json parsed = nlohmann::json::parse(record, nullptr, /*allow_exceptions=*/false);
    const bool reference = !parsed.is_discarded() && parsed.is_object();
    if (ok) {
      ++accepted;
      ASSERT_TRUE(reference) << "accepted what nlohmann refuses: "
                             << ::testing::PrintToString(record);
    } else if (reference && jsonDepth(parsed) <= 127 && !record.starts_with("\xef\xbb\xbf")) {
      ADD_FAILURE() << "refused a valid object (" << error
                    << "): " << ::testing::PrintToString(record);
    }
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace zerobusd::validate
