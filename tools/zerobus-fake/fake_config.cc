#include "tools/zerobus-fake/fake_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace zerobusd::fake {

namespace {

// Every error names the key and the line, so a person can fix the file without guessing.
struct ConfigError {
  std::string message;
};

[[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& what) {
  int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  throw ConfigError{fmt::format("{} (line {}): {}", key, line, what)};
}

void checkKeys(const YAML::Node& node, const std::string& where,
               const std::set<std::string>& allowed) {
  if (!node.IsMap()) fail(node, where, "expected a mapping");
  for (const auto& item : node) {
    auto key = item.first.as<std::string>();
    if (!allowed.contains(key)) {
      fail(item.first, where.empty() ? key : where + "." + key, "unknown key");
    }
  }
}

template <typename T>
void read(const YAML::Node& parent, const char* key, const std::string& where, T& out) {
  YAML::Node node = parent[key];
  if (!node) return;
  try {
    out = node.as<T>();
  } catch (const YAML::Exception&) {
    fail(node, where.empty() ? key : where + "." + key, "wrong type");
  }
}

template <typename T>
void readNonNegative(const YAML::Node& parent, const char* key, const std::string& where, T& out) {
  read(parent, key, where, out);
  if (out < 0) fail(parent[key], where + "." + key, "must not be negative");
}

Column parseColumn(const YAML::Node& node, const std::string& where, int position) {
  checkKeys(node, where, {"name", "type", "nullable"});
  Column column;
  column.position = position;
  read(node, "name", where, column.name);
  if (column.name.empty()) fail(node, where + ".name", "required");
  std::string type;
  read(node, "type", where, type);
  if (type.empty()) fail(node, where + ".type", "required");
  auto parsed = parseTypeText(type);
  if (!parsed.ok()) fail(node["type"], where + ".type", std::string(parsed.status().message()));
  column.type = *std::move(parsed);
  read(node, "nullable", where, column.nullable);
  return column;
}

FakeTable parseTable(const YAML::Node& node, const std::string& where) {
  checkKeys(node, where, {"name", "columns", "quota"});
  FakeTable table;
  read(node, "name", where, table.schema.full_name);
  const std::string& name = table.schema.full_name;
  int dots = 0;
  for (char c : name) dots += c == '.' ? 1 : 0;
  if (dots != 2 || name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos) {
    fail(node["name"] ? node["name"] : node, where + ".name",
         fmt::format("'{}' is not catalog.schema.table", name));
  }
  YAML::Node columns = node["columns"];
  if (!columns || !columns.IsSequence() || columns.size() == 0) {
    fail(node, where + ".columns", "a non-empty list of columns is required");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < columns.size(); ++i) {
    Column column = parseColumn(columns[i], fmt::format("{}.columns[{}]", where, i), static_cast<int>(i));
    if (table.schema.findColumn(column.name) != nullptr) {
      fail(columns[i], fmt::format("{}.columns[{}].name", where, i), "duplicate column");
    }
    table.schema.columns.push_back(std::move(column));
  }
  if (YAML::Node quota = node["quota"]) {
    std::string q = where + ".quota";
    checkKeys(quota, q, {"records_per_s", "bytes_per_s", "table_bytes_per_s", "on_excess"});
    readNonNegative(quota, "records_per_s", q, table.quota.records_per_s);
    readNonNegative(quota, "bytes_per_s", q, table.quota.bytes_per_s);
    readNonNegative(quota, "table_bytes_per_s", q, table.quota.table_bytes_per_s);
    std::string on_excess = "delay";
    read(quota, "on_excess", q, on_excess);
    if (on_excess != "delay" && on_excess != "reject") {
      fail(quota["on_excess"], q + ".on_excess", "must be delay or reject");
    }
    table.quota.reject = on_excess == "reject";
  }
  return table;
}

FakeConfig parse(const YAML::Node& root) {
  FakeConfig config;
  if (!root || root.IsNull()) throw ConfigError{"the file is empty"};
  checkKeys(root, "", {"grpc_listen", "http_listen", "admin_listen", "tls_cert_file",
                       "tls_key_file", "plaintext", "oauth", "streams", "output", "tables"});
  read(root, "grpc_listen", "", config.grpc_listen);
  read(root, "http_listen", "", config.http_listen);
  read(root, "admin_listen", "", config.admin_listen);
  read(root, "tls_cert_file", "", config.tls_cert_file);
  read(root, "tls_key_file", "", config.tls_key_file);
  read(root, "plaintext", "", config.plaintext);
  if (YAML::Node oauth = root["oauth"]) {
    checkKeys(oauth, "oauth", {"workspace_id", "token_lifetime_s", "clients", "static_tokens"});
    read(oauth, "workspace_id", "oauth", config.workspace_id);
    readNonNegative(oauth, "token_lifetime_s", "oauth", config.token_lifetime_s);
    if (YAML::Node clients = oauth["clients"]) {
      if (!clients.IsSequence()) fail(clients, "oauth.clients", "expected a list");
      config.clients.clear();
      for (size_t i = 0; i < clients.size(); ++i) {
        std::string where = fmt::format("oauth.clients[{}]", i);
        checkKeys(clients[i], where, {"id", "secret"});
        OAuthClient client;
        read(clients[i], "id", where, client.id);
        read(clients[i], "secret", where, client.secret);
        if (client.id.empty() || client.secret.empty()) {
          fail(clients[i], where, "id and secret are required");
        }
        config.clients.push_back(std::move(client));
      }
    }
    read(oauth, "static_tokens", "oauth", config.static_tokens);
  }
  if (YAML::Node streams = root["streams"]) {
    checkKeys(streams, "streams",
              {"lifetime_ms", "close_grace_ms", "max_message_bytes", "ack_before_failure"});
    readNonNegative(streams, "lifetime_ms", "streams", config.stream_lifetime_ms);
    readNonNegative(streams, "close_grace_ms", "streams", config.close_grace_ms);
    readNonNegative(streams, "max_message_bytes", "streams", config.max_message_bytes);
    read(streams, "ack_before_failure", "streams", config.ack_before_failure);
  }
  if (YAML::Node output = root["output"]) {
    checkKeys(output, "output", {"dir", "write_rows", "track_duplicates"});
    read(output, "dir", "output", config.output_dir);
    read(output, "write_rows", "output", config.write_rows);
    read(output, "track_duplicates", "output", config.track_duplicates);
  }
  YAML::Node tables = root["tables"];
  if (!tables || !tables.IsSequence() || tables.size() == 0) {
    fail(tables ? tables : root, "tables", "a non-empty list of tables is required");
  }
  for (size_t i = 0; i < tables.size(); ++i) {
    FakeTable table = parseTable(tables[i], fmt::format("tables[{}]", i));
    if (config.findTable(table.schema.full_name) != nullptr) {
      fail(tables[i], fmt::format("tables[{}].name", i), "duplicate table");
    }
    config.tables.push_back(std::move(table));
  }
  return config;
}

}  // namespace

const FakeTable* FakeConfig::findTable(const std::string& name) const {
  for (const auto& table : tables) {
    if (table.schema.full_name == name) return &table;
  }
  return nullptr;
}

absl::StatusOr<FakeConfig> parseFakeConfig(const std::string& yaml_text) {
  try {
    return parse(YAML::Load(yaml_text));
  } catch (const ConfigError& e) {
    return absl::InvalidArgumentError(e.message);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("line {}: {}", e.mark.line + 1, e.msg));
  }
}

absl::StatusOr<FakeConfig> loadFakeConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("cannot read config file {}", path));
  std::stringstream text;
  text << in.rdbuf();
  auto config = parseFakeConfig(text.str());
  if (!config.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, std::string(config.status().message())));
  }
  return config;
}

}  // namespace zerobusd::fake
