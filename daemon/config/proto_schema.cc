#include "daemon/config/proto_schema.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor_database.h>

namespace zerobusd::config {

namespace pb = google::protobuf;

namespace {

constexpr std::size_t kMaxDescriptorSetBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxListedMessages = 20;

std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

// Compile errors with the file on disk and 1-based line:column, as compilers print them.
class CompileErrors final : public pb::compiler::MultiFileErrorCollector {
 public:
  explicit CompileErrors(pb::compiler::DiskSourceTree& tree) : tree_(tree) {}

  void AddError(const std::string& filename, int line, int column,
                const std::string& message) override {
    errors.push_back(format(filename, line, column, message));
  }
  void AddWarning(const std::string& filename, int line, int column,
                  const std::string& message) override {
    warnings.push_back(format(filename, line, column, message));
  }

  std::vector<std::string> errors;
  std::vector<std::string> warnings;

 private:
  std::string format(const std::string& filename, int line, int column,
                     const std::string& message) {
    std::string disk;
    const std::string& shown = tree_.VirtualFileToDiskFile(filename, &disk) ? disk : filename;
    if (line < 0) return fmt::format("{}: {}", shown, message);
    return fmt::format("{}:{}:{}: {}", shown, line + 1, column + 1, message);
  }

  pb::compiler::DiskSourceTree& tree_;
};

// Errors from building descriptors that carry no source position (descriptor sets, the
// self-contained result).
class BuildErrors final : public pb::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name, const pb::Message*,
                ErrorLocation, const std::string& message) override {
    errors.push_back(element_name.empty()
                         ? fmt::format("{}: {}", filename, message)
                         : fmt::format("{}: {}: {}", filename, element_name, message));
  }
  std::vector<std::string> errors;
};

void listMessages(const pb::Descriptor& message, std::vector<std::string>& out) {
  out.push_back(message.full_name());
  for (int i = 0; i < message.nested_type_count(); ++i) {
    if (!message.nested_type(i)->options().map_entry()) listMessages(*message.nested_type(i), out);
  }
}

