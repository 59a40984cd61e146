# Target-scoped build settings: our targets link zerobusd_warnings; generated and third-party
# code does not, so its warnings never fail our build.
add_library(zerobusd_warnings INTERFACE)
target_compile_options(zerobusd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wimplicit-fallthrough -Wconversion -Wsign-conversion -Wold-style-cast)
target_compile_features(zerobusd_warnings INTERFACE cxx_std_20)

add_library(zerobusd_sanitizers INTERFACE)
if(ZEROBUSD_SANITIZE)
  target_compile_options(zerobusd_sanitizers INTERFACE
    -fsanitize=${ZEROBUSD_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(zerobusd_sanitizers INTERFACE -fsanitize=${ZEROBUSD_SANITIZE})
endif()

# zerobusd_target(<name>): the settings every target of ours gets.
function(zerobusd_target name)
  target_link_libraries(${name} PRIVATE zerobusd_warnings zerobusd_sanitizers)
  target_compile_features(${name} PUBLIC cxx_std_20)
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()
