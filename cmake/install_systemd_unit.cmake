# Runs at install time (see cmake/install.cmake): writes the systemd unit with
# the install prefix's paths in place of /usr/local's and installs it.
# Inputs: CURSOR_UNIT_PROGRAM (the executable the unit runs),
# CURSOR_UNIT_SOURCE, CURSOR_UNIT_STAGED, CURSOR_UNIT_DESTINATION,
# CURSOR_BINDIR, CURSOR_DOCDIR (relative to the prefix, or absolute) and
# CMAKE_INSTALL_PREFIX (set by `cmake --install`).

function(cursor_full_path out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

cursor_full_path(bindir "${CURSOR_BINDIR}")
cursor_full_path(docdir "${CURSOR_DOCDIR}")
cursor_full_path(unitdir "${CURSOR_UNIT_DESTINATION}")

file(READ "${CURSOR_UNIT_SOURCE}" unit)
foreach(needle "/usr/local/bin/${CURSOR_UNIT_PROGRAM}"
               "/usr/local/share/doc/cursor_actor/")
  string(FIND "${unit}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${CURSOR_UNIT_SOURCE} does not mention ${needle}")
  endif()
endforeach()
string(REPLACE "/usr/local/bin/${CURSOR_UNIT_PROGRAM}"
       "${bindir}/${CURSOR_UNIT_PROGRAM}" unit "${unit}")
string(REPLACE "/usr/local/share/doc/cursor_actor/" "${docdir}/" unit "${unit}")
file(WRITE "${CURSOR_UNIT_STAGED}" "${unit}")
file(INSTALL DESTINATION "${unitdir}" TYPE FILE FILES "${CURSOR_UNIT_STAGED}")
