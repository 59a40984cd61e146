# zerobusctl: its parsers and generator (unit), and the real binary against a real zerobusd and
# zerobus-fake (integration). Every test is named "zerobusctl.<Suite>.<Test>" and labelled
# zerobusctl, so `ctest -R zerobusctl` (or -L zerobusctl) runs exactly these.
function(zerobusctl_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  zerobusd_target(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock)
  # Tests found in the sources at configure time (gtest_add_tests), so their properties take a
  # list of labels as it is (gtest_discover_tests would split it).
  gtest_add_tests(TARGET ${name} SOURCES ${T_SOURCES} TEST_PREFIX "zerobusctl."
    TEST_LIST tests)
  set_tests_properties(${tests} PROPERTIES LABELS "zerobusctl;${T_LABELS}" TIMEOUT 120)
endfunction()

zerobusctl_add_test(zerobusctl_unit_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/uc_type_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/proto_gen_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/input_reader_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/status_view_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/small_parsers_test.cc
  LIBS zerobusctl_lib
  LABELS unit)

add_library(zerobusctl_test_fixture STATIC
  ${CMAKE_CURRENT_LIST_DIR}/ctl_runner.cc ${CMAKE_CURRENT_LIST_DIR}/ctl_fixture.cc)
zerobusd_target(zerobusctl_test_fixture)
target_link_libraries(zerobusctl_test_fixture PUBLIC zerobusd_daemon_fixture)
target_compile_definitions(zerobusctl_test_fixture PRIVATE
  ZEROBUSCTL_BIN="$<TARGET_FILE:zerobusctl>")
add_dependencies(zerobusctl_test_fixture zerobusctl)

foreach(suite send info gen_proto)
  zerobusctl_add_test(zerobusctl_${suite}_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/ctl_${suite}_test.cc
    LIBS zerobusctl_test_fixture zerobusctl_lib
    LABELS integration)
endforeach()

# Peak RSS of the child is meaningless under ThreadSanitizer's shadow memory.
zerobusctl_add_test(zerobusctl_memory_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/ctl_memory_test.cc
  LIBS zerobusctl_test_fixture
  LABELS integration no_tsan)
