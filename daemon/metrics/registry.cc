#include "daemon/metrics/registry.h"

#include <algorithm>
#include <stdexcept>

namespace zerobusd::metrics {

namespace {

// The sample names a family puts in the exposition: two families may not share any.
std::vector<std::string> sampleNames(const std::string& name, MetricType type) {
  if (type == MetricType::Histogram) {
    return {name, name + "_bucket", name + "_sum", name + "_count"};
  }
  return {name};
}

}  // namespace

Registry::Registry(InsertBehavior insert_behavior) : insert_behavior_(insert_behavior) {}

Registry::~Registry() = default;

std::vector<MetricFamily> Registry::Collect() const {
  std::vector<MetricFamily> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& entry : families_) {
      for (auto& family : entry.family->Collect()) {
        if (!family.metric.empty()) out.push_back(std::move(family));
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const MetricFamily& a, const MetricFamily& b) { return a.name < b.name; });
  return out;
}

Collectable* Registry::findMergeable(const std::string& name, const std::string& help,
                                     const Labels& constant_labels, MetricType type) const {
  const auto wanted = sampleNames(name, type);
  for (const auto& entry : families_) {
    if (entry.name == name) {
      if (insert_behavior_ == InsertBehavior::Throw) {
        throw std::invalid_argument("metric '" + name + "' is already registered");
      }
      if (entry.type != type || entry.help != help || entry.constant_labels != constant_labels) {
        throw std::invalid_argument("metric '" + name +
                                    "' is already registered with another type, help or "
                                    "constant labels");
      }
      return entry.family.get();
    }
    for (const auto& existing : sampleNames(entry.name, entry.type)) {
      if (std::find(wanted.begin(), wanted.end(), existing) != wanted.end()) {
        throw std::invalid_argument("metric '" + name + "' collides with the samples of '" +
                                    entry.name + "'");
      }
    }
  }
  return nullptr;
}

bool Registry::removeFamily(const Collectable* family) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(families_.begin(), families_.end(),
                         [family](const Entry& entry) { return entry.family.get() == family; });
  if (it == families_.end()) return false;
  families_.erase(it);
  return true;
}

}  // namespace zerobusd::metrics
