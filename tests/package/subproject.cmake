# CTest test package.subproject: a project that pulls cursor_actor in with
# FetchContent (README.md, "Using it from CMake") gets the library target and
# nothing else: no node, CLI, tests, benchmarks or examples, and none of
# their dependencies. FETCHCONTENT_SOURCE_DIR_CURSOR_ACTOR points at this
# source tree, so nothing is downloaded. Configures only (building the
# library again would double the CI time; the same target is built by
# package.downstream through the installed package).
#   cmake -DSOURCE=<cursor_actor source> -DWORK=... -DGENERATOR=... -DCXX=...
#         -P subproject.cmake

file(REMOVE_RECURSE "${WORK}")
file(WRITE "${WORK}/src/CMakeLists.txt" [=[
cmake_minimum_required(VERSION 3.25)
project(consumer LANGUAGES CXX)
include(FetchContent)
FetchContent_Declare(cursor_actor
  GIT_REPOSITORY https://git.example.invalid/cursor_actor.git
  GIT_TAG v0.2.0)
FetchContent_MakeAvailable(cursor_actor)
foreach(target cursor_node cursorctl cursor_cli cursor_tests cursor_bench
               embedded_tailer cursor_peer_client)
  if(TARGET ${target})
    message(FATAL_ERROR "the subproject defines ${target}")
  endif()
endforeach()
if(NOT TARGET cursor_actor::cursor_actor)
  message(FATAL_ERROR "no cursor_actor::cursor_actor target")
endif()
add_executable(consumer ${DOWNSTREAM_MAIN})
target_link_libraries(consumer PRIVATE cursor_actor::cursor_actor)
]=])
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${WORK}/src" -B "${WORK}/build"
          -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX}"
          "-DFETCHCONTENT_SOURCE_DIR_CURSOR_ACTOR=${SOURCE}"
          -DFETCHCONTENT_FULLY_DISCONNECTED=ON
          "-DDOWNSTREAM_MAIN=${SOURCE}/examples/downstream/main.cpp"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the FetchContent consumer failed (${rc}):\n"
                      "${out}\n${err}")
endif()
if(err MATCHES "CMake Warning")
  message(FATAL_ERROR "warnings while configuring the consumer:\n${err}")
endif()
file(STRINGS "${WORK}/build/CMakeCache.txt" options REGEX "^CURSOR_BUILD_")
message(STATUS "consumer configured; cursor_actor options: ${options}")
