// Proto schemas: compiled from .proto files (or read from a descriptor set) and made into ONE
// self-contained DescriptorProto. The proof is independent of the code under test: the
// DescriptorProto alone is built in a fresh pool by this test, and a record encoded with the
// original, multi-file schema parses there to the same content.

#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "daemon/config/proto_schema.h"
#include "tests/config/config_test_util.h"

namespace zerobusd::config {
namespace {

namespace pb = google::protobuf;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::TempDir;

constexpr char kAddressProto[] = R"(syntax = "proto2";
package other;

message Address {
  optional string street = 1;
  optional Geo geo = 2;
  message Geo {
    optional double lat = 1;
    optional double lon = 2;
  }
}

enum Level {
  LOW = 0;
  HIGH = 1;
}
)";

constexpr char kShopProto[] = R"(syntax = "proto2";
package shop;

import "other/address.proto";

message Point {
  optional int32 x = 1;
  optional int32 y = 2;
}

message Order {
  message Item {
    required string sku = 1;
    optional int32 qty = 2;
    optional Point where = 3;
  }
  required int64 id = 1;
  repeated Item items = 2;
  optional other.Address ship_to = 3;
  optional Point origin = 4;
  map<string, Point> named = 5;
  optional other.Level level = 6;
  optional other.Address.Geo geo = 7;
  optional Order parent = 8;
  extensions 100 to 200;
}

extend Order {
  optional int32 ext = 100;
}

// Its own Point shadows shop.Point inside it: the copied one must be renamed.
message Conflict {
  message Point { optional string label = 1; }
  optional Point local = 1;
  optional .shop.Point global = 2;
}

message Outer {
  message Inner {
    optional int32 v = 1;
    optional Outer up = 2;
  }
  optional Inner inner = 1;
}
)";

constexpr char kOrderRecord[] = R"(
  id: 7
  items { sku: "a" qty: 2 where { x: 1 y: 2 } }
  items { sku: "b" }
  ship_to { street: "Main St" geo { lat: 1.5 lon: -2.5 } }
  origin { x: 3 }
  named { key: "home" value { x: 4 y: 5 } }
  level: HIGH
  geo { lat: 9 }
  parent { id: 6 origin { y: 1 } }
)";

class ProtoSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = dir_.write("imports/other/address.proto", kAddressProto);
    shop_ = dir_.write("protos/shop.proto", kShopProto);
  }

  ProtoSource source(const std::string& message) {
    return ProtoSource{shop_, "", message, {dir_ / "imports"}};
  }

  // Encodes `text` as `message` of the original, multi-file schema.
  std::string encodeWithOriginal(const std::string& message, const std::string& text) {
    // Build the original pool from the two files, parsed by protobuf itself.
    Parsed parsed = parseFiles();
    const pb::Descriptor* descriptor = parsed.pool->FindMessageTypeByName(message);
    EXPECT_NE(descriptor, nullptr) << message;
    pb::DynamicMessageFactory factory(parsed.pool.get());
    std::unique_ptr<pb::Message> record(factory.GetPrototype(descriptor)->New());
    EXPECT_TRUE(pb::TextFormat::ParseFromString(text, record.get())) << text;
    return record->SerializeAsString();
  }

  struct Parsed {
    std::unique_ptr<pb::DescriptorPool> pool;
    pb::FileDescriptorSet set;
  };

  // The two files compiled by protobuf alone (no code under test), as a pool and a set.
  Parsed parseFiles() {
    pb::compiler::DiskSourceTree tree;
    tree.MapPath("", dir_ / "imports");
    tree.MapPath("", dir_ / "protos");
    struct Quiet final : pb::compiler::MultiFileErrorCollector {
      void AddError(const std::string& f, int l, int c, const std::string& m) override {
        ADD_FAILURE() << f << ":" << l << ":" << c << ": " << m;
      }
    } errors;
    pb::compiler::Importer importer(&tree, &errors);
    const pb::FileDescriptor* shop = importer.Import("shop.proto");
    EXPECT_NE(shop, nullptr);
    Parsed parsed;
    shop->dependency(0)->CopyTo(parsed.set.add_file());
    shop->CopyTo(parsed.set.add_file());
    parsed.pool = std::make_unique<pb::DescriptorPool>();
    for (const auto& file : parsed.set.file()) EXPECT_NE(parsed.pool->BuildFile(file), nullptr);
    return parsed;
  }

  // What the service does: build the lone DescriptorProto in a fresh pool (its package taken
  // from the fully qualified type names it carries) and parse the record with it.
  struct Fresh {
    pb::DescriptorPool pool;
    const pb::Descriptor* message = nullptr;
  };
  std::unique_ptr<Fresh> buildFresh(const std::string& serialized, const std::string& package) {
    pb::DescriptorProto descriptor;
    EXPECT_TRUE(descriptor.ParseFromString(serialized));
    pb::FileDescriptorProto file;
    file.set_name("fresh.proto");
    file.set_package(package);
    *file.add_message_type() = descriptor;
    auto fresh = std::make_unique<Fresh>();
    const pb::FileDescriptor* built = fresh->pool.BuildFile(file);
    EXPECT_NE(built, nullptr) << descriptor.DebugString();
    if (built != nullptr) fresh->message = built->message_type(0);
    return fresh;
  }

  std::string reparse(const Fresh& fresh, const std::string& record) {
    pb::DynamicMessageFactory factory(&fresh.pool);
    std::unique_ptr<pb::Message> message(factory.GetPrototype(fresh.message)->New());
    EXPECT_TRUE(message->ParseFromString(record));
    EXPECT_TRUE(message->IsInitialized());
    EXPECT_TRUE(message->GetReflection()->GetUnknownFields(*message).empty());
    std::string text;
    pb::TextFormat::PrintToString(*message, &text);
    return text;
  }

  std::string originalText(const std::string& message, const std::string& record) {
    Parsed parsed = parseFiles();
    pb::DynamicMessageFactory factory(parsed.pool.get());
    std::unique_ptr<pb::Message> original(
        factory.GetPrototype(parsed.pool->FindMessageTypeByName(message))->New());
    EXPECT_TRUE(original->ParseFromString(record));
    std::string text;
    pb::TextFormat::PrintToString(*original, &text);
    return text;
  }

  TempDir dir_;
  std::string address_;
  std::string shop_;
};

