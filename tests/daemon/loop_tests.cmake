zerobusd_add_test(loop_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/loop_test.cc LIBS zerobusd_loop LABELS unit)
