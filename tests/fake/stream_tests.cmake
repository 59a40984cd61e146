# zerobus-fake's service behaviour, driven by a plain gRPC client and the admin HTTP API.
add_library(zerobus_fake_fixture STATIC ${CMAKE_CURRENT_LIST_DIR}/fake_fixture.cc)
zerobusd_target(zerobus_fake_fixture)
target_link_libraries(zerobus_fake_fixture PUBLIC zerobus_fake_core GTest::gtest)

zerobusd_add_test(fake_stream_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/stream_protocol_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/stream_faults_test.cc
  LIBS zerobus_fake_fixture
  LABELS integration)

zerobusd_add_test(fake_config_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/fake_config_test.cc
  LIBS zerobus_fake_core
  LABELS unit)
target_compile_definitions(fake_config_test PRIVATE ZEROBUSD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
