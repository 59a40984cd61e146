#pragma once
// Internal to daemon/config: the key-table machinery config.cc declares its sections with.
// A section is a list of Key<S>: name, type, default, help, and how to read the YAML value
// into S. readSection() walks a YAML mapping against such a list: unknown keys (with a "did
// you mean"), duplicate keys and wrong types become problems carrying the key path and line;
// reading goes on after a problem so one run reports them all.
//
// Thread affinity: a Reader belongs to one load. Error contract: nothing throws out of these
// helpers except what yaml-cpp throws, which the caller (parseConfig) catches.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "daemon/config/config.h"
#include "daemon/config/environment.h"

namespace zerobusd::config::detail {

inline int lineOf(const YAML::Node& node) {
  return node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
}

// A value being read: its node, its key path and the line of its key.
struct Value {
  const YAML::Node& node;
  std::string path;
  int line = 0;
};

class Reader {
 public:
  Reader(std::filesystem::path base_dir, const Environment& env)
      : base_dir_(std::move(base_dir)), env_(env) {}

  void error(std::string_view path, int line, std::string_view what) {
    addError(line, line > 0 ? fmt::format("{} (line {}): {}", path, line, what)
                            : fmt::format("{}: {}", path, what));
  }
  // A problem already formatted; `line` orders it among the others (0: first).
  void addError(int line, std::string text) { errors_.emplace_back(line, std::move(text)); }
  void error(const Value& value, std::string_view what) { error(value.path, value.line, what); }
  void warn(std::string text) { warnings_.push_back(std::move(text)); }

  // Relative paths resolve against the config file's directory.
  std::string resolve(std::string_view path) const {
    std::filesystem::path p(path);
    if (p.is_relative()) p = base_dir_ / p;
    return p.lexically_normal().string();
  }
  const std::filesystem::path& baseDir() const { return base_dir_; }
  const Environment& env() const { return env_; }

  // Where each key was set, for problems that involve several keys.
  void noteLine(const std::string& path, int line) { lines_[path] = line; }
  std::optional<int> lineOfKey(const std::string& path) const {
    auto it = lines_.find(path);
    if (it == lines_.end()) return std::nullopt;
    return it->second;
  }

  bool hasErrors() const { return !errors_.empty(); }
  // Every problem, in file order (problems without a line first).
  std::vector<std::string> sortedErrors() const {
    auto sorted = errors_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (auto& [line, text] : sorted) out.push_back(std::move(text));
    return out;
  }
  std::vector<std::string>& warnings() { return warnings_; }

 private:
  std::filesystem::path base_dir_;
  const Environment& env_;
  std::vector<std::pair<int, std::string>> errors_;
  std::vector<std::string> warnings_;
  std::map<std::string, int> lines_;
};

template <class S>
struct Key {
  std::string name;
  std::string type;  // as documented
  std::string help;
  std::function<std::string()> default_text;  // the built-in default, as documented
  std::function<void(Reader&, const Value&, S&)> read;
  // Sections: the keys under this one, for the documentation.
  std::function<void(const std::string& prefix, std::vector<KeyDoc>&)> describe_children;
  bool in_defaults = true;  // table keys: also allowed under `defaults`
  bool documented = true;   // false for refused keys (inline secrets)
};

// --- scalar parsing (strict: YAML's looser forms are refused rather than guessed) ---

std::optional<int64_t> parseInteger(std::string_view text);
std::optional<int64_t> parseByteSize(std::string_view text);  // 123, 4MiB, 64 KiB, 1 GiB
std::optional<bool> parseBool(std::string_view text);
std::optional<double> parseDouble(std::string_view text);
std::string showText(std::string_view text);  // for messages: shortened, control chars escaped
std::string renderBytes(int64_t bytes);       // 16777216 -> "16 MiB"
std::string suggestion(std::string_view unknown, const std::vector<std::string>& known);
std::string rangeText(int64_t min, int64_t max);

// The scalar text of a value, or a problem if it is a list or a mapping.
inline std::optional<std::string> scalarOf(Reader& reader, const Value& value,
                                           std::string_view expected) {
  if (!value.node.IsScalar()) {
    reader.error(value, fmt::format("must be {}, not a {}", expected,
                                    value.node.IsSequence() ? "list" : "mapping"));
    return std::nullopt;
  }
  return value.node.Scalar();
}

template <class S>
void readSection(Reader& reader, const YAML::Node& node, const std::string& path, int line,
                 const std::vector<Key<S>>& keys, S& out, bool defaults_section = false) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    reader.error(path, line, "must be a mapping of keys to values");
    return;
  }
  std::map<std::string, int> seen;
  std::vector<std::string> names;
  for (const auto& key : keys) {
    if (key.documented && (key.in_defaults || !defaults_section)) names.push_back(key.name);
  }
  for (const auto& entry : node) {
    const YAML::Node& key_node = entry.first;
    const int key_line = lineOf(key_node);
    if (!key_node.IsScalar()) {
      reader.error(path, key_line, "keys must be plain names");
      continue;
    }
    const std::string name = key_node.Scalar();
    const std::string key_path = path.empty() ? name : path + "." + name;
    if (auto [it, fresh] = seen.emplace(name, key_line); !fresh) {
      reader.error(key_path, key_line, fmt::format("set twice (first on line {})", it->second));
      continue;
    }
    const Key<S>* key = nullptr;
    for (const auto& candidate : keys) {
      if (candidate.name == name) key = &candidate;
    }
    if (key != nullptr && defaults_section && !key->in_defaults) {
      reader.error(key_path, key_line, "is set per table, not in defaults");
      continue;
    }
    if (key == nullptr) {
      reader.error(key_path, key_line, "unknown key" + suggestion(name, names));
      continue;
    }
    reader.noteLine(key_path, key_line);
    key->read(reader, Value{entry.second, key_path, key_line}, out);
  }
}

