# Installs the systemd units and snippets of this folder. The checked-in unit names the
# daemon at /usr/local/sbin/zerobusd (CMake's default prefix, what docs/deployment.md uses);
# the installed copy names the binary where this install puts it (prefix chosen at install
# time, `cmake --install --prefix`, and DESTDIR honoured).
set(ZEROBUSD_UNIT_DIR "lib/systemd/system" CACHE STRING "Where systemd units are installed, under the prefix")
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/systemd/zerobusd.service\" unit)
  string(REPLACE \"/usr/local/sbin/zerobusd\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/zerobusd\" unit \"\${unit}\")
  set(target \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${ZEROBUSD_UNIT_DIR}/zerobusd.service\")
  message(STATUS \"Installing: \${target}\")
  file(WRITE \"\${target}\" \"\${unit}\")
")
install(FILES "${PROJECT_SOURCE_DIR}/systemd/zerobusd.socket" DESTINATION "${ZEROBUSD_UNIT_DIR}")
install(FILES "${PROJECT_SOURCE_DIR}/systemd/zerobusd.sysusers" DESTINATION "lib/sysusers.d" RENAME zerobusd.conf)
install(FILES "${PROJECT_SOURCE_DIR}/systemd/zerobusd.tmpfiles" DESTINATION "lib/tmpfiles.d" RENAME zerobusd.conf)
