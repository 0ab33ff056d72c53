// The conditional (compare-and-set) sets of the cursor actor, single and
// batched, plain and forced, on the deterministic scheduler with a mock
// writer: an entry applies only where the cursor is still what the caller
// planned from (a value, or "" for no cursor); anything else is a
// `conflict` naming the peer, and changes nothing.
//
// The states a peer can be in when the set arrives, and what happens:
// - no cursor (unknown, or its delete pending or committed): applies when
//   "" is expected; any expected value is a conflict (found: no cursor), so
//   a deleted peer is never brought back by a plan made before its delete;
// - a cursor with the expected value: applies as a plain (or forced) set
//   would, so a lower value is still a regression unless forced;
// - a cursor with another value (moved by someone else), or a cursor where
//   "" was expected (created meanwhile): conflict, whatever the new value;
// - in a batch, a peer set by an earlier entry has that entry's value.

#define CAF_SUITE cursor_conditional

#include "test.hpp"

using namespace cursor;
using test::store_fixture;

namespace {

using strings = std::vector<std::string>;

struct conditional_fixture : store_fixture {
  caf::error set_if(const std::string& peer, const std::string& want,
                    const std::string& id, bool force = false) {
    auto r = force ? send<ok_atom>(set_atom_v, expect_atom_v, force_atom_v,
                                   peer, want, id)
                   : send<ok_atom>(set_atom_v, expect_atom_v, peer, want, id);
    drain();
    if (!r.arrived())
      CAF_FAIL("the conditional set got no reply");
    return **r.slot ? caf::error{} : (*r.slot)->error();
  }

  caf::error batch_if(const strings& peers, const strings& wants,
                      const strings& ids, bool force = false) {
    auto r = force
                 ? send<ok_atom>(set_atom_v, expect_atom_v, force_atom_v, peers,
                                 wants, ids)
                 : send<ok_atom>(set_atom_v, expect_atom_v, peers, wants, ids);
    drain();
    if (!r.arrived())
      CAF_FAIL("the conditional batch got no reply");
    return **r.slot ? caf::error{} : (*r.slot)->error();
  }

  std::string value(const std::string& peer) {
    auto x = get(peer);
    return x.found ? x.stream_id : std::string{"<none>"};
  }

  void release() {
    caf::anon_send(caf::actor_cast<test::mock_writer_actor>(writer),
                   test::release_atom_v);
  }
};

bool mentions(const caf::error& err, const std::string& text) {
  return render(err).find(text) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cursor_conditional_tests, conditional_fixture)

CAF_TEST(a conditional set applies where the cursor is as expected) {
  CAF_CHECK(!set_if("a", "", "5-0")); // no cursor, as expected
  CAF_CHECK_EQUAL(value("a"), "5-0");
  CAF_CHECK(!set_if("a", "5-0", "7-0"));
  CAF_CHECK_EQUAL(value("a"), "7-0");
  CAF_CHECK(!set_if("a", "7-0", "7-0")); // unchanged: ok
  CAF_CHECK_EQUAL(dirty_count(), 1u);
  // `0` and `0-0` are one position, expected or set.
  CAF_CHECK(!set_if("z", "", "0-0"));
  CAF_CHECK(!set_if("z", "0-0", "1-0"));
  CAF_CHECK(!set_if("z", "1-0", "1-0"));
  CAF_CHECK(!set_if("y", "", "0"));
  CAF_CHECK(!set_if("y", "0-0", "2-0"));
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 3u);
  CAF_CHECK_EQUAL(script->disk.at("a"), "7-0");
}