TEST_F(ProtoSchemaTest, EmbedsNestedSameFileAndImportedTypes) {
  auto schema = loadProtoSchema(source("Order"), nullptr);
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_EQ(schema->message_name, "shop.Order");

  pb::DescriptorProto descriptor;
  ASSERT_TRUE(descriptor.ParseFromString(schema->descriptor_proto));
  EXPECT_EQ(descriptor.name(), "Order");
  std::vector<std::string> nested;
  for (const auto& type : descriptor.nested_type()) nested.push_back(type.name());
  EXPECT_THAT(nested, ::testing::UnorderedElementsAre("Item", "NamedEntry", "Point", "Address"));
  ASSERT_EQ(descriptor.enum_type_size(), 1);
  EXPECT_EQ(descriptor.enum_type(0).name(), "Level");
  EXPECT_EQ(descriptor.extension_size(), 0);
  for (const auto& field : descriptor.field()) {
    if (field.has_type_name()) {
      EXPECT_THAT(field.type_name(), ::testing::StartsWith(".shop.Order")) << field.name();
    }
  }

  // The service's view: the DescriptorProto alone, in a fresh pool.
  auto fresh = buildFresh(schema->descriptor_proto, "shop");
  ASSERT_NE(fresh->message, nullptr);
  const std::string record = encodeWithOriginal("shop.Order", kOrderRecord);
  EXPECT_EQ(reparse(*fresh, record), originalText("shop.Order", record));
  // The descriptor kept for validation is that same self-contained message.
  ASSERT_NE(schema->descriptor, nullptr);
  EXPECT_EQ(schema->descriptor->full_name(), "shop.Order");
  EXPECT_EQ(schema->descriptor->FindFieldByName("ship_to")->message_type()->full_name(),
            "shop.Order.Address");
  EXPECT_EQ(schema->descriptor->FindFieldByName("geo")->message_type()->full_name(),
            "shop.Order.Address.Geo");
  EXPECT_EQ(schema->descriptor->file()->dependency_count(), 0);
}

TEST_F(ProtoSchemaTest, RenamesCopiedTypesThatCollide) {
  auto schema = loadProtoSchema(source("shop.Conflict"), nullptr);
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  pb::DescriptorProto descriptor;
  ASSERT_TRUE(descriptor.ParseFromString(schema->descriptor_proto));
  ASSERT_EQ(descriptor.nested_type_size(), 2);
  EXPECT_EQ(descriptor.nested_type(0).name(), "Point");
  EXPECT_EQ(descriptor.nested_type(1).name(), "shop_Point");
  EXPECT_EQ(descriptor.field(0).type_name(), ".shop.Conflict.Point");
  EXPECT_EQ(descriptor.field(1).type_name(), ".shop.Conflict.shop_Point");
  auto fresh = buildFresh(schema->descriptor_proto, "shop");
  ASSERT_NE(fresh->message, nullptr);
  const std::string record =
      encodeWithOriginal("shop.Conflict", "local { label: 'l' } global { x: 1 }");
  EXPECT_EQ(reparse(*fresh, record), originalText("shop.Conflict", record));
}

