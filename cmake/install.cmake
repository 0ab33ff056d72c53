# Install rules: the library with its CMake package (component
# `development`), and, with CURSOR_BUILD_APP, the node, cursorctl, the
# systemd unit, its sysusers.d entry and the default configuration
# (component `runtime`). Included by the top-level CMakeLists.txt when
# CURSOR_INSTALL is on.
#
#   cmake --install build --prefix /usr/local
#   cmake --install build --prefix /opt/x --component development

include(CMakePackageConfigHelpers)

set(CURSOR_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/cursor_actor"
    CACHE STRING "Where cursor_actorConfig.cmake goes, relative to the prefix")
set(CURSOR_INSTALL_SYSTEMDDIR "lib/systemd/system"
    CACHE STRING "Where the systemd unit goes, relative to the prefix")
set(CURSOR_INSTALL_SYSUSERSDIR "lib/sysusers.d"
    CACHE STRING "Where the sysusers.d entry goes, relative to the prefix")

# --- the library and its package -------------------------------------------

install(TARGETS cursor_actor EXPORT cursor_actor_targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/libcursor_actor/include/cursor_actor
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")
install(FILES
  ${PROJECT_BINARY_DIR}/libcursor_actor/generated/include/cursor_actor/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cursor_actor COMPONENT development)
install(EXPORT cursor_actor_targets
  NAMESPACE cursor_actor::
  FILE cursor_actor-targets.cmake
  DESTINATION ${CURSOR_INSTALL_CMAKEDIR} COMPONENT development)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/cursor_actorConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cursor_actorConfig.cmake
  INSTALL_DESTINATION ${CURSOR_INSTALL_CMAKEDIR})
# 0.x: a new minor version may break the API, so 0.2 accepts 0.2.* only.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cursor_actorConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cursor_actorConfig.cmake
  ${PROJECT_BINARY_DIR}/cursor_actorConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake
  DESTINATION ${CURSOR_INSTALL_CMAKEDIR} COMPONENT development)

# --- the node and the service ----------------------------------------------

if(TARGET cursor_node)
  install(TARGETS cursor_node cursorctl
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/config/cursor_node.ini
    DESTINATION ${CMAKE_INSTALL_DATADIR}/cursor_actor COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/NODE.md ${PROJECT_SOURCE_DIR}/docs/CLI.md
    DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/config/systemd/cursor-node.sysusers
    DESTINATION ${CURSOR_INSTALL_SYSUSERSDIR} RENAME cursor-node.conf
    COMPONENT runtime)
  # The unit names the binary and the documentation by their paths under
  # /usr/local; the paths under the prefix given at install time (which
  # `cmake --install --prefix` may change) replace them.
  install(CODE "
    set(CURSOR_UNIT_SOURCE \"${PROJECT_SOURCE_DIR}/config/systemd/cursor-node.service\")
    set(CURSOR_UNIT_STAGED \"${PROJECT_BINARY_DIR}/cursor-node.service\")
    set(CURSOR_UNIT_DESTINATION \"${CURSOR_INSTALL_SYSTEMDDIR}\")
    set(CURSOR_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
    set(CURSOR_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
    include(\"${PROJECT_SOURCE_DIR}/cmake/install_systemd_unit.cmake\")
  " COMPONENT runtime)
endif()
