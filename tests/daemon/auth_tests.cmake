# daemon/auth: the pure request/response/timing functions (unit), and OAuthTokenSource against
# an in-process zerobus-fake over HTTP and TLS (integration).
zerobusd_add_test(auth_request_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/oauth_request_test.cc
  LIBS zerobusd_auth zerobus_fake_workspace
  LABELS unit)

zerobusd_add_test(auth_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/oauth_token_source_test.cc
  LIBS zerobusd_auth zerobus_fake_fixture
  LABELS integration)
# The TLS tests make certificates with scripts/gen-certs.sh.
target_compile_definitions(auth_test PRIVATE ZEROBUSD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
