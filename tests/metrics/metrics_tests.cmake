# The metrics module (daemon/metrics): unit tests of the types, registry and text format; the
# exporter over loopback HTTP; and the exposition checked by real tools (promtool, the
# prometheus_client parser, a Prometheus server scraping the exporter).
zerobusd_add_test(metrics_core_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/metrics_core_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/text_serializer_test.cc
  LIBS zerobusd::metrics
  LABELS unit)

zerobusd_add_test(metrics_exporter_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_exporter_test.cc
  LIBS zerobusd::metrics_exporter PkgConfig::HTTPLIB
  LABELS unit)

# The demo registry, rendered (dump) or served (serve) for the tools below.
add_executable(metrics_demo
  ${CMAKE_CURRENT_LIST_DIR}/metrics_demo.cc
  ${CMAKE_CURRENT_LIST_DIR}/demo_registry.cc)
zerobusd_target(metrics_demo)
target_link_libraries(metrics_demo PRIVATE zerobusd::metrics_exporter)

# Each script exits 77 when its tool is missing, which ctest reports as skipped.
add_test(NAME metrics_promtool_check
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/promtool_check.sh $<TARGET_FILE:metrics_demo>)

# Debian's python3-prometheus-client installs into the system interpreter's dist-packages, which
# a pyenv or venv python3 earlier in PATH does not see: prefer /usr/bin/python3.
find_program(ZEROBUSD_SYSTEM_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(ZEROBUSD_SYSTEM_PYTHON3 python3)
add_test(NAME metrics_python_parser_check
  COMMAND ${ZEROBUSD_SYSTEM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/check_exposition.py
          $<TARGET_FILE:metrics_demo>)
add_test(NAME metrics_prometheus_scrape
  COMMAND ${ZEROBUSD_SYSTEM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/prometheus_scrape.py
          $<TARGET_FILE:metrics_demo> --timeout 60)
set_tests_properties(metrics_promtool_check metrics_python_parser_check
  PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 60)
set_tests_properties(metrics_prometheus_scrape
  PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 120)
