// The one translation unit that defines main() for cursorctl's unit suites
// (the client-side code of app/cli that needs no node).

#include <caf/test/unit_test_impl.hpp>
