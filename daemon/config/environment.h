#pragma once
// Environment: what the config loader reads from outside the file besides the files it names:
// environment variables (secrets given as `*_env`) and systemd's credentials directory
// (LoadCredential=, where relative `*_file` secrets are looked up). An interface so tests give
// a fixed environment instead of mutating the process's.
//
// Thread affinity: ProcessEnvironment reads the process environment, which nothing may modify
// while it runs (setenv is not thread-safe); MapEnvironment is a const value after setup.
// Error contract: none; an absent variable is std::nullopt.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace zerobusd::config {

class Environment {
 public:
  virtual ~Environment() = default;

  virtual std::optional<std::string> get(std::string_view name) const = 0;

  // systemd's $CREDENTIALS_DIRECTORY (set for units with LoadCredential=/SetCredential=),
  // empty when not running under such a unit.
  virtual std::string credentialsDirectory() const {
    return get("CREDENTIALS_DIRECTORY").value_or("");
  }
};

// The real process environment (getenv).
class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> get(std::string_view name) const override;
};

// A fixed set of variables, for tests and for checking a config on behalf of another
// environment. CREDENTIALS_DIRECTORY may be set like any other variable.
class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string, std::less<>> vars)
      : vars_(std::move(vars)) {}

  void set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  std::optional<std::string> get(std::string_view name) const override;

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace zerobusd::config