template <class S>
Key<S> makeKey(std::string name, std::string type, std::string help) {
  Key<S> key;
  key.name = std::move(name);
  key.type = std::move(type);
  key.help = std::move(help);
  return key;
}

// --- key builders; defaults are read off a default-constructed S, so they cannot drift ---

template <class S, class T>
Key<S> integerKey(std::string name, T S::*member, int64_t min, int64_t max, std::string help) {
  Key<S> key = makeKey<S>(std::move(name), "integer", std::move(help));
  key.default_text = [member] { return std::to_string(S{}.*member); };
  key.read = [member, min, max](Reader& reader, const Value& value, S& out) {
    if (value.node.IsNull()) return;
    auto text = scalarOf(reader, value, "an integer");
    if (!text) return;
    auto parsed = parseInteger(*text);
    if (!parsed)
      return reader.error(value, fmt::format("must be an integer, not {}", showText(*text)));
    if (*parsed < min || *parsed > max) {
      return reader.error(value, fmt::format("must be {}, is {}", rangeText(min, max), *parsed));
    }
    out.*member = static_cast<T>(*parsed);
  };
  return key;
}

template <class S>
Key<S> bytesKey(std::string name, int64_t S::*member, int64_t min, int64_t max, std::string help) {
  Key<S> key = makeKey<S>(std::move(name), "bytes", std::move(help));
  key.default_text = [member] { return renderBytes(S{}.*member); };
  key.read = [member, min, max](Reader& reader, const Value& value, S& out) {
    if (value.node.IsNull()) return;
    auto text = scalarOf(reader, value, "a size in bytes");
    if (!text) return;
    auto parsed = parseByteSize(*text);
    if (!parsed) {
      return reader.error(value, fmt::format("must be a size in bytes (1048576, 512 KiB, 4 MiB, "
                                             "1 GiB), not {}",
                                             showText(*text)));
    }
    if (*parsed < min || *parsed > max) {
      return reader.error(value, fmt::format("must be {}, is {}", rangeText(min, max), *parsed));
    }
    out.*member = *parsed;
  };
  return key;
}

template <class S>
Key<S> boolKey(std::string name, bool S::*member, std::string help) {
  Key<S> key = makeKey<S>(std::move(name), "boolean", std::move(help));
  key.default_text = [member] { return std::string(S{}.*member ? "true" : "false"); };
  key.read = [member](Reader& reader, const Value& value, S& out) {
    if (value.node.IsNull()) return;
    auto text = scalarOf(reader, value, "true or false");
    if (!text) return;
    auto parsed = parseBool(*text);
    if (!parsed)
      return reader.error(value, fmt::format("must be true or false, not {}", showText(*text)));
    out.*member = *parsed;
  };
  return key;
}

template <class S>
Key<S> doubleKey(std::string name, double S::*member, double min, double max, std::string help) {
  Key<S> key = makeKey<S>(std::move(name), "number", std::move(help));
  key.default_text = [member] { return fmt::format("{}", S{}.*member); };
  key.read = [member, min, max](Reader& reader, const Value& value, S& out) {
    if (value.node.IsNull()) return;
    auto text = scalarOf(reader, value, "a number");
    if (!text) return;
    auto parsed = parseDouble(*text);
    if (!parsed)
      return reader.error(value, fmt::format("must be a number, not {}", showText(*text)));
    if (!(*parsed >= min && *parsed <= max)) {
      return reader.error(value,
                          fmt::format("must be between {} and {}, is {}", min, max, *parsed));
    }
    out.*member = *parsed;
  };
  return key;
}

