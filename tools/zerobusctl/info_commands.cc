#include "tools/zerobusctl/info_commands.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tools/zerobusctl/status_view.h"

namespace zerobusd::ctl {
namespace {

using Clock = std::chrono::steady_clock;

void printError(const std::string& text) { std::fprintf(stderr, "zerobusctl: %s\n", text.c_str()); }

void printOut(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                  std::chrono::milliseconds(1));
}

// Connects and fetches the status document: both bounded by options.timeout together.
struct Fetched {
  Clock::time_point deadline;
  std::optional<Client> client;
  std::string json;
  ExitCode failure = ExitCode::kOk;
  std::string error;
};

Fetched fetchStatus(const GlobalOptions& options) {
  Fetched fetched;
  fetched.deadline = Clock::now() + options.timeout;
  ConnectSettings settings;
  settings.connect_timeout = options.timeout;
  Result<Client> client = connectDaemon(options, settings);
  if (!client.ok()) {
    fetched.failure = ExitCode::kUnreachable;
    fetched.error = client.error().message;
    return fetched;
  }
  fetched.client.emplace(std::move(client).value());
  Result<std::string> json = fetched.client->status(remaining(fetched.deadline));
  if (!json.ok()) {
    fetched.failure = ExitCode::kFailed;
    fetched.error = "the daemon did not answer STATUS: " + json.error().toString();
    return fetched;
  }
  fetched.json = std::move(json).value();
  return fetched;
}

// Says GOODBYE within what is left of --timeout, so a command never takes much longer.
void closeInTime(Fetched& fetched) {
  if (fetched.client) (void)fetched.client->close(remaining(fetched.deadline));
}

}  // namespace

ExitCode runStatus(const GlobalOptions& options, bool raw) {
  Fetched fetched = fetchStatus(options);
  closeInTime(fetched);
  if (fetched.failure != ExitCode::kOk) {
    printError(fetched.error);
    return fetched.failure;
  }
  if (raw) {
    printOut(fetched.json + "\n");
    return ExitCode::kOk;
  }
  const auto json = nlohmann::json::parse(fetched.json, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    printError("the daemon's status is not valid JSON; as received:");
    printOut(fetched.json + "\n");
    return ExitCode::kFailed;
  }
  printOut(json.dump(2) + "\n");
  return ExitCode::kOk;
}

ExitCode runHealth(const GlobalOptions& options) {
  Fetched fetched = fetchStatus(options);
  closeInTime(fetched);
  if (fetched.failure != ExitCode::kOk) {
    printOut("unhealthy: " + fetched.error + "\n");
    return ExitCode::kFailed;  // a probe knows only healthy (0) and unhealthy (1)
  }
  auto status = parseStatus(fetched.json);
  if (!status.ok()) {
    printOut("unhealthy: " + std::string(status.status().message()) + "\n");
    return ExitCode::kFailed;
  }
  const HealthVerdict verdict = judgeHealth(*status);
  printOut(verdict.line + "\n");
  return verdict.healthy ? ExitCode::kOk : ExitCode::kFailed;
}

ExitCode runTables(const GlobalOptions& options) {
  Fetched fetched = fetchStatus(options);
  closeInTime(fetched);
  if (fetched.failure != ExitCode::kOk) {
    printError(fetched.error);
    return fetched.failure;
  }
  auto status = parseStatus(fetched.json);
  if (!status.ok()) {
    printError(std::string(status.status().message()));
    return ExitCode::kFailed;
  }
  printOut(renderTables(*status));
  return ExitCode::kOk;
}

ExitCode runFlush(const GlobalOptions& options, const std::vector<std::string>& tables) {
  Fetched fetched = fetchStatus(options);
  if (fetched.failure != ExitCode::kOk) {
    printError(fetched.error);
    return fetched.failure;
  }
  auto status = parseStatus(fetched.json);
  if (!status.ok()) {
    printError(std::string(status.status().message()));
    return ExitCode::kFailed;
  }
  std::vector<const TableStatus*> targets;
  if (tables.empty()) {
    for (const TableStatus& table : status->tables) targets.push_back(&table);
  } else {
    for (const std::string& name : tables) {
      const TableStatus* table = status->findTable(name);
      if (table == nullptr) {
        printError(fmt::format("zerobusd does not serve table '{}' (see zerobusctl tables)", name));
        return ExitCode::kUsage;
      }
      targets.push_back(table);
    }
  }
  ExitCode result = ExitCode::kOk;
  for (const TableStatus* table : targets) {
    const RecordType type = table->record_type == "proto" ? RecordType::kProto : RecordType::kJson;
    Result<Table> opened = fetched.client->openTable(table->name, type);
    if (!opened.ok()) {
      printError(fmt::format("{}: cannot open: {}", table->name, opened.error().toString()));
      result = ExitCode::kFailed;
      continue;
    }
    const auto started = Clock::now();
    Status flushed = opened->flush(options.timeout);
    if (!flushed.ok()) {
      printError(fmt::format("{}: flush failed: {}", table->name, flushed.error().toString()));
      result = ExitCode::kFailed;
      continue;
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    printOut(fmt::format("flushed {} ({} ms)\n", table->name, took.count()));
    (void)opened->close(options.timeout);
  }
  if (targets.empty()) printOut("zerobusd serves no tables: nothing to flush\n");
  return result;
}

}  // namespace zerobusd::ctl
