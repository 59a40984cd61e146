#pragma once
// Helpers for the daemon/config tests: a temporary directory to lay out config files, proto
// files and secrets in, and a base config that loads (tests add or break one thing at a time).

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "daemon/config/config.h"

namespace zerobusd::config::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zerobusd-config-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  // Writes `relative` (creating directories) with `mode`; returns its absolute path.
  std::string write(const std::string& relative, const std::string& content,
                    mode_t mode = 0600) const {
    const std::filesystem::path file = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(file.parent_path());
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << content;
    }
    ::chmod(file.c_str(), mode);
    return file.string();
  }

 private:
  std::string path_;
};

// service + oauth (secret from ZEROBUSD_CLIENT_SECRET) + one JSON table: loads as is.
inline std::string baseConfig(const std::string& extra_table_keys = "") {
  return R"(service:
  endpoint: https://1234.zerobus.us-west-2.cloud.databricks.com
  workspace_url: https://dbc-1.cloud.databricks.com
auth:
  client_id: my-client
  client_secret_env: ZEROBUSD_CLIENT_SECRET
tables:
  - name: main.default.events
    record_type: json
)" + extra_table_keys;
}

inline MapEnvironment baseEnvironment() {
  MapEnvironment env;
  env.set("ZEROBUSD_CLIENT_SECRET", "s3cr3t-value");
  return env;
}

}  // namespace zerobusd::config::testing
