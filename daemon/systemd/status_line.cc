#include "daemon/systemd/status_line.h"

#include <array>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace zerobusd::systemd {

namespace {

uint64_t unsignedField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

bool boolField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string plural(uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::string humanBytes(uint64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  auto value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string StatusLine::summarize(std::string_view status_json, Clock::time_point now) {
  auto doc = nlohmann::json::parse(status_json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return "status unavailable";
  uint64_t durable = 0;
  uint64_t queued = 0;
  uint64_t tables = 0;
  if (auto it = doc.find("tables"); it != doc.end() && it->is_object()) {
    for (const auto& [name, table] : it->items()) {
      if (!table.is_object()) continue;
      ++tables;
      durable += unsignedField(table, "records_durable");
      queued += unsignedField(table, "queue_bytes");
    }
  }
  double rate = 0;
  if (last_time_ && now > *last_time_ && durable >= last_durable_) {
    // A reload that removes a table takes its count out of the sum: that interval shows 0.
    double seconds = std::chrono::duration<double>(now - *last_time_).count();
    rate = static_cast<double>(durable - last_durable_) / seconds;
  }
  last_time_ = now;
  last_durable_ = durable;

  const char* state = boolField(doc, "shutting_down") ? "draining"
                      : boolField(doc, "ready")       ? "serving"
                                                      : "waiting for upstream streams";
  return fmt::format("{}: {}, {}, {:.0f} records/s durable, {} queued", state, plural(tables, "table", "tables"),
                     plural(unsignedField(doc, "connections"), "connection", "connections"), std::round(rate),
                     humanBytes(queued));
}

}  // namespace zerobusd::systemd
