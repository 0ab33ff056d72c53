# The Debian package cursor-actor (issue 21.3), built from this build tree
# with CPack:
#
#   cmake --build build && cpack -G DEB --config build/CPackConfig.cmake -B out
#   -> out/cursor-actor_<version>_amd64.deb
#
# It holds the component `deb`, which a plain `cmake --install` leaves out
# (EXCLUDE_FROM_ALL): the node, cursorctl and the tailer (stripped) in
# /usr/bin; their systemd units in /lib/systemd/system (Debian 12 keeps
# units there) with the paths of /usr; their sysusers.d entries; the default
# configurations as conffiles in /etc/cursor-actor; the documentation, the
# recommended Prometheus alerts, the Debian copyright and changelog in
# /usr/share/doc/cursor-actor; the lintian overrides, each with its reason.
# The maintainer scripts (config/debian/) create the users and the state
# directories, restrict the configurations to their services and, on purge,
# leave the data (docs/NODE.md, "Installing the Debian package").
# Dependencies: dpkg-shlibdeps (dpkg-dev) from the linked libraries, plus
# systemd-sysusers. tests/package/test_deb.py installs, runs and purges it.
# Included by cmake/install.cmake when the programs are built.

set(cursor_deb_doc share/doc/cursor-actor)
set(cursor_deb_stage ${PROJECT_BINARY_DIR}/deb)
file(MAKE_DIRECTORY ${cursor_deb_stage})

install(TARGETS cursor_node cursorctl cursor_tailer
  RUNTIME DESTINATION bin COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/config/cursor_node.ini
              ${PROJECT_SOURCE_DIR}/config/cursor_tailer.ini
  DESTINATION /etc/cursor-actor COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/docs/NODE.md
              ${PROJECT_SOURCE_DIR}/docs/TAILER.md
              ${PROJECT_SOURCE_DIR}/docs/CLI.md
  DESTINATION ${cursor_deb_doc} COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/config/prometheus/cursor-actor.rules.yml
  DESTINATION ${cursor_deb_doc}/examples COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/config/debian/lintian-overrides
  DESTINATION share/lintian/overrides RENAME cursor-actor
  COMPONENT deb EXCLUDE_FROM_ALL)
foreach(unit cursor-node cursor-tailer)
  install(FILES ${PROJECT_SOURCE_DIR}/config/systemd/${unit}.sysusers
    DESTINATION lib/sysusers.d RENAME ${unit}.conf
    COMPONENT deb EXCLUDE_FROM_ALL)
endforeach()
foreach(pair cursor_node:cursor-node cursor_tailer:cursor-tailer)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 program)
  list(GET pair 1 unit)
  install(CODE "
    set(CURSOR_UNIT_PROGRAM \"${program}\")
    set(CURSOR_UNIT_SOURCE \"${PROJECT_SOURCE_DIR}/config/systemd/${unit}.service\")
    set(CURSOR_UNIT_STAGED \"${cursor_deb_stage}/${unit}.service\")
    set(CURSOR_UNIT_DESTINATION \"/lib/systemd/system\")
    set(CURSOR_BINDIR \"bin\")
    set(CURSOR_DOCDIR \"${cursor_deb_doc}\")
    include(\"${PROJECT_SOURCE_DIR}/cmake/install_systemd_unit.cmake\")
  " COMPONENT deb EXCLUDE_FROM_ALL)
endforeach()

# The changelog, compressed as Debian wants it (gzip -9, no name or time
# stamp in the header), and the copyright file with the license's full text
# (AGPL-3 is not in /usr/share/common-licenses), made at configure time.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/config/debian/changelog
  ${PROJECT_SOURCE_DIR}/config/debian/copyright.in
  ${PROJECT_SOURCE_DIR}/LICENSE)
execute_process(
  COMMAND gzip -9 -n -c ${PROJECT_SOURCE_DIR}/config/debian/changelog
  OUTPUT_FILE ${cursor_deb_stage}/changelog.gz
  RESULT_VARIABLE cursor_gzip_rc)
if(NOT cursor_gzip_rc EQUAL 0)
  message(FATAL_ERROR "gzip of config/debian/changelog failed")
endif()
file(STRINGS ${PROJECT_SOURCE_DIR}/config/debian/copyright.in cursor_header)
file(STRINGS ${PROJECT_SOURCE_DIR}/LICENSE cursor_license)
set(cursor_copyright "")
foreach(line IN LISTS cursor_header)
  if(NOT line MATCHES "^#")
    string(APPEND cursor_copyright "${line}\n")
  endif()
endforeach()
string(APPEND cursor_copyright " .\n")
foreach(line IN LISTS cursor_license)
  string(STRIP "${line}" stripped)
  if(stripped STREQUAL "")
    string(APPEND cursor_copyright " .\n")
  else()
    string(APPEND cursor_copyright " ${line}\n")
  endif()
endforeach()
file(WRITE ${cursor_deb_stage}/copyright "${cursor_copyright}")
install(FILES ${cursor_deb_stage}/changelog.gz ${cursor_deb_stage}/copyright
  DESTINATION ${cursor_deb_doc} COMPONENT deb EXCLUDE_FROM_ALL)

# -- CPack ----------------------------------------------------------------------

set(CPACK_GENERATOR DEB)
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};cursor_actor;deb;/")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_NAME cursor-actor)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "cursor_actor dev <dev@cursor-actor.invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "systemd | systemd-standalone-sysusers | systemd-sysusers")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "replication cursor store and Redis Streams tailer
cursor_node keeps, for every peer of a stream-replication mesh, the last
stream ID durably applied, in SQLite behind a CAF actor, and serves it to
CAF peers and to cursorctl, its command-line client. cursor_tailer
replicates the Redis streams of its peers into a target Redis and resumes
each peer from its cursor.
.
Both come with systemd units, their own system users, and an HTTP
endpoint for Prometheus and health probes (/metrics, /healthz, /readyz).")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/config/debian/conffiles
    ${PROJECT_SOURCE_DIR}/config/debian/postinst
    ${PROJECT_SOURCE_DIR}/config/debian/prerm
    ${PROJECT_SOURCE_DIR}/config/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
