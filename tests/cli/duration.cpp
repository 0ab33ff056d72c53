#define CAF_SUITE duration

#include "cli/duration.hpp"

#include <caf/test/unit_test.hpp>

using namespace cursor::cli;
using std::chrono::milliseconds;

namespace {

bool timeout(const char* text, milliseconds expected) {
  milliseconds x{0};
  return parse_timeout(text, x) && x == expected;
}

bool age(const char* text, milliseconds expected) {
  milliseconds x{0};
  return parse_age(text, x) && x == expected;
}

bool refused_timeout(const char* text) {
  milliseconds x{42};
  return !parse_timeout(text, x) && x == milliseconds{42};
}

bool refused_age(const char* text) {
  milliseconds x{42};
  return !parse_age(text, x) && x == milliseconds{42};
}

} // namespace

CAF_TEST(timeouts take ms s m min and bare seconds) {
  CAF_CHECK(timeout("5s", milliseconds{5000}));
  CAF_CHECK(timeout("500ms", milliseconds{500}));
  CAF_CHECK(timeout("1m", milliseconds{60000}));
  CAF_CHECK(timeout("2min", milliseconds{120000}));
  CAF_CHECK(timeout("3", milliseconds{3000}));
  CAF_CHECK(timeout("1ms", milliseconds{1}));
  CAF_CHECK(timeout("60m", milliseconds{3600000}));
}

CAF_TEST(timeouts outside 1ms to 1h or in other units are refused) {
  for (auto text : {"", "0s", "0", "61m", "3601s", "1h", "1d", "soon", "5 s",
                    "-5s", "5sec", "99999999ms", "1.5s"})
    if (!refused_timeout(text))
      CAF_FAIL("timeout '" << text << "' was accepted");
}

CAF_TEST(timeouts render as they are read) {
  CAF_CHECK_EQUAL(format_timeout(milliseconds{5000}), "5s");
  CAF_CHECK_EQUAL(format_timeout(milliseconds{250}), "250ms");
}

CAF_TEST(ages need a unit and take ms to weeks) {
  CAF_CHECK(age("90s", milliseconds{90000}));
  CAF_CHECK(age("30m", milliseconds{1800000}));
  CAF_CHECK(age("12h", milliseconds{43200000}));
  CAF_CHECK(age("7d", milliseconds{604800000}));
  CAF_CHECK(age("2w", milliseconds{1209600000}));
  CAF_CHECK(age("1ms", milliseconds{1}));
  CAF_CHECK(age("36500d", milliseconds{36500ll * 86400000}));
}

CAF_TEST(ages without a unit zero or beyond a century are refused) {
  for (auto text : {"", "5", "0s", "0d", "36501d", "5y", "d", "1h30m", "-1h",
                    "999999999999w"})
    if (!refused_age(text))
      CAF_FAIL("age '" << text << "' was accepted");
}
