add_library(zerobusd_daemon_fixture STATIC ${CMAKE_CURRENT_LIST_DIR}/daemon_fixture.cc)
zerobusd_target(zerobusd_daemon_fixture)
target_link_libraries(zerobusd_daemon_fixture PUBLIC zerobusd_server zerobus_fake_fixture)

zerobusd_add_test(daemon_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/daemon_test.cc
  LIBS zerobusd_daemon_fixture
  LABELS integration)

zerobusd_add_test(reload_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/reload_test.cc
  LIBS zerobusd_daemon_fixture
  LABELS integration)

zerobusd_add_test(config_diff_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/config_diff_test.cc
  LIBS zerobusd_server
  LABELS unit)

zerobusd_add_test(refused_records_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/refused_records_test.cc
  LIBS zerobusd_daemon_fixture
  LABELS integration)

zerobusd_add_test(access_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/access_test.cc
  LIBS zerobusd_daemon_fixture
  LABELS integration)