TEST_F(ProtoSchemaTest, HandlesANestedMessageThatReferencesItsParent) {
  auto schema = loadProtoSchema(source("Outer.Inner"), nullptr);
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  pb::DescriptorProto descriptor;
  ASSERT_TRUE(descriptor.ParseFromString(schema->descriptor_proto));
  EXPECT_EQ(descriptor.name(), "Inner");
  auto fresh = buildFresh(schema->descriptor_proto, "shop");
  ASSERT_NE(fresh->message, nullptr);
  const std::string record =
      encodeWithOriginal("shop.Outer.Inner", "v: 1 up { inner { v: 2 up { } } }");
  EXPECT_EQ(reparse(*fresh, record), originalText("shop.Outer.Inner", record));
}

TEST_F(ProtoSchemaTest, ReadsAFileDescriptorSetToTheSameDescriptor) {
  Parsed parsed = parseFiles();
  const std::string set = dir_.write("shop.desc", parsed.set.SerializeAsString());
  auto from_set = loadProtoSchema(ProtoSource{"", set, "shop.Order", {}}, nullptr);
  ASSERT_TRUE(from_set.ok()) << from_set.status().message();
  auto from_proto = loadProtoSchema(source("shop.Order"), nullptr);
  ASSERT_TRUE(from_proto.ok());
  EXPECT_EQ(from_set->descriptor_proto, from_proto->descriptor_proto);
  // Relative names are looked up in the package of the last file (the one asked for).
  EXPECT_TRUE(loadProtoSchema(ProtoSource{"", set, "Order", {}}, nullptr).ok());
  EXPECT_TRUE(loadProtoSchema(ProtoSource{"", set, "Address", {}}, nullptr).ok());  // unique suffix
}

TEST_F(ProtoSchemaTest, RefusesBadDescriptorSets) {
  const std::string garbage = dir_.write("garbage.desc", "\xff\xff not a descriptor set");
  EXPECT_THAT(
      std::string(loadProtoSchema(ProtoSource{"", garbage, "M", {}}, nullptr).status().message()),
      HasSubstr("is not a FileDescriptorSet (make one with protoc --include_imports"));
  Parsed parsed = parseFiles();
  pb::FileDescriptorSet without_imports;
  *without_imports.add_file() = parsed.set.file(1);
  const std::string partial = dir_.write("partial.desc", without_imports.SerializeAsString());
  EXPECT_THAT(
      std::string(
          loadProtoSchema(ProtoSource{"", partial, "shop.Order", {}}, nullptr).status().message()),
      HasSubstr("shop.proto"));
  EXPECT_THAT(std::string(loadProtoSchema(ProtoSource{"", dir_ / "none.desc", "M", {}}, nullptr)
                              .status()
                              .message()),
              HasSubstr("cannot read"));
}

TEST_F(ProtoSchemaTest, FindsMessagesByFullOrRelativeName) {
  EXPECT_TRUE(loadProtoSchema(source("shop.Order"), nullptr).ok());
  EXPECT_TRUE(loadProtoSchema(source("Order.Item"), nullptr).ok());
  auto unknown = loadProtoSchema(source("Ordr"), nullptr);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()),
              AllOf(HasSubstr("unknown message 'Ordr' in " + shop_),
                    HasSubstr("messages there: shop.Point, shop.Order, shop.Order.Item")));
  // Imported files' messages are not the file's own.
  EXPECT_FALSE(loadProtoSchema(source("Geo"), nullptr).ok());
}

TEST_F(ProtoSchemaTest, ReportsCompileErrorsWithTheirPosition) {
  const std::string bad = dir_.write("bad/bad.proto",
                                     "syntax = \"proto2\";\n"
                                     "message M {\n"
                                     "  optional int32 x = 1\n"
                                     "}\n");
  auto syntax = loadProtoSchema(ProtoSource{bad, "", "M", {}}, nullptr);
  ASSERT_FALSE(syntax.ok());
  EXPECT_THAT(std::string(syntax.status().message()), HasSubstr(bad + ":4:1: Expected \";\"."));

  const std::string undefined = dir_.write("bad/undefined.proto",
                                           "syntax = \"proto2\";\n"
                                           "message M {\n"
                                           "  optional Nope x = 1;\n"
                                           "}\n");
  auto type = loadProtoSchema(ProtoSource{undefined, "", "M", {}}, nullptr);
  ASSERT_FALSE(type.ok());
  EXPECT_THAT(std::string(type.status().message()),
              HasSubstr(undefined + ":3:12: \"Nope\" is not defined."));

  const std::string import = dir_.write("bad/import.proto",
                                        "syntax = \"proto2\";\n"
                                        "import \"missing/thing.proto\";\n"
                                        "message M {}\n");
  auto missing = loadProtoSchema(ProtoSource{import, "", "M", {}}, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              AllOf(HasSubstr("missing/thing.proto"), HasSubstr(import + ":2:1:")));
}

