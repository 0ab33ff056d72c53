// The one translation unit that defines main() for the unit suites of
// app/common (the store forwarder), run by CTest one suite at a time
// (tests/common/CMakeLists.txt).

#define CAF_TEST_NO_MAIN

#include <caf/test/unit_test_impl.hpp>

#include <cstdlib>

#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  if (std::getenv("CURSOR_TEST_LOG") == nullptr)
    spdlog::set_level(spdlog::level::off);
  return caf::test::main(argc, argv);
}
