#include "daemon/metrics/text_serializer.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace zerobusd::metrics {

namespace {

// 2^53: every integer of smaller magnitude is exact in a double and fits an int64_t.
constexpr double kExactIntegerLimit = 9007199254740992.0;

void appendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buffer[64];
  std::to_chars_result result{};
  if (std::trunc(value) == value && std::fabs(value) < kExactIntegerLimit) {
    // Shortest round-trip output prefers "1e+06" to "1000000"; counters read better (and
    // diff better in golden files) as integers. -0.0 becomes "0".
    result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(value));
  } else {
    result = std::to_chars(buffer, buffer + sizeof buffer, value);
  }
  out.append(buffer, result.ptr);
}

// Help text escapes \ and newline; label values escape " as well.
void appendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += quote ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
}

void appendLabels(std::string& out, const std::vector<ClientMetric::Label>& labels,
                  const double* le = nullptr) {
  if (labels.empty() && le == nullptr) return;
  out += '{';
  bool first = true;
  for (const auto& label : labels) {
    if (!first) out += ',';
    first = false;
    out += label.name;
    out += "=\"";
    appendEscaped(out, label.value, true);
    out += '"';
  }
  if (le != nullptr) {
    if (!first) out += ',';
    out += "le=\"";
    appendValue(out, *le);
    out += '"';
  }
  out += '}';
}

// `<name><suffix>{labels} ` : the start of one sample line, up to its value.
void appendSampleStart(std::string& out, const std::string& name, std::string_view suffix,
                       const std::vector<ClientMetric::Label>& labels, const double* le = nullptr) {
  out += name;
  out += suffix;
  appendLabels(out, labels, le);
  out += ' ';
}

void appendSample(std::string& out, const std::string& name, std::string_view suffix,
                  const std::vector<ClientMetric::Label>& labels, double value) {
  appendSampleStart(out, name, suffix, labels);
  appendValue(out, value);
  out += '\n';
}

// Counts stay integers all the way: a double would round them above 2^53.
void appendCount(std::string& out, const std::string& name, std::string_view suffix,
                 const std::vector<ClientMetric::Label>& labels, std::uint64_t count,
                 const double* le = nullptr) {
  appendSampleStart(out, name, suffix, labels, le);
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, count);
  out.append(buffer, result.ptr);
  out += '\n';
}

std::string_view typeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      return "untyped";
  }
  return "untyped";
}

}  // namespace

std::string TextSerializer::Serialize(const std::vector<MetricFamily>& families) const {
  std::string out;
  for (const auto& family : families) {
    if (family.metric.empty()) continue;
    if (!family.help.empty()) {
      out += "# HELP ";
      out += family.name;
      out += ' ';
      appendEscaped(out, family.help, false);
      out += '\n';
    }
    out += "# TYPE ";
    out += family.name;
    out += ' ';
    out += typeName(family.type);
    out += '\n';
    for (const auto& metric : family.metric) {
      switch (family.type) {
        case MetricType::Counter:
          appendSample(out, family.name, "", metric.label, metric.counter.value);
          break;
        case MetricType::Gauge:
          appendSample(out, family.name, "", metric.label, metric.gauge.value);
          break;
        case MetricType::Untyped:
          appendSample(out, family.name, "", metric.label, metric.untyped.value);
          break;
        case MetricType::Histogram:
          for (const auto& bucket : metric.histogram.bucket) {
            appendCount(out, family.name, "_bucket", metric.label, bucket.cumulative_count,
                        &bucket.upper_bound);
          }
          appendSample(out, family.name, "_sum", metric.label, metric.histogram.sample_sum);
          appendCount(out, family.name, "_count", metric.label, metric.histogram.sample_count);
          break;
      }
    }
  }
  return out;
}

namespace detail {

std::string formatValue(double value) {
  std::string out;
  appendValue(out, value);
  return out;
}

}  // namespace detail
}  // namespace zerobusd::metrics
