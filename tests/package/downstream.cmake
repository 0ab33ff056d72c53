# CTest test package.downstream: configures examples/downstream against the
# prefix package.install filled (find_package only, no source tree), builds
# it and runs it; then checks that the version file refuses 0.1 and 0.3.
#   cmake -DSOURCE=examples/downstream -DPREFIX=... -DWORK=... -DGENERATOR=...
#         -DCXX=... -DBUILD_TYPE=... -DFLAGS=... -P downstream.cmake

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK}")
# Only the test prefix: no package registry, no cursor_actor from elsewhere.
run("configuring the downstream project"
  "${CMAKE_COMMAND}" -S "${SOURCE}" -B "${WORK}/build" -G "${GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${PREFIX}" "-DCMAKE_CXX_COMPILER=${CXX}"
  "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}" "-DCMAKE_CXX_FLAGS=${FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${FLAGS}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
file(STRINGS "${WORK}/build/CMakeCache.txt" found REGEX "^cursor_actor_DIR:")
if(NOT found MATCHES "${PREFIX}/")
  message(FATAL_ERROR "found a cursor_actor outside the test prefix: ${found}")
endif()
run("building the downstream project"
  "${CMAKE_COMMAND}" --build "${WORK}/build")
run("running the downstream program"
  "${WORK}/build/downstream" "${WORK}/downstream.db")
message(STATUS "${output}")
if(NOT output MATCHES "= 1700000000000-5 after a reopen")
  message(FATAL_ERROR "unexpected output of downstream: ${output}")
endif()

# 0.x minor versions are incompatible: 0.1 and 0.3 must not accept 0.2.0.
foreach(version 0.1 0.3 1.0)
  set(dir "${WORK}/want-${version}")
  file(WRITE "${dir}/CMakeLists.txt"
    "cmake_minimum_required(VERSION 3.25)\n"
    "project(want LANGUAGES NONE)\n"
    "find_package(cursor_actor ${version} REQUIRED)\n")
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -S "${dir}" -B "${dir}/build" -G "${GENERATOR}"
            "-DCMAKE_PREFIX_PATH=${PREFIX}"
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT err MATCHES "version: 0.2.0")
    message(FATAL_ERROR "find_package(cursor_actor ${version}) accepted 0.2.0 "
                        "or failed otherwise:\n${err}")
  endif()
endforeach()
