# The fake's token authority, OAuth form parsing and workspace HTTP endpoints (real loopback
# httplib server on port 0, httplib client).
zerobusd_add_test(fake_workspace_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/token_authority_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/oauth_form_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/workspace_http_test.cc
  LIBS zerobus_fake_workspace
  LABELS unit)
