# Install rules: the library with its CMake package (component
# `development`), and, with CURSOR_BUILD_APP, the node, cursorctl, the
# tailer, their systemd units, the units' sysusers.d entries and the default
# configurations (component `runtime`). Included by the top-level CMakeLists.txt when
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

# --- the programs and their services ---------------------------------------

# cursor_install_service(<program> <unit name> <doc>): the program, its
# default INI, its documentation, its systemd unit (paths rewritten for the
# install prefix) and the unit's sysusers.d entry.
function(cursor_install_service program unit doc)
  install(TARGETS ${program}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/config/${program}.ini
    DESTINATION ${CMAKE_INSTALL_DATADIR}/cursor_actor COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/${doc}
    DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/config/systemd/${unit}.sysusers
    DESTINATION ${CURSOR_INSTALL_SYSUSERSDIR} RENAME ${unit}.conf
    COMPONENT runtime)
  # The unit names the binary and the documentation by their paths under
  # /usr/local; the paths under the prefix given at install time (which
  # `cmake --install --prefix` may change) replace them.
  install(CODE "
    set(CURSOR_UNIT_PROGRAM \"${program}\")
    set(CURSOR_UNIT_SOURCE \"${PROJECT_SOURCE_DIR}/config/systemd/${unit}.service\")
    set(CURSOR_UNIT_STAGED \"${PROJECT_BINARY_DIR}/${unit}.service\")
    set(CURSOR_UNIT_DESTINATION \"${CURSOR_INSTALL_SYSTEMDDIR}\")
    set(CURSOR_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
    set(CURSOR_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
    include(\"${PROJECT_SOURCE_DIR}/cmake/install_systemd_unit.cmake\")
  " COMPONENT runtime)
endfunction()

if(TARGET cursor_node)
  cursor_install_service(cursor_node cursor-node NODE.md)
  install(TARGETS cursorctl
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/CLI.md
    DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
endif()
if(TARGET cursor_tailer)
  cursor_install_service(cursor_tailer cursor-tailer TAILER.md)
endif()

# The Debian package of the programs (cmake/deb.cmake, `cpack -G DEB`).
if(TARGET cursor_node AND TARGET cursor_tailer)
  include(${PROJECT_SOURCE_DIR}/cmake/deb.cmake)
endif()
