#include "daemon/metrics/validation.h"

#include <cstdint>
#include <stdexcept>

namespace zerobusd::metrics {

namespace {

bool isAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

bool isReserved(std::string_view name) { return name.size() >= 2 && name.substr(0, 2) == "__"; }

std::string quoted(std::string_view text) {
  std::string out = "'";
  out += text;
  out += "'";
  return out;
}

void checkLabelSet(const std::string& family, const Labels& labels, MetricType type) {
  for (const auto& [name, value] : labels) {
    if (!isValidLabelName(name)) {
      throw std::invalid_argument("metric " + quoted(family) + ": invalid label name " +
                                  quoted(name));
    }
    // The serializer adds `le` to every bucket line; a user label of that name would make
    // the exposition ambiguous.
    if (type == MetricType::Histogram && name == "le") {
      throw std::invalid_argument("metric " + quoted(family) +
                                  ": label name 'le' is reserved for histogram buckets");
    }
    if (!isValidUtf8(value)) {
      throw std::invalid_argument("metric " + quoted(family) + ": label " + quoted(name) +
                                  " has a value that is not valid UTF-8");
    }
  }
}

}  // namespace

bool isValidMetricName(std::string_view name) {
  if (name.empty() || isReserved(name)) return false;
  if (!isAsciiLetter(name[0]) && name[0] != '_' && name[0] != ':') return false;
  for (char c : name) {
    if (!isAsciiLetter(c) && !isAsciiDigit(c) && c != '_' && c != ':') return false;
  }
  return true;
}

bool isValidLabelName(std::string_view name) {
  if (name.empty() || isReserved(name)) return false;
  if (!isAsciiLetter(name[0]) && name[0] != '_') return false;
  for (char c : name) {
    if (!isAsciiLetter(c) && !isAsciiDigit(c) && c != '_') return false;
  }
  return true;
}

bool isValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if ((lead & 0xE0U) == 0xC0U) {
      length = 2;
      code_point = lead & 0x1FU;
    } else if ((lead & 0xF0U) == 0xE0U) {
      length = 3;
      code_point = lead & 0x0FU;
    } else if ((lead & 0xF8U) == 0xF0U) {
      length = 4;
      code_point = lead & 0x07U;
    } else {
      return false;  // a continuation byte or 0xF8..0xFF as lead
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0U) != 0x80U) return false;
      code_point = (code_point << 6U) | (next & 0x3FU);
    }
    // The smallest code point each length may encode: anything below is an overlong form.
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

namespace detail {

void checkMetricName(const std::string& name) {
  if (!isValidMetricName(name)) {
    throw std::invalid_argument("invalid metric name " + quoted(name));
  }
}

void checkHelp(const std::string& name, const std::string& help) {
  if (!isValidUtf8(help)) {
    throw std::invalid_argument("metric " + quoted(name) + ": help text is not valid UTF-8");
  }
}

void checkConstantLabels(const std::string& family, const Labels& labels, MetricType type) {
  checkLabelSet(family, labels, type);
}

void checkLabels(const std::string& family, const Labels& labels, const Labels& constant_labels,
                 MetricType type) {
  checkLabelSet(family, labels, type);
  for (const auto& entry : labels) {
    if (constant_labels.count(entry.first) != 0) {
      throw std::invalid_argument("metric " + quoted(family) + ": label " + quoted(entry.first) +
                                  " is already a constant label of the family");
    }
  }
}

std::vector<ClientMetric::Label> mergeLabels(const Labels& constant_labels, const Labels& labels) {
  Labels merged = constant_labels;
  merged.insert(labels.begin(), labels.end());
  std::vector<ClientMetric::Label> out;
  out.reserve(merged.size());
  for (const auto& [name, value] : merged) out.push_back({name, value});
  return out;
}

}  // namespace detail
}  // namespace zerobusd::metrics