// `check` returns a problem description, or nothing when the text is fine.
using TextCheck = std::function<std::optional<std::string>(std::string_view)>;

template <class S>
Key<S> stringKey(std::string name, std::string S::*member, std::string help, TextCheck check = {}) {
  Key<S> key = makeKey<S>(std::move(name), "string", std::move(help));
  key.default_text = [member] {
    const std::string value = S{}.*member;
    return value.empty() ? std::string("(none)") : value;
  };
  key.read = [member, check](Reader& reader, const Value& value, S& out) {
    if (value.node.IsNull()) return;
    auto text = scalarOf(reader, value, "a string");
    if (!text) return;
    if (check) {
      if (auto problem = check(*text)) return reader.error(value, *problem);
    }
    out.*member = *text;
  };
  return key;
}

bool checkReadableFile(Reader& reader, const Value& value, const std::string& path);

// A file path, resolved against the config file's directory; `must_read` opens it at load.
template <class S>
Key<S> pathKey(std::string name, std::string S::*member, bool must_read, std::string help) {
  Key<S> key = makeKey<S>(std::move(name), "path", std::move(help));
  key.default_text = [member] {
    const std::string value = S{}.*member;
    return value.empty() ? std::string("(none)") : value;
  };
  key.read = [member, must_read](Reader& reader, const Value& value, S& out) {
    if (value.node.IsNull()) return;
    auto text = scalarOf(reader, value, "a file path");
    if (!text) return;
    if (text->empty()) {
      out.*member = "";
      return;
    }
    std::string resolved = reader.resolve(*text);
    if (must_read && !checkReadableFile(reader, value, resolved)) return;
    out.*member = std::move(resolved);
  };
  return key;
}

template <class S, class E>
Key<S> enumKey(std::string name, E S::*member, std::vector<std::pair<std::string, E>> choices,
               std::string help) {
  std::string type = "one of ";
  for (std::size_t i = 0; i < choices.size(); ++i) type += (i > 0 ? ", " : "") + choices[i].first;
  Key<S> key = makeKey<S>(std::move(name), type, std::move(help));
  key.default_text = [member, choices] {
    for (const auto& [text, choice] : choices) {
      if (choice == S{}.*member) return text;
    }
    return std::string("?");
  };
  key.read = [member, choices, type](Reader& reader, const Value& value, S& out) {
    if (value.node.IsNull()) return;
    auto text = scalarOf(reader, value, type);
    if (!text) return;
    for (const auto& [choice_text, choice] : choices) {
      if (choice_text == *text) {
        out.*member = choice;
        return;
      }
    }
    reader.error(value, fmt::format("must be {}, not {}", type, showText(*text)));
  };
  return key;
}

template <class S, class Sub>
Key<S> sectionKey(std::string name, Sub S::*member, const std::vector<Key<Sub>>& (*keys)(),
                  std::string help) {
  Key<S> key = makeKey<S>(std::move(name), "mapping", std::move(help));
  key.default_text = [] { return std::string(); };
  key.read = [member, keys](Reader& reader, const Value& value, S& out) {
    readSection(reader, value.node, value.path, value.line, keys(), out.*member);
  };
  key.describe_children = [keys](const std::string& prefix, std::vector<KeyDoc>& out) {
    for (const auto& child : keys()) {
      if (!child.documented) continue;
      out.push_back({prefix + child.name, child.type, child.default_text(), child.help});
      if (child.describe_children) child.describe_children(prefix + child.name + ".", out);
    }
  };
  return key;
}

// A key refused with an explanation wherever it appears (inline secrets).
template <class S>
Key<S> refusedKey(std::string name, std::string why) {
  Key<S> key = makeKey<S>(std::move(name), "refused", "");
  key.default_text = [] { return std::string(); };
  key.read = [why](Reader& reader, const Value& value, S&) { reader.error(value, why); };
  key.documented = false;
  return key;
}

template <class S>
Key<S> customKey(std::string name, std::string type, std::string default_text, std::string help,
                 std::function<void(Reader&, const Value&, S&)> read) {
  Key<S> key = makeKey<S>(std::move(name), std::move(type), std::move(help));
  key.read = std::move(read);
  key.default_text = [default_text] { return default_text; };
  return key;
}

template <class S>
void describeKeys(const std::vector<Key<S>>& keys, const std::string& prefix,
                  std::vector<KeyDoc>& out) {
  for (const auto& key : keys) {
    if (!key.documented) continue;
    out.push_back({prefix + key.name, key.type, key.default_text(), key.help});
    if (key.describe_children) key.describe_children(prefix + key.name + ".", out);
  }
}

}  // namespace zerobusd::config::detail
