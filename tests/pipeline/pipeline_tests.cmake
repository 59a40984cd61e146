zerobusd_add_test(handle_tracker_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/handle_tracker_test.cc
  LIBS zerobusd_pipeline LABELS unit)
