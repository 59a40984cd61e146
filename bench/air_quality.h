#pragma once
// The AirQuality test record every load driver sends, byte for byte the official SDK driver's
// (../shared/bench/official-sdk/driver.js), so figures of different drivers compare:
// AirQuality { optional string device_name = 1; optional int32 temp = 2; optional int64 humidity = 3; }
// device_name is "sensor-<label>" padded with 'x' so the record is `size` bytes; in proto mode
// the name is capped at 127 bytes (the driver's one-byte length), so records stay <= 133 bytes.

#include <algorithm>
#include <cstdint>
#include <string>

#include <google/protobuf/descriptor.pb.h>

namespace zerobusd::bench {

// `label` goes after "sensor-": the driver uses i % 10, or i with --unique 1.
inline std::string airQualityProto(int64_t label, int64_t i, int size) {
  size_t name_len = static_cast<size_t>(std::clamp(size - 6, 1, 127));
  std::string name = "sensor-" + std::to_string(label);
  name.resize(std::max(name.size(), name_len), 'x');
  name.resize(name_len);
  std::string out;
  out.reserve(name.size() + 6);
  out.push_back('\x0a');
  out.push_back(static_cast<char>(name.size()));
  out += name;
  out.push_back('\x10');
  out.push_back(static_cast<char>(20 + i % 15));
  out.push_back('\x18');
  out.push_back(static_cast<char>(50 + i % 40));
  return out;
}

// JSON.stringify({device_name, temp, humidity}) with device_name padded to `size` bytes in all.
inline std::string airQualityJson(int64_t label, int64_t i, int size) {
  std::string head = "{\"device_name\":\"";
  std::string tail = "\",\"temp\":" + std::to_string(20 + i % 15) + ",\"humidity\":" + std::to_string(50 + i % 40) + "}";
  std::string name = "sensor-" + std::to_string(label);
  size_t base = head.size() + tail.size();
  if (static_cast<size_t>(size) > base + name.size()) name.resize(static_cast<size_t>(size) - base, 'x');
  return head + name + tail;
}

inline google::protobuf::DescriptorProto airQualityDescriptor() {
  google::protobuf::DescriptorProto d;
  d.set_name("AirQuality");
  const std::pair<const char*, google::protobuf::FieldDescriptorProto::Type> fields[] = {
      {"device_name", google::protobuf::FieldDescriptorProto::TYPE_STRING},
      {"temp", google::protobuf::FieldDescriptorProto::TYPE_INT32},
      {"humidity", google::protobuf::FieldDescriptorProto::TYPE_INT64}};
  int number = 1;
  for (const auto& [name, type] : fields) {
    auto* f = d.add_field();
    f->set_name(name);
    f->set_number(number++);
    f->set_type(type);
    f->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
  }
  return d;
}

}  // namespace zerobusd::bench
