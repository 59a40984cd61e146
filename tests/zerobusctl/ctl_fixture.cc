#include "tests/zerobusctl/ctl_fixture.h"

#include <chrono>

namespace zerobusd::ctl::testing {

CtlRun CtlTest::ctl(const std::vector<std::string>& args, const CtlInput& input) {
  std::vector<std::string> full = {"--socket", socketPath(), "--timeout", "20s"};
  full.insert(full.end(), args.begin(), args.end());
  return runCtl(full, input);
}

bool CtlTest::waitHealthy() {
  return fake::testing::waitFor([&] { return ctl({"health"}).exit_code == 0; },
                                std::chrono::seconds(20));
}

std::vector<nlohmann::json> CtlTest::rowsOnceAtLeast(const std::string& table, size_t count) {
  std::vector<nlohmann::json> rows;
  fake::testing::waitFor([&] {
    rows = landedRows(table);
    return rows.size() >= count;
  });
  std::vector<nlohmann::json> out;
  for (const auto& row : rows) out.push_back(row.at("row"));
  return out;
}

std::string CtlTest::inputFile(const std::string& name, const std::string& text) {
  const std::string path = work_.path() + "/" + name;
  writeFile(path, text);
  return path;
}

bool reportsNumber(const std::string& err, const std::string& unit, int number) {
  return err.find(unit + " " + std::to_string(number) + ":") != std::string::npos;
}

}  // namespace zerobusd::ctl::testing
