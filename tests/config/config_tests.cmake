# daemon/config: every key's value and default, every error path (with key path and line),
# secrets from the environment / files / systemd credentials, proto schemas made
# self-contained (checked by building the lone DescriptorProto in a fresh pool), the shipped
# config files, and docs/configuration.md against the key tables.
zerobusd_add_test(config_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/config_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/proto_schema_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/shipped_config_test.cc
  LIBS zerobusd_config zerobusd_validate zerobusd_upstream
  LABELS unit)
target_compile_definitions(config_test PRIVATE ZEROBUSD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