CAF_TEST(a moved cursor is a conflict naming the peer and changes nothing) {
  CAF_CHECK(!set("a", "9-0"));
  ask<uint64_t>(flush_atom_v).value();
  auto err = set_if("a", "5-0", "6-0");
  CAF_CHECK(is(err, errc::conflict));
  CAF_CHECK_EQUAL(render(err), "conflict: cursor of 'a': expected 5-0, found "
                               "9-0; not set to 6-0");
  CAF_CHECK_EQUAL(value("a"), "9-0");
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  // Forced or not, a higher value or a lower one: still a conflict.
  CAF_CHECK(is(set_if("a", "5-0", "10-0", true), errc::conflict));
  CAF_CHECK(is(set_if("a", "5-0", "1-0", true), errc::conflict));
  CAF_CHECK_EQUAL(value("a"), "9-0");
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

CAF_TEST(a cursor created meanwhile is a conflict when none was expected) {
  CAF_CHECK(!set("a", "3-0"));
  auto err = set_if("a", "", "5-0", true);
  CAF_CHECK(is(err, errc::conflict));
  CAF_CHECK(mentions(err, "expected no cursor, found 3-0"));
  CAF_CHECK_EQUAL(value("a"), "3-0");
}

CAF_TEST(a deleted peer is never brought back by a stale expectation) {
  CAF_CHECK(!set("r.001999", "9-0"));
  ask<uint64_t>(flush_atom_v).value();
  // The delete is pending (the write held), then committed.
  script->hold_writes = true;
  auto deleted = send<bool>(delete_atom_v, std::string{"r.001999"});
  drain();
  auto err = set_if("r.001999", "9-0", "5-0", true);
  CAF_CHECK(is(err, errc::conflict));
  CAF_CHECK(mentions(err, "cursor of 'r.001999': expected 9-0, found no "
                          "cursor; not set to 5-0"));
  CAF_CHECK(!get("r.001999").found);
  CAF_CHECK(is(batch_if({"r.001999"}, {"9-0"}, {"5-0"}, true), errc::conflict));
  script->hold_writes = false;
  release();
  drain();
  CAF_CHECK_EQUAL(deleted.value(), true);
  CAF_CHECK_EQUAL(script->disk.count("r.001999"), 0u);
  CAF_CHECK(is(set_if("r.001999", "9-0", "5-0", true), errc::conflict));
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  CAF_CHECK_EQUAL(script->disk.count("r.001999"), 0u);
  // Expecting no cursor, it may be set anew.
  CAF_CHECK(!set_if("r.001999", "", "5-0"));
  CAF_CHECK_EQUAL(value("r.001999"), "5-0");
}

CAF_TEST(a conditional set still refuses a regression unless forced) {
  CAF_CHECK(!set("a", "9-0"));
  auto err = set_if("a", "9-0", "5-0");
  CAF_CHECK(is(err, errc::regression));
  CAF_CHECK_EQUAL(value("a"), "9-0");
  CAF_CHECK(!set_if("a", "9-0", "5-0", true));
  CAF_CHECK_EQUAL(value("a"), "5-0");
}

CAF_TEST(a conditional batch is all or nothing and names the conflict) {
  CAF_CHECK(!set("b", "5-0"));
  CAF_CHECK(!set("c", "5-0"));
  ask<uint64_t>(flush_atom_v).value();
  // Entry 2 expects c at 4-0, but c is at 5-0: nothing of the batch applies.
  auto err
      = batch_if({"a", "b", "c"}, {"", "5-0", "4-0"}, {"1-0", "6-0", "7-0"});
  CAF_CHECK(is(err, errc::conflict));
  CAF_CHECK_EQUAL(render(err),
                  "conflict: batch entry 2 of 3: cursor of 'c': expected "
                  "4-0, found 5-0; not set to 7-0; nothing in the batch was "
                  "applied");
  CAF_CHECK(!get("a").found);
  CAF_CHECK_EQUAL(value("b"), "5-0");
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  // A peer repeated in the batch expects what the earlier entry left.
  CAF_CHECK(
      !batch_if({"a", "a", "b"}, {"", "1-0", "5-0"}, {"1-0", "2-0", "6-0"}));
  CAF_CHECK_EQUAL(value("a"), "2-0");
  CAF_CHECK_EQUAL(value("b"), "6-0");
  CAF_CHECK(
      is(batch_if({"a", "a"}, {"2-0", "2-0"}, {"3-0", "4-0"}), errc::conflict));
  CAF_CHECK_EQUAL(value("a"), "2-0");
  // Regressions in a conditional batch: refused unless forced.
  err = batch_if({"b", "a"}, {"6-0", "2-0"}, {"7-0", "1-0"});
  CAF_CHECK(is(err, errc::regression));
  CAF_CHECK(mentions(err, "batch entry 1 of 2"));
  CAF_CHECK_EQUAL(value("b"), "6-0");
  CAF_CHECK(!batch_if({"b", "a"}, {"6-0", "2-0"}, {"7-0", "1-0"}, true));
  CAF_CHECK_EQUAL(value("a"), "1-0");
  CAF_CHECK_EQUAL(value("b"), "7-0");
}

CAF_TEST(bad input to a conditional set is refused before anything changes) {
  CAF_CHECK(!set("a", "5-0"));
  auto err = set_if("a", "5", "6-0");
  CAF_CHECK(is(err, errc::invalid_stream_id));
  CAF_CHECK(mentions(err, "expected value: "));
  CAF_CHECK(is(set_if("", "", "6-0"), errc::invalid_peer_id));
  CAF_CHECK(is(set_if("a", "5-0", "x"), errc::invalid_stream_id));
  err = batch_if({"a", "b"}, {"5-0", "05-0"}, {"6-0", "1-0"});
  CAF_CHECK(is(err, errc::invalid_stream_id));
  CAF_CHECK(mentions(err, "batch entry 1 of 2: expected value: "));
  err = batch_if({"a", "b"}, {"5-0"}, {"6-0", "1-0"});
  CAF_CHECK(is(err, errc::invalid_stream_id));
  CAF_CHECK(mentions(err, "2 peers but 2 stream IDs and 1 expected values"));
  CAF_CHECK_EQUAL(value("a"), "5-0");
  CAF_CHECK(!get("b").found);
  CAF_CHECK(!batch_if({}, {}, {})); // empty: ok
}

CAF_TEST(conditional sets after close are refused with closed) {
  CAF_CHECK_EQUAL(ask<uint64_t>(close_atom_v).value(), 0u);
  CAF_CHECK(is(set_if("a", "", "1-0"), errc::closed));
  CAF_CHECK(is(set_if("a", "", "1-0", true), errc::closed));
  CAF_CHECK(is(batch_if({"a"}, {""}, {"1-0"}), errc::closed));
  CAF_CHECK(is(batch_if({"a"}, {""}, {"1-0"}, true), errc::closed));
}

CAF_TEST_FIXTURE_SCOPE_END()
