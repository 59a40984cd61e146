# The Python client (client/python): pytest against the real zerobusd and zerobus-fake (each file
# starts its own fake and daemon), and the Python examples run through examples/run.sh, passing
# only if the fake holds exactly their rows (tests/capi/run_checked.sh).

# Debian's python3-pytest and python3-protobuf live in the system interpreter's dist-packages,
# which a pyenv or venv python3 earlier in PATH does not see: prefer /usr/bin/python3.
find_program(ZEROBUSD_SYSTEM_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(ZEROBUSD_SYSTEM_PYTHON3 python3)

set(python_test_env
  "ZEROBUSD_BIN=$<TARGET_FILE:zerobusd>"
  "ZEROBUS_FAKE_BIN=$<TARGET_FILE:zerobus-fake>"
  "PYTHONDONTWRITEBYTECODE=1")

foreach(suite wire sync aio flow_control failures)
  add_test(NAME python_${suite}
    COMMAND ${ZEROBUSD_SYSTEM_PYTHON3} -m pytest -q -p no:cacheprovider
            ${CMAKE_CURRENT_LIST_DIR}/test_${suite}.py)
  set_tests_properties(python_${suite} PROPERTIES
    LABELS "python;integration" TIMEOUT 300 ENVIRONMENT "${python_test_env}")
endforeach()

foreach(example sync_json async_json sync_proto async_proto)
  if(example MATCHES json)
    set(table main.default.events)
  else()
    set(table main.default.air_quality)
  endif()
  add_test(NAME python_example_${example}
    COMMAND ${PROJECT_SOURCE_DIR}/tests/capi/run_checked.sh ${table}=300
            ${ZEROBUSD_SYSTEM_PYTHON3} ${PROJECT_SOURCE_DIR}/examples/python/${example}.py)
  set_tests_properties(python_example_${example} PROPERTIES
    LABELS "python;example" TIMEOUT 180
    ENVIRONMENT "ZEROBUSD_BIN_DIR=${CMAKE_BINARY_DIR};PYTHONDONTWRITEBYTECODE=1")
endforeach()
