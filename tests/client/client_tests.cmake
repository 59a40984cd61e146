# The client library (client/) against a scripted peer daemon serving the local protocol.
add_library(zerobusd_peer_daemon STATIC ${CMAKE_CURRENT_LIST_DIR}/peer_daemon.cc)
zerobusd_target(zerobusd_peer_daemon)
target_link_libraries(zerobusd_peer_daemon PUBLIC zerobusd_frame GTest::gtest Threads::Threads)

zerobusd_add_test(client_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/client_test.cc
  LIBS zerobusd_client zerobusd_peer_daemon
  LABELS unit)
