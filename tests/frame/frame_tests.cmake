# The local frame codec (common/frame): unit tests, the session hex dump that docs/protocol.md
# quotes, a deterministic mutation test, and the fuzz target replaying its corpus.
zerobusd_add_test(frame_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/frame_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/messages_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/frame_reader_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/session_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/mutation_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/fuzz_check.cc
  LIBS zerobusd_frame
  LABELS unit)
target_compile_definitions(frame_test PRIVATE ZEROBUSD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

# With ZEROBUSD_LIBFUZZER=ON (clang only) frame_fuzz is a libFuzzer binary:
#   frame_fuzz tests/frame/corpus
# Otherwise it is a replay program, run under ctest over the checked-in corpus.
option(ZEROBUSD_LIBFUZZER "Build fuzz targets as libFuzzer binaries (clang)" OFF)
add_executable(frame_fuzz
  ${CMAKE_CURRENT_LIST_DIR}/frame_fuzz.cc ${CMAKE_CURRENT_LIST_DIR}/fuzz_check.cc)
zerobusd_target(frame_fuzz)
target_link_libraries(frame_fuzz PRIVATE zerobusd_frame)
if(ZEROBUSD_LIBFUZZER)
  target_compile_definitions(frame_fuzz PRIVATE ZEROBUSD_LIBFUZZER=1)
  target_compile_options(frame_fuzz PRIVATE -fsanitize=fuzzer)
  target_link_options(frame_fuzz PRIVATE -fsanitize=fuzzer)
else()
  add_test(NAME frame_fuzz_corpus COMMAND frame_fuzz ${CMAKE_CURRENT_LIST_DIR}/corpus)
  set_tests_properties(frame_fuzz_corpus PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
