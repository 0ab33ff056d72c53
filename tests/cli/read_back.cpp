// The read-back's model (app/cli/read_back.hpp): which failures of a chunk
// may have let it apply, and what a value read says about one entry, through
// the chunk's own connection (ordered) or a new one.

#define CAF_SUITE read_back

#include "cli/read_back.hpp"

#include <caf/error.hpp>
#include <caf/sec.hpp>
#include <caf/test/unit_test.hpp>

#include "cursor_actor/error.hpp"

using namespace cursor;
using namespace cursor::cli;

namespace {

cursor_lookup holds(const std::string& id) {
  return cursor_lookup{true, id, false};
}

const cursor_lookup absent{};

} // namespace

CAF_TEST(only a refusal by the store or the node is certain to apply nothing) {
  for (auto code : {errc::conflict, errc::regression, errc::invalid_peer_id,
                    errc::invalid_stream_id, errc::closed, errc::stopped})
    CAF_CHECK(!may_have_applied(caf::make_error(code, "x")));
  CAF_CHECK(!may_have_applied(caf::make_error(caf::sec::unexpected_message)));
  CAF_CHECK(!may_have_applied(caf::error{}));
  CAF_CHECK(may_have_applied(caf::make_error(errc::timeout, "x")));
  CAF_CHECK(may_have_applied(caf::make_error(errc::unavailable, "x")));
  CAF_CHECK(may_have_applied(caf::make_error(caf::sec::request_timeout)));
  CAF_CHECK(may_have_applied(caf::make_error(caf::sec::request_receiver_down)));
  CAF_CHECK(may_have_applied(caf::make_error(caf::sec::unexpected_response)));
}

CAF_TEST(the planned value read is applied through either connection) {
  CAF_CHECK(classify("5-0", "7-0", holds("7-0"), true) == read_state::applied);
  CAF_CHECK(classify("5-0", "7-0", holds("7-0"), false) == read_state::applied);
  CAF_CHECK(classify("", "3-0", holds("3-0"), false) == read_state::applied);
  // `0` and `0-0` are one position.
  CAF_CHECK(classify("5-0", "0-0", holds("0"), true) == read_state::applied);
}

CAF_TEST(the planned
         - from value is not applied only through the same connection) {
  CAF_CHECK(classify("5-0", "7-0", holds("5-0"), true)
            == read_state::not_applied);
  CAF_CHECK(classify("", "7-0", absent, true) == read_state::not_applied);
  CAF_CHECK(classify("5-0", "7-0", holds("5-0"), false) == read_state::unknown);
  CAF_CHECK(classify("", "7-0", absent, false) == read_state::unknown);
}

CAF_TEST(any other value is unknown) {
  CAF_CHECK(classify("5-0", "7-0", holds("9-0"), true) == read_state::unknown);
  CAF_CHECK(classify("5-0", "7-0", absent, true) == read_state::unknown);
  CAF_CHECK(classify("", "7-0", holds("1-0"), true) == read_state::unknown);
}

CAF_TEST(the states have names) {
  CAF_CHECK_EQUAL(std::string{to_string(read_state::applied)}, "applied");
  CAF_CHECK_EQUAL(std::string{to_string(read_state::not_applied)},
                  "not applied");
  CAF_CHECK_EQUAL(std::string{to_string(read_state::unknown)}, "unknown");
}
