#pragma once
// Secret: a credential read at load time (OAuth client secret, static token). Printing one by
// accident (a log line, an error message, a debug dump of the config) shows "<redacted>";
// the value comes out only through reveal(), so every use is easy to find in review.
// The buffer is wiped when the Secret dies (best effort: copies made through reveal() are
// the caller's business).
//
// Thread affinity: a value type; const access from any thread.
// Error contract: none (no operation fails).

#include <string.h>  // explicit_bzero (glibc)

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace zerobusd::config {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret& other) {
    if (this != &other) {
      wipe();
      value_ = other.value_;
    }
    return *this;
  }
  Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = std::move(other.value_);
      other.wipe();
    }
    return *this;
  }
  ~Secret() { wipe(); }

  // The plain value, for the one place that sends it (the token request, the bearer header).
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }
  friend std::ostream& operator<<(std::ostream& out, const Secret&) { return out << "<redacted>"; }

 private:
  void wipe() noexcept {
    // A moved-from short string keeps its bytes in the inline buffer: wipe the whole capacity.
    if (value_.capacity() > 0) explicit_bzero(value_.data(), value_.capacity());
    value_.clear();
  }

  std::string value_;
};

}  // namespace zerobusd::config

template <>
struct fmt::formatter<zerobusd::config::Secret> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const zerobusd::config::Secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