TEST_F(ProtoSchemaTest, ReportsShadowedAndUnreadableFiles) {
  // imports/other/address.proto found first through "imports" when the file itself is asked
  // for under another import path that maps the same virtual name.
  const std::string copy = dir_.write("second/other/address.proto", kAddressProto);
  auto shadowed = loadProtoSchema(
      ProtoSource{copy, "", "other.Address", {dir_ / "imports", dir_ / "second"}}, nullptr);
  ASSERT_FALSE(shadowed.ok());
  EXPECT_THAT(std::string(shadowed.status().message()), HasSubstr("is shadowed by " + address_));
  auto unreadable = loadProtoSchema(ProtoSource{dir_ / "nope.proto", "", "M", {}}, nullptr);
  ASSERT_FALSE(unreadable.ok());
  EXPECT_THAT(std::string(unreadable.status().message()),
              HasSubstr("cannot read " + dir_ / "nope.proto"));
}

TEST_F(ProtoSchemaTest, Proto3OptionalBecomesPlainProto2Optional) {
  const std::string file = dir_.write("p3/event.proto",
                                      "syntax = \"proto3\";\n"
                                      "package ev;\n"
                                      "message Event {\n"
                                      "  int64 id = 1;\n"
                                      "  optional string note = 2;\n"
                                      "  repeated int64 values = 3;\n"
                                      "  oneof pick { string a = 4; int32 b = 5; }\n"
                                      "  Source source = 6;\n"
                                      "}\n"
                                      "message Source { optional string host = 1; }\n");
  auto schema = loadProtoSchema(ProtoSource{file, "", "Event", {}}, nullptr);
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  pb::DescriptorProto descriptor;
  ASSERT_TRUE(descriptor.ParseFromString(schema->descriptor_proto));
  ASSERT_EQ(descriptor.oneof_decl_size(), 1);  // the synthetic oneof of `note` is gone
  EXPECT_EQ(descriptor.oneof_decl(0).name(), "pick");
  EXPECT_EQ(descriptor.field(3).oneof_index(), 0);
  EXPECT_FALSE(descriptor.field(1).has_oneof_index());
  for (const auto& field : descriptor.field())
    EXPECT_FALSE(field.proto3_optional()) << field.name();
  EXPECT_FALSE(descriptor.nested_type(0).field(0).proto3_optional());
  // The service reads it as proto2.
  pb::DescriptorProto copy = descriptor;
  pb::FileDescriptorProto proto2;
  proto2.set_name("x.proto");
  proto2.set_package("ev");
  *proto2.add_message_type() = copy;
  pb::DescriptorPool pool;
  EXPECT_NE(pool.BuildFile(proto2), nullptr);
}

TEST_F(ProtoSchemaTest, ImportPathsComeFirstThenTheFilesOwnDirectory) {
  // shop.proto imports "other/address.proto", found only through the import path.
  EXPECT_FALSE(loadProtoSchema(ProtoSource{shop_, "", "Order", {}}, nullptr).ok());
  // A file under an import path keeps its virtual name there.
  auto under =
      loadProtoSchema(ProtoSource{address_, "", "other.Address", {dir_ / "imports"}}, nullptr);
  ASSERT_TRUE(under.ok()) << under.status().message();
}

TEST_F(ProtoSchemaTest, CollectsWarnings) {
  const std::string file = dir_.write("w/unused.proto",
                                      "syntax = \"proto2\";\n"
                                      "import \"other/address.proto\";\n"
                                      "message M { optional int32 x = 1; }\n");
  std::vector<std::string> warnings;
  auto schema = loadProtoSchema(ProtoSource{file, "", "M", {dir_ / "imports"}}, &warnings);
  ASSERT_TRUE(schema.ok()) << schema.status().message();
  EXPECT_THAT(warnings, ::testing::Contains(HasSubstr("Import other/address.proto is unused")));
}

TEST_F(ProtoSchemaTest, MakeSelfContainedKeepsASimpleMessageAsItIs) {
  Parsed parsed = parseFiles();
  const pb::Descriptor* point = parsed.pool->FindMessageTypeByName("shop.Point");
  auto schema = makeSelfContained(*point);
  ASSERT_TRUE(schema.ok());
  pb::DescriptorProto expected;
  point->CopyTo(&expected);
  EXPECT_EQ(schema->descriptor_proto, expected.SerializeAsString());
}

}  // namespace
}  // namespace zerobusd::config
