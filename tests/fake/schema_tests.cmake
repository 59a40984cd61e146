# zerobus_fake_schema: type text parsing and UC rendering, descriptor checks, PROTO and JSON
# record decoders (including a deterministic fuzz-style robustness pass).
zerobusd_add_test(fake_schema_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/table_schema_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/descriptor_check_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/proto_decoder_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/json_decoder_test.cc
    ${PROJECT_SOURCE_DIR}/tests/support/allocation_counter.cc
  LIBS zerobus_fake_schema
  LABELS unit)
