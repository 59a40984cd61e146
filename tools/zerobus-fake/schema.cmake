# zerobus_fake_schema: Unity Catalog column types, descriptor checks and per-record decoders
# (PROTO and JSON streams). Pure logic, no I/O; included from this folder's CMakeLists.txt.
add_library(zerobus_fake_schema STATIC
  ${CMAKE_CURRENT_LIST_DIR}/table_schema.cc
  ${CMAKE_CURRENT_LIST_DIR}/value_text.cc
  ${CMAKE_CURRENT_LIST_DIR}/descriptor_check.cc
  ${CMAKE_CURRENT_LIST_DIR}/proto_decoder.cc
  ${CMAKE_CURRENT_LIST_DIR}/json_decoder.cc)
zerobusd_target(zerobus_fake_schema)
target_link_libraries(zerobus_fake_schema PUBLIC
  protobuf::libprotobuf nlohmann_json::nlohmann_json absl::status absl::statusor)
