# The C API (client/c): argument checks without a daemon, the API against a real zerobusd and
# zerobus-fake, the exported symbol set, the header's C99 cleanliness, and the docs' binding
# snippets (Python ctypes, Go, Rust).
add_executable(c_abi_args_test ${CMAKE_CURRENT_LIST_DIR}/c_abi_args_test.c)
zerobusd_c_consumer(c_abi_args_test)
target_include_directories(c_abi_args_test PRIVATE ${PROJECT_SOURCE_DIR})
add_test(NAME c_abi_args_test COMMAND c_abi_args_test)
set_tests_properties(c_abi_args_test PROPERTIES LABELS "unit;capi" TIMEOUT 60)

find_package(Threads REQUIRED)
add_executable(c_abi_test ${PROJECT_SOURCE_DIR}/tests/client/c_abi_test.c)
zerobusd_c_consumer(c_abi_test)
target_include_directories(c_abi_test PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(c_abi_test PRIVATE Threads::Threads)
add_test(NAME c_abi_test
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_checked.sh auto $<TARGET_FILE:c_abi_test>)
set_tests_properties(c_abi_test PROPERTIES LABELS "integration;capi" TIMEOUT 180
  ENVIRONMENT "ZEROBUSD_BIN_DIR=${CMAKE_BINARY_DIR}")

add_test(NAME c_abi_exports
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/check_exports.sh $<TARGET_FILE:zerobusd_c>
          ${PROJECT_SOURCE_DIR}/client/c/include/zerobusd/zerobusd_c.h)
set_tests_properties(c_abi_exports PROPERTIES LABELS "unit;capi" TIMEOUT 60)

add_library(c_abi_header_c99 OBJECT ${CMAKE_CURRENT_LIST_DIR}/header_c99_check.c)
set_target_properties(c_abi_header_c99 PROPERTIES
  C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_compile_options(c_abi_header_c99 PRIVATE -Wall -Wextra -Wpedantic -Werror)
target_include_directories(c_abi_header_c99 PRIVATE ${PROJECT_SOURCE_DIR}/client/c/include)
# Built with the tests (an OBJECT library alone is built by "all" only).
add_dependencies(c_abi_args_test c_abi_header_c99)

# The docs' binding snippets load the library into an uninstrumented program (the Python
# interpreter, a Go or Rust binary), which a sanitizer runtime refuses; plain builds only.
if(NOT ZEROBUSD_SANITIZE)
  add_test(NAME c_abi_doc_ctypes
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/doc_snippet_test.sh ctypes $<TARGET_FILE:zerobusd_c>
            ${PROJECT_SOURCE_DIR}/docs/c-api.md)
  set_tests_properties(c_abi_doc_ctypes PROPERTIES LABELS "integration;capi" TIMEOUT 120
    ENVIRONMENT "ZEROBUSD_BIN_DIR=${CMAKE_BINARY_DIR}")
  # Built with Debian's golang-go and rustc (scripts/setup.sh); a missing toolchain fails.
  foreach(lang go rust)
    add_test(NAME c_abi_doc_${lang}
      COMMAND ${CMAKE_CURRENT_LIST_DIR}/doc_snippet_test.sh ${lang} $<TARGET_FILE:zerobusd_c>
              ${PROJECT_SOURCE_DIR}/docs/c-api.md)
    set_tests_properties(c_abi_doc_${lang} PROPERTIES LABELS "integration;capi" TIMEOUT 180
      ENVIRONMENT "ZEROBUSD_BIN_DIR=${CMAKE_BINARY_DIR}")
  endforeach()
endif()