std::string knownMessages(const std::vector<const pb::FileDescriptor*>& files) {
  std::vector<std::string> names;
  for (const auto* file : files) {
    for (int i = 0; i < file->message_type_count(); ++i)
      listMessages(*file->message_type(i), names);
  }
  if (names.empty()) return "it defines no message";
  std::string out = "messages there: ";
  for (std::size_t i = 0; i < names.size() && i < kMaxListedMessages; ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  if (names.size() > kMaxListedMessages) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}

// `name` as a full name, then relative to the package of the first file, then as the unique
// message whose full name ends with ".name".
absl::StatusOr<const pb::Descriptor*> findMessage(
    const pb::DescriptorPool& pool, const std::vector<const pb::FileDescriptor*>& files,
    const std::string& name, const std::string& source) {
  if (name.empty()) {
    return absl::InvalidArgumentError(fmt::format("no message named; {}", knownMessages(files)));
  }
  if (const auto* found = pool.FindMessageTypeByName(name)) return found;
  if (!files.empty() && !files.front()->package().empty()) {
    if (const auto* found = pool.FindMessageTypeByName(files.front()->package() + "." + name)) {
      return found;
    }
  }
  std::vector<std::string> all;
  for (const auto* file : files) {
    for (int i = 0; i < file->message_type_count(); ++i) listMessages(*file->message_type(i), all);
  }
  const pb::Descriptor* match = nullptr;
  for (const auto& full : all) {
    if (full.size() > name.size() && full.ends_with(name) &&
        full[full.size() - name.size() - 1] == '.') {
      if (match != nullptr) {
        return absl::InvalidArgumentError(
            fmt::format("message '{}' is ambiguous in {}: {} and {}; give the full name", name,
                        source, match->full_name(), full));
      }
      match = pool.FindMessageTypeByName(full);
    }
  }
  if (match != nullptr) return match;
  return absl::InvalidArgumentError(
      fmt::format("unknown message '{}' in {}; {}", name, source, knownMessages(files)));
}

absl::Status checkReadable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError(
        fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  return absl::OkStatus();
}

absl::StatusOr<ProtoSchema> compileProtoFile(const ProtoSource& source,
                                             std::vector<std::string>* warnings) {
  if (auto readable = checkReadable(source.proto_file); !readable.ok()) return readable;
  pb::compiler::DiskSourceTree tree;
  for (const auto& path : source.import_paths) tree.MapPath("", path);
  std::string virtual_file;
  std::string shadowing;
  auto found = tree.DiskFileToVirtualFile(source.proto_file, &virtual_file, &shadowing);
  if (found == pb::compiler::DiskSourceTree::NO_MAPPING) {
    // Not under an import path: its own directory is one, after those configured.
    const std::filesystem::path file(source.proto_file);
    tree.MapPath("", file.parent_path().string());
    found = tree.DiskFileToVirtualFile(source.proto_file, &virtual_file, &shadowing);
  }
  switch (found) {
    case pb::compiler::DiskSourceTree::SUCCESS:
      break;
    case pb::compiler::DiskSourceTree::SHADOWED:
      return absl::InvalidArgumentError(
          fmt::format("{} is shadowed by {}, found first as '{}' through the import paths",
                      source.proto_file, shadowing, virtual_file));
    default:
      return absl::InvalidArgumentError(fmt::format("cannot open {}", source.proto_file));
  }
  CompileErrors errors(tree);
  pb::compiler::Importer importer(&tree, &errors);
  importer.AddUnusedImportTrackFile(virtual_file);  // "Import x is unused" as a warning
  const pb::FileDescriptor* file = importer.Import(virtual_file);
  if (warnings != nullptr)
    warnings->insert(warnings->end(), errors.warnings.begin(), errors.warnings.end());
  if (file == nullptr || !errors.errors.empty()) {
    if (errors.errors.empty())
      errors.errors.push_back(fmt::format("{}: does not compile", source.proto_file));
    return absl::InvalidArgumentError(joinLines(errors.errors));
  }
  auto message = findMessage(*importer.pool(), {file}, source.message, source.proto_file);
  if (!message.ok()) return message.status();
  return makeSelfContained(**message);
}

absl::StatusOr<ProtoSchema> loadDescriptorSet(const ProtoSource& source) {
  std::ifstream in(source.descriptor_set, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        fmt::format("cannot read {}: {}", source.descriptor_set, std::strerror(errno)));
  }
  std::string bytes;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > kMaxDescriptorSetBytes) {
      return absl::InvalidArgumentError(
          fmt::format("{} is larger than {} bytes", source.descriptor_set, kMaxDescriptorSetBytes));
    }
  }
  pb::FileDescriptorSet set;
  if (!set.ParseFromString(bytes) || set.file_size() == 0) {
    return absl::InvalidArgumentError(
        fmt::format("{} is not a FileDescriptorSet (make one with protoc --include_imports "
                    "--descriptor_set_out=FILE)",
                    source.descriptor_set));
  }
  pb::SimpleDescriptorDatabase database;
  for (const auto& file : set.file()) {
    if (!database.Add(file)) {
      return absl::InvalidArgumentError(
          fmt::format("{}: file '{}' appears twice with different contents", source.descriptor_set,
                      file.name()));
    }
  }
  BuildErrors errors;
  pb::DescriptorPool pool(&database, &errors);
  std::vector<const pb::FileDescriptor*> files;
  for (const auto& file : set.file()) {
    const auto* built = pool.FindFileByName(file.name());
    if (built == nullptr) {
      if (errors.errors.empty()) {
        errors.errors.push_back(fmt::format(
            "{}: does not build (an import missing from the set? use protoc --include_imports)",
            file.name()));
      }
      return absl::InvalidArgumentError(
          fmt::format("{}: {}", source.descriptor_set, joinLines(errors.errors)));
    }
    files.push_back(built);
  }
  // The last file is the one protoc was asked for (imports come first with --include_imports).
  std::reverse(files.begin(), files.end());
  auto message = findMessage(pool, files, source.message, source.descriptor_set);
  if (!message.ok()) return message.status();
  return makeSelfContained(**message);
}

