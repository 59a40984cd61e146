// The JSON record validator: exactly one JSON object, RFC 8259 syntax, checked against
// nlohmann::json as the reference parser.

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon/validate/record_validator.h"

namespace zerobusd::validate {
namespace {

using ::testing::HasSubstr;

class JsonValidatorTest : public ::testing::Test {
 protected:
  void expectAccepted(const std::string& record) {
    std::string error;
    EXPECT_TRUE(validator_->validate(record, &error)) << record << ": " << error;
    // The reference agrees.
    EXPECT_TRUE(nlohmann::json::accept(record)) << record;
  }
  void expectRefused(const std::string& record, const std::string& expected) {
    std::string error;
    EXPECT_FALSE(validator_->validate(record, &error)) << record;
    EXPECT_THAT(error, HasSubstr(expected)) << record;
    EXPECT_FALSE(validator_->validate(record, nullptr));
  }

  std::unique_ptr<RecordValidator> validator_ = makeJsonValidator();
};

TEST_F(JsonValidatorTest, AcceptsObjects) {
  expectAccepted("{}");
  expectAccepted(" \t\r\n{ } \n");
  expectAccepted(R"({"device_name":"sensor-1","temp":21,"humidity":-3})");
  expectAccepted(
      R"({"a":[1,2.5,-3e10,0,-0.0,1E+2,1e-2],"b":{"c":[{"d":null}]},"e":true,"f":false})");
  expectAccepted(
      R"({"esc":"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \ud83d\ude42","k":"grüße 日本 🙂"})");
  expectAccepted(R"({"":""})");
  expectAccepted(
      R"({"long":"a string long enough to take the eight-byte fast path more than once, with \"escapes\" in it"})");
  expectAccepted(R"({"nested":[[[[[]]]],{}],"empty_array":[]})");
}

TEST_F(JsonValidatorTest, RefusesOtherTopLevelValues) {
  expectRefused("", "empty record, expected a JSON object (byte 0)");
  expectRefused("   ", "empty record");
  expectRefused("[1,2]", "the record is a JSON array, expected an object");
  expectRefused("\"text\"", "is a JSON string");
  expectRefused("42", "is a JSON number");
  expectRefused("-1", "is a JSON number");
  expectRefused("true", "is a JSON boolean");
  expectRefused("null", "is JSON null");
  expectRefused("hello", "not JSON");
  expectRefused("nope", "not JSON: expected '{'");  // starts like null, is not JSON at all
  expectRefused("fals", "not JSON: expected '{'");
  expectRefused("false", "is a JSON boolean");
  expectRefused("{} {}", "text after the JSON object (byte 3)");
  expectRefused("{}x", "text after the JSON object");
  expectRefused("\xef\xbb\xbf{}", "not JSON");  // a byte-order mark is not JSON text
}

TEST_F(JsonValidatorTest, RefusesSyntaxErrorsWithTheirOffset) {
  expectRefused("{", "truncated");
  expectRefused(R"({"a")", "expected ':' after an object key (byte 4)");
  expectRefused(R"({"a":})", "expected a value (byte 5)");
  expectRefused(R"({"a":1,})", "expected a string key (byte 7)");
  expectRefused(R"({"a":1 "b":2})", "expected ',' or '}' after an object member (byte 7)");
  expectRefused(R"({a:1})", "expected a string key (byte 1)");
  expectRefused(R"({'a':1})", "expected a string key");
  expectRefused(R"({"a":[1,]})", "expected a value");
  expectRefused(R"({"a":[1 2]})", "expected ',' or ']' after an array element");
  expectRefused(R"({"a":[1})", "expected ',' or ']'");
  expectRefused(R"({"a":tru})", "invalid literal");
  expectRefused(R"({"a":nul})", "invalid literal");
  expectRefused(R"({"a":True})", "expected a value");
  expectRefused(R"({"a":"x)", "unterminated string");
  expectRefused("{\"a\":\"x\ny\"}", "control character in a string");
  expectRefused(R"({"a":"\x"})", "invalid escape");
  expectRefused(R"({"a":"\u12"})", "invalid \\u escape");
  expectRefused(R"({"a":"\u12)", "truncated \\u escape");
  // Numbers.
  expectRefused(R"({"a":01})", "expected ',' or '}'");
  expectRefused(R"({"a":-})", "invalid number");
  expectRefused(R"({"a":1.})", "digits must follow '.'");
  expectRefused(R"({"a":.5})", "expected a value");
  expectRefused(R"({"a":1e})", "digits must follow the exponent");
  expectRefused(R"({"a":+1})", "expected a value");
  expectRefused(R"({"a":NaN})", "expected a value");
  expectRefused(R"({"a":0x10})", "expected ',' or '}'");
  expectRefused(R"({"a":1}})", "text after the JSON object");
  expectRefused(R"({"a":[}})", "expected a value");
  expectRefused(R"({"a":-3e502})", "number too large for a double (byte 5)");
  expectRefused(R"({"a":2e308})", "number too large for a double");
  expectRefused(R"({"a":)" + std::string(400, '9') + "}", "number too large for a double");
  expectAccepted(R"({"a":1.7976931348623157e308,"b":1e-400,"c":)" + std::string(300, '9') +
                 R"(,"d":0.000001e310,"e":123456789012345678901234567890})");
  expectRefused(R"({"a":{]})", "expected a string key");
}

TEST_F(JsonValidatorTest, RefusesBadUnicode) {
  expectRefused("{\"a\":\"\xff\"}", "invalid UTF-8 in a string");
  expectRefused("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8");      // overlong
  expectRefused("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8");  // encoded surrogate
  expectRefused("{\"a\":\"\xe2\x82\"}", "invalid UTF-8");      // truncated sequence
  expectRefused("{\"a\":\"\x80\"}", "invalid UTF-8");          // lone continuation
  expectRefused("{\"\xff\":1}", "invalid UTF-8");              // in a key
  expectRefused(R"({"a":"\udc00"})", "lone low surrogate escape");
  expectRefused(R"({"a":"\ud800"})", "high surrogate escape without its low surrogate");
  expectRefused(R"({"a":"\ud800\u0041"})", "high surrogate escape without its low surrogate");
}

TEST_F(JsonValidatorTest, LimitsNesting) {
  std::string deep = "{\"a\":";
  for (int i = 0; i < 126; ++i) deep += "[";
  deep += "1";
  for (int i = 0; i < 126; ++i) deep += "]";
  deep += "}";
  expectAccepted(deep);  // 127 levels
  std::string too_deep = "{\"a\":" + std::string(127, '[') + std::string(127, ']') + "}";
  expectRefused(too_deep, "nested too deeply");
  // A nesting bomb: refused at the limit, without a stack of its depth.
  expectRefused("{\"a\":" + std::string(5'000'000, '['), "nested too deeply");
  auto shallow = makeJsonValidator(JsonValidatorOptions{2});
  EXPECT_TRUE(shallow->validate(R"({"a":{"b":1}})", nullptr));
  EXPECT_FALSE(shallow->validate(R"({"a":{"b":[]}})", nullptr));
}

}  // namespace
}  // namespace zerobusd::validate
