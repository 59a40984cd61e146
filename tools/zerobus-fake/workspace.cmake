# zerobus_fake_workspace: the fake's workspace HTTP endpoints (OAuth /oidc/v1/token and the
# Unity Catalog tables API) and the token authority the gRPC service checks streams against.
add_library(zerobus_fake_workspace STATIC
  ${CMAKE_CURRENT_LIST_DIR}/token_authority.cc
  ${CMAKE_CURRENT_LIST_DIR}/oauth_form.cc
  ${CMAKE_CURRENT_LIST_DIR}/workspace_http.cc)
zerobusd_target(zerobus_fake_workspace)
target_link_libraries(zerobus_fake_workspace PUBLIC
  zerobus_fake_schema PkgConfig::HTTPLIB nlohmann_json::nlohmann_json OpenSSL::Crypto
  spdlog::spdlog absl::status absl::statusor Threads::Threads)