// --- making one message self-contained ---

class SelfContainedBuilder {
 public:
  explicit SelfContainedBuilder(const pb::Descriptor& root) : root_(root) {
    const std::string& package = root.file()->package();
    new_root_ = package.empty() ? root.name() : package + "." + root.name();
    for (int i = 0; i < root.nested_type_count(); ++i) taken_.insert(root.nested_type(i)->name());
    for (int i = 0; i < root.enum_type_count(); ++i) taken_.insert(root.enum_type(i)->name());
    for (int i = 0; i < root.field_count(); ++i) taken_.insert(root.field(i)->name());
    for (int i = 0; i < root.oneof_decl_count(); ++i) taken_.insert(root.oneof_decl(i)->name());
  }

  absl::StatusOr<ProtoSchema> build() {
    assign(root_, new_root_);
    // Closure: every field of every message in the result must name a type in the result.
    for (std::size_t i = 0; i < order_.size(); ++i) {
      const pb::Descriptor& message = *order_[i];
      for (int f = 0; f < message.field_count(); ++f) {
        const pb::FieldDescriptor& field = *message.field(f);
        if (const auto* type = field.message_type();
            type != nullptr && !names_.contains(type->full_name())) {
          includeMessage(outermost(*type));
        }
        if (const auto* type = field.enum_type();
            type != nullptr && !names_.contains(type->full_name())) {
          if (type->containing_type() != nullptr) {
            includeMessage(outermost(*type->containing_type()));
          } else {
            includeEnum(*type);
          }
        }
      }
    }

    pb::DescriptorProto out;
    root_.CopyTo(&out);
    for (const auto& [message, name] : copied_messages_) {
      auto* nested = out.add_nested_type();
      message->CopyTo(nested);
      nested->set_name(name);
    }
    for (const auto& [enum_type, name] : copied_enums_) {
      auto* nested = out.add_enum_type();
      enum_type->CopyTo(nested);
      nested->set_name(name);
    }
    if (auto rewritten = rewrite(out); !rewritten.ok()) return rewritten;

    pb::FileDescriptorProto file;
    file.set_name("zerobusd/" + root_.full_name() + ".proto");
    if (!root_.file()->package().empty()) file.set_package(root_.file()->package());
    file.set_syntax("proto2");  // the service reads a lone DescriptorProto as proto2
    *file.add_message_type() = out;
    auto pool = std::make_shared<pb::DescriptorPool>();
    BuildErrors errors;
    if (pool->BuildFileCollectingErrors(file, &errors) == nullptr) {
      return absl::InvalidArgumentError(fmt::format("message {} cannot be made self-contained: {}",
                                                    root_.full_name(), joinLines(errors.errors)));
    }
    const pb::Descriptor* built = pool->FindMessageTypeByName(new_root_);
    if (built == nullptr) {
      return absl::InternalError(fmt::format("{} missing from its own pool", new_root_));
    }
    ProtoSchema schema;
    schema.message_name = root_.full_name();
    schema.descriptor_proto = out.SerializeAsString();
    schema.descriptor = std::shared_ptr<const pb::Descriptor>(pool, built);
    return schema;
  }

 private:
  static const pb::Descriptor& outermost(const pb::Descriptor& message) {
    const pb::Descriptor* top = &message;
    while (top->containing_type() != nullptr) top = top->containing_type();
    return *top;
  }

  void assign(const pb::Descriptor& message, const std::string& new_name) {
    // Already in the result (a copied ancestor of the root contains the root): keep the first
    // name, so references still go to the original.
    if (!names_.emplace(message.full_name(), new_name).second) return;
    order_.push_back(&message);
    for (int i = 0; i < message.nested_type_count(); ++i) {
      assign(*message.nested_type(i), new_name + "." + message.nested_type(i)->name());
    }
    for (int i = 0; i < message.enum_type_count(); ++i) {
      names_.emplace(message.enum_type(i)->full_name(),
                     new_name + "." + message.enum_type(i)->name());
    }
  }

