add_library(zerobusd_upstream_fixture STATIC ${CMAKE_CURRENT_LIST_DIR}/upstream_fixture.cc)
zerobusd_target(zerobusd_upstream_fixture)
target_link_libraries(zerobusd_upstream_fixture PUBLIC zerobusd_upstream zerobus_fake_fixture)

zerobusd_add_test(upstream_stream_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/upstream_stream_test.cc
  LIBS zerobusd_upstream_fixture
  LABELS integration)
zerobusd_add_test(upstream_channel_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/channel_test.cc
  LIBS zerobusd_upstream
  LABELS unit)
zerobusd_add_test(upstream_oauth_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/upstream_oauth_test.cc
  LIBS zerobusd_upstream_fixture zerobusd_auth
  LABELS integration)
zerobusd_add_test(upstream_grpc_call_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/grpc_call_test.cc
  LIBS zerobusd_upstream zerobus_fake_fixture
  LABELS integration)
