// The one translation unit that defines main() for the process host's suites
// (app/common: the host, its configuration, its status board, the database
// lock), run without processes.

#include <caf/test/unit_test_impl.hpp>
