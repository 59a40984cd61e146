zerobusd_add_test(common_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/log_limiter_test.cc LIBS zerobusd::common LABELS unit)
