# systemd and container integration: sd_notify, the watchdog, reload, socket activation (the
# real zerobusd binary, as systemd starts it), the unit files and the container files.
zerobusd_add_test(systemd_unit_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/status_line_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/service_notifier_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/listener_adopt_test.cc
  LIBS zerobusd::systemd zerobusd::ipc zerobus_fake_fixture
  LABELS unit)

add_library(zerobusd_systemd_fixture STATIC
  ${CMAKE_CURRENT_LIST_DIR}/daemon_process.cc ${CMAKE_CURRENT_LIST_DIR}/notify_receiver.cc
  ${CMAKE_CURRENT_LIST_DIR}/systemd_fixture.cc)
zerobusd_target(zerobusd_systemd_fixture)
target_link_libraries(zerobusd_systemd_fixture PUBLIC zerobus_fake_fixture zerobusd::client)
target_compile_definitions(zerobusd_systemd_fixture PUBLIC ZEROBUSD_BINARY="$<TARGET_FILE:zerobusd>")

zerobusd_add_test(systemd_daemon_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/notify_test.cc ${CMAKE_CURRENT_LIST_DIR}/socket_activation_test.cc
  LIBS zerobusd_systemd_fixture
  LABELS integration)
add_dependencies(systemd_daemon_test zerobusd)

# systemd-analyze verify on the shipped units, with ExecStart pointing at the built binary
# (verify needs the program to exist; the shipped file names the install path).
find_program(SYSTEMD_ANALYZE systemd-analyze)
if(SYSTEMD_ANALYZE)
  add_test(NAME systemd_units_verify
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/verify_units.sh ${SYSTEMD_ANALYZE} $<TARGET_FILE:zerobusd>
            ${PROJECT_SOURCE_DIR}/systemd ${CMAKE_CURRENT_BINARY_DIR}/systemd-verify)
  set_tests_properties(systemd_units_verify PROPERTIES LABELS "unit" TIMEOUT 60)
endif()

# The container and Kubernetes files: every COPY source exists, the image builds through
# scripts/setup.sh, runs as non-root, every YAML parses, the manifests have what they need, and
# the shipped configs load with the real binary.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  # Sanitizer builds link libasan/libtsan (and more libraries directly): their package list
  # is not the runtime image's.
  set(deployment_check_flags "")
  if(ZEROBUSD_SANITIZE)
    set(deployment_check_flags --no-package-check)
  endif()
  add_test(NAME deployment_files_check
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_deployment_files.py
            --root ${PROJECT_SOURCE_DIR} --zerobusd $<TARGET_FILE:zerobusd>
            --binary $<TARGET_FILE:zerobusctl> --binary $<TARGET_FILE:zerobus-fake>
            ${deployment_check_flags})
  set_tests_properties(deployment_files_check PROPERTIES LABELS "unit" TIMEOUT 120)
endif()
