// The one translation unit that defines main() for the tailer's unit suites
// (pure parts of app/tailer: the gap check, endpoints, reply parsing,
// metrics), run by CTest one suite at a time (tests/tailer/CMakeLists.txt).

#define CAF_TEST_NO_MAIN

#include <caf/test/unit_test_impl.hpp>

#include <cstdlib>

#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  if (std::getenv("CURSOR_TEST_LOG") == nullptr)
    spdlog::set_level(spdlog::level::off);
  return caf::test::main(argc, argv);
}
