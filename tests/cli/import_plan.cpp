#define CAF_SUITE import_plan

#include "cli/import_plan.hpp"

#include <sstream>

#include <caf/test/unit_test.hpp>

using namespace cursor::cli;

namespace {

std::vector<cursor::cursor_entry> node_state() {
  return {
      {"a", "10-0", 1, true},
      {"b", "10-0", 1, true},
      {"c", "10-0", 1, false},
      {"d", "0", 1, true},
  };
}

} // namespace

CAF_TEST(every entry is new advanced moved back or unchanged) {
  std::vector<file_entry> file{
      {"a", "10-1", 1}, {"b", "9-99", 2}, {"c", "10-0", 3},
      {"d", "0-0", 4},  {"e", "1-0", 5},  {"a0", "9-0", 6},
  };
  auto plan = make_plan(file, node_state());
  CAF_REQUIRE_EQUAL(plan.changes.size(), file.size());
  CAF_CHECK(plan.changes[0].kind == change::advanced);
  CAF_CHECK(plan.changes[1].kind == change::moved_back);
  CAF_CHECK_EQUAL(plan.changes[1].current, "10-0");
  CAF_CHECK(plan.changes[2].kind == change::unchanged);
  // `0-0` and `0` are the same position.
  CAF_CHECK(plan.changes[3].kind == change::unchanged);
  CAF_CHECK(plan.changes[4].kind == change::added);
  CAF_CHECK_EQUAL(plan.changes[4].current, "");
  CAF_CHECK(plan.changes[5].kind == change::added);
  CAF_CHECK_EQUAL(plan.added, 2u);
  CAF_CHECK_EQUAL(plan.advanced, 1u);
  CAF_CHECK_EQUAL(plan.moved_back, 1u);
  CAF_CHECK_EQUAL(plan.unchanged, 2u);
}

CAF_TEST(stream ids compare numerically not as text) {
  auto plan = make_plan({{"a", "9-0", 1}}, {{"a", "10-0", 1, true}});
  CAF_CHECK(plan.changes[0].kind == change::moved_back);
  plan = make_plan({{"a", "10-0", 1}}, {{"a", "9-5", 1, true}});
  CAF_CHECK(plan.changes[0].kind == change::advanced);
}

CAF_TEST(the dry run report names every change and sums them up) {
  std::ostringstream out;
  print_plan(out, make_plan({{"a", "11-0", 1},
                             {"b", "9-0", 2},
                             {"c", "10-0", 3},
                             {"e", "1-0", 4}},
                            node_state()));
  CAF_CHECK_EQUAL(out.str(), "advance  a: 10-0 -> 11-0\n"
                             "BACK     b: 10-0 -> 9-0\n"
                             "new      e: 1-0\n"
                             "1 new, 1 advanced, 1 moved back, 1 unchanged\n");
}
