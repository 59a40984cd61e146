# daemon/validate: proto and JSON record validators (unit: shapes, every malformation,
# nesting limits, allocation-free hot path, 100k-input mutation robustness against the
# reference parsers), the fuzz target replayed over its corpus, and a micro-benchmark.
add_library(zerobusd_validate_test_schemas STATIC ${CMAKE_CURRENT_LIST_DIR}/test_schemas.cc)
zerobusd_target(zerobusd_validate_test_schemas)
target_link_libraries(zerobusd_validate_test_schemas PUBLIC protobuf::libprotobuf)

zerobusd_add_test(validate_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/proto_validator_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/json_validator_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/robustness_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/allocation_test.cc
    ${PROJECT_SOURCE_DIR}/tests/support/allocation_counter.cc
  LIBS zerobusd_validate zerobusd_validate_test_schemas nlohmann_json::nlohmann_json
  LABELS unit)

# Fuzz target: a libFuzzer binary when the sanitizers include `fuzzer` (clang), otherwise
# linked with a replay main; either way ctest runs the checked-in corpus.
add_executable(validate_fuzz ${CMAKE_CURRENT_LIST_DIR}/validate_fuzz.cc)
zerobusd_target(validate_fuzz)
target_link_libraries(validate_fuzz PRIVATE
  zerobusd_validate zerobusd_validate_test_schemas nlohmann_json::nlohmann_json)
if(ZEROBUSD_SANITIZE MATCHES "fuzzer")
  add_test(NAME validate_fuzz_corpus
    COMMAND validate_fuzz -runs=0 ${CMAKE_CURRENT_LIST_DIR}/corpus)
else()
  target_sources(validate_fuzz PRIVATE ${CMAKE_CURRENT_LIST_DIR}/fuzz_replay_main.cc)
  add_test(NAME validate_fuzz_corpus
    COMMAND validate_fuzz ${CMAKE_CURRENT_LIST_DIR}/corpus)
endif()
set_tests_properties(validate_fuzz_corpus PROPERTIES LABELS fuzz TIMEOUT 300)

# Not a test: `validate_bench [iterations]` prints ns/record (quote a release build).
add_executable(validate_bench ${CMAKE_CURRENT_LIST_DIR}/validate_bench.cc)
zerobusd_target(validate_bench)
target_link_libraries(validate_bench PRIVATE zerobusd_validate zerobusd_validate_test_schemas)