  std::string uniqueName(const std::string& simple, const std::string& full) {
    std::string name = simple;
    if (taken_.contains(name)) {
      name = full;
      std::replace(name.begin(), name.end(), '.', '_');
      const std::string base = name;
      for (int n = 2; taken_.contains(name); ++n) name = fmt::format("{}_{}", base, n);
    }
    taken_.insert(name);
    return name;
  }

  void includeMessage(const pb::Descriptor& top) {
    if (names_.contains(top.full_name())) return;  // already in (e.g. the root's own ancestor)
    std::string name = uniqueName(top.name(), top.full_name());
    copied_messages_.emplace_back(&top, name);
    assign(top, new_root_ + "." + name);
  }

  void includeEnum(const pb::EnumDescriptor& top) {
    std::string name = uniqueName(top.name(), top.full_name());
    copied_enums_.emplace_back(&top, name);
    names_[top.full_name()] = new_root_ + "." + name;
  }

  // New type names, no extensions, and no proto3-only constructs: the result is read as
  // proto2, where a proto3 `optional` is simply an optional field.
  absl::Status rewrite(pb::DescriptorProto& message) {
    message.clear_extension();
    std::vector<bool> synthetic(static_cast<std::size_t>(message.oneof_decl_size()), false);
    for (const auto& field : message.field()) {
      if (field.proto3_optional() && field.has_oneof_index()) {
        synthetic[static_cast<std::size_t>(field.oneof_index())] = true;
      }
    }
    std::vector<int> new_index(synthetic.size(), -1);
    int next = 0;
    for (std::size_t i = 0; i < synthetic.size(); ++i) {
      if (!synthetic[i]) new_index[i] = next++;
    }
    for (auto& field : *message.mutable_field()) {
      if (field.has_oneof_index()) {
        int index = new_index[static_cast<std::size_t>(field.oneof_index())];
        if (index < 0) {
          field.clear_oneof_index();
        } else {
          field.set_oneof_index(index);
        }
      }
      field.clear_proto3_optional();
      if (field.has_type_name()) {
        std::string_view old_name = field.type_name();
        if (old_name.starts_with('.')) old_name.remove_prefix(1);
        auto it = names_.find(std::string(old_name));
        if (it == names_.end()) {
          return absl::InternalError(
              fmt::format("type {} of field {} was not copied", old_name, field.name()));
        }
        field.set_type_name("." + it->second);
      }
    }
    if (next != message.oneof_decl_size()) {
      pb::DescriptorProto kept;
      for (std::size_t i = 0; i < synthetic.size(); ++i) {
        if (!synthetic[i]) *kept.add_oneof_decl() = message.oneof_decl(static_cast<int>(i));
      }
      message.mutable_oneof_decl()->Swap(kept.mutable_oneof_decl());
    }
    for (auto& nested : *message.mutable_nested_type()) {
      if (auto status = rewrite(nested); !status.ok()) return status;
    }
    return absl::OkStatus();
  }

  const pb::Descriptor& root_;
  std::string new_root_;
  std::map<std::string, std::string> names_;  // old full name -> new full name
  std::vector<const pb::Descriptor*> order_;  // messages in the result, to scan
  std::set<std::string> taken_;               // simple names in the root's scope
  std::vector<std::pair<const pb::Descriptor*, std::string>> copied_messages_;
  std::vector<std::pair<const pb::EnumDescriptor*, std::string>> copied_enums_;
};

}  // namespace

absl::StatusOr<ProtoSchema> loadProtoSchema(const ProtoSource& source,
                                            std::vector<std::string>* warnings) {
  if (source.proto_file.empty() == source.descriptor_set.empty()) {
    return absl::InvalidArgumentError("exactly one of proto_file and descriptor_set must be set");
  }
  if (!source.proto_file.empty()) return compileProtoFile(source, warnings);
  return loadDescriptorSet(source);
}

absl::StatusOr<ProtoSchema> makeSelfContained(const pb::Descriptor& message) {
  return SelfContainedBuilder(message).build();
}

}  // namespace zerobusd::config
