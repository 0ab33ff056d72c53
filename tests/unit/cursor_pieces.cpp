// A flush handed to the writer in pieces (issue 18): the cursor actor sends
// `write_piece_size` peers per message and yields between them, so sets,
// deletes, conditional sets and gets run while a flush is on its way; then
// it clears the committed marks a slice per message. Driven step by step on
// the deterministic scheduler against the scripted writer: nothing is lost,
// a change during a flush stays dirty for the next one, and a flush that
// fails (busy and retried, or an I/O error) answers every waiter and keeps
// everything dirty.

#define CAF_SUITE cursor_pieces

#include "test.hpp"

#include <map>

using namespace cursor;
using namespace std::chrono_literals;
using test::busy_error;
using test::storage_error;

namespace {

struct fixture : test::store_fixture {
  fixture() {
    opts.write_piece_size = 3;
    std::vector<stored_cursor> rows;
    for (int i = 0; i < 10; ++i)
      rows.push_back(stored_cursor{peer(i), "1-0", 1});
    start(rows);
  }

  static std::string peer(int i) { return "p" + std::to_string(i); }

  /// Runs every queued message, firing no timer (not even a zero-delay
  /// one): the store's next piece or slice waits.
  void step() {
    while (sched.try_run_once()) {
      // nop
    }
  }

  /// Lets the store take its next piece or slice, then runs what follows.
  size_t next_slice() {
    auto fired = sched.advance_time(caf::timespan{0});
    step();
    return fired;
  }

  /// A request from a client, processed without firing timers.
  template <class T, class... Ts>
  test::reply<T> now(Ts... xs) {
    auto r = send<T>(xs...);
    step();
    return r;
  }

  /// Dirties p0..p9 (to "2-0") and n0..n4 (new, "5-0"): 15 dirty peers.
  void dirty_fifteen() {
    for (int i = 0; i < 10; ++i)
      CAF_REQUIRE(!set(peer(i), "2-0"));
    for (int i = 0; i < 5; ++i)
      CAF_REQUIRE(!set("n" + std::to_string(i), "5-0"));
    CAF_REQUIRE_EQUAL(dirty_count(), 15u);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(cursor_pieces_tests, fixture)

CAF_TEST(a flush goes in pieces and sets deletes and gets run between them) {
  dirty_fifteen();
  auto r = now<uint64_t>(flush_atom_v);
  // One piece reached the writer; the rest waits for the store's turn.
  CAF_CHECK_EQUAL(script->pending_pieces, 1u);
  CAF_CHECK(script->batches.empty());
  CAF_CHECK(!r.arrived());
  // Between two pieces: a set, a delete, a conditional set and gets.
  auto s1 = now<ok_atom>(set_atom_v, peer(9), std::string{"3-0"});
  auto d1 = now<bool>(delete_atom_v, std::string{"n4"});
  auto c1 = now<ok_atom>(set_atom_v, expect_atom_v, peer(1), std::string{"2-0"},
                         std::string{"4-0"});
  auto back = now<ok_atom>(set_atom_v, peer(2), std::string{"1-5"});
  auto g = now<cursor_lookup>(get_atom_v, peer(0));
  CAF_CHECK(s1.arrived());
  CAF_CHECK(c1.arrived());
  CAF_CHECK(is(back.error(), errc::regression)); // never backwards
  auto found = g.value();
  CAF_CHECK(found.found);
  CAF_CHECK_EQUAL(found.stream_id, "2-0");
  CAF_CHECK(!found.durable);
  size_t slices = 0;
  while (!r.arrived() && next_slice() > 0)
    ++slices;
  CAF_CHECK_EQUAL(r.value(), 15u);
  CAF_CHECK(slices >= 4u);
  CAF_REQUIRE(!script->pieces_of.empty());
  CAF_CHECK_EQUAL(script->pieces_of[0], 5u); // 15 peers, 3 per piece
  CAF_CHECK_EQUAL(script->dropped_pieces, 0u);
  // The delete joined the running round: the round after it answers it.
  drain();
  CAF_CHECK(d1.value());
  CAF_CHECK_EQUAL(script->batches.size(), 2u);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 10; ++i)
    expected[peer(i)] = "2-0";
  expected[peer(9)] = "3-0";
  expected[peer(1)] = "4-0";
  for (int i = 0; i < 4; ++i)
    expected["n" + std::to_string(i)] = "5-0";
  CAF_CHECK(script->disk == expected);
}

CAF_TEST(the committed round reads as durable before its marks are cleared) {
  dirty_fifteen();
  auto r = now<uint64_t>(flush_atom_v);
  while (!r.arrived() && next_slice() > 0) {
    // nop
  }
  CAF_CHECK_EQUAL(r.value(), 15u);
  // The clearing of 15 marks takes 5 slices: none has run after the first.
  auto d = now<uint64_t>(dirty_atom_v);
  CAF_CHECK_EQUAL(d.value(), 0u);
  auto g = now<cursor_lookup>(get_atom_v, std::string{"n0"});
  CAF_CHECK(g.value().durable);
  // A change now is dirty again, and the next flush writes it.
  auto s = now<ok_atom>(set_atom_v, std::string{"n0"}, std::string{"6-0"});
  CAF_CHECK(s.arrived());
  CAF_CHECK_EQUAL(now<uint64_t>(dirty_atom_v).value(), 1u);
  auto st = now<cursor_stats>(stats_atom_v).value();
  CAF_CHECK_EQUAL(st.dirty, 1u);
  drain();
  CAF_CHECK_EQUAL(dirty_count(), 1u);
  auto r2 = ask<uint64_t>(flush_atom_v);
  CAF_CHECK_EQUAL(r2.value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("n0"), "6-0");
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

CAF_TEST(an io error after the pieces fails every waiter and keeps all dirty) {
  dirty_fifteen();
  script->write_outcomes.push_back(storage_error(10, "disk I/O error"));
  auto r1 = now<uint64_t>(flush_atom_v);
  CAF_CHECK(next_slice() > 0);
  // Joins the next round; a new peer too.
  auto r2 = now<uint64_t>(flush_atom_v);
  auto s = now<ok_atom>(set_atom_v, std::string{"late"}, std::string{"9-0"});
  CAF_CHECK(s.arrived());
  drain();
  CAF_CHECK(is(r1.error(), errc::storage_error));
  CAF_CHECK(is(r2.error(), errc::storage_error));
  CAF_CHECK_EQUAL(dirty_count(), 16u);
  for (int i = 0; i < 10; ++i)
    CAF_CHECK_EQUAL(script->disk.at(peer(i)), "1-0");
  CAF_CHECK(!get(peer(0)).durable);
  auto st = stats();
  CAF_CHECK(st.degraded);
  CAF_CHECK_EQUAL(st.flush_errors, 1u);
  // The next flush writes everything, in pieces again.
  auto r3 = ask<uint64_t>(flush_atom_v);
  CAF_CHECK_EQUAL(r3.value(), 16u);
  CAF_CHECK_EQUAL(script->pieces_of.back(), 6u);
  CAF_CHECK_EQUAL(script->disk.at("late"), "9-0");
  CAF_CHECK_EQUAL(script->disk.at(peer(3)), "2-0");
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

CAF_TEST(a busy round is retried whole with the values of the retry) {
  dirty_fifteen();
  script->write_outcomes.push_back(busy_error());
  auto r = send<uint64_t>(flush_atom_v);
  drain(); // every piece, then busy: the retry waits 10 ms
  CAF_CHECK(!r.arrived());
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  CAF_CHECK(!set(peer(4), "7-0"));
  CAF_CHECK(!set("n9", "7-0"));
  CAF_CHECK_EQUAL(advance_time(10ms), 1u);
  drain();
  CAF_CHECK_EQUAL(r.value(), 16u);
  CAF_REQUIRE_EQUAL(script->batches.size(), 2u);
  CAF_CHECK_EQUAL(script->pieces_of[1], 6u);
  CAF_CHECK_EQUAL(script->disk.at(peer(4)), "7-0");
  CAF_CHECK_EQUAL(script->disk.at("n9"), "7-0");
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  CAF_CHECK_EQUAL(stats().retries_flush, 1u);
}

CAF_TEST(a writer lost between pieces fails the flush and sends no more) {
  dirty_fifteen();
  auto r = now<uint64_t>(flush_atom_v);
  CAF_CHECK_EQUAL(script->pending_pieces, 1u);
  caf::anon_send_exit(writer, caf::exit_reason::kill);
  step();
  CAF_CHECK(is(r.error(), errc::writer_down));
  drain(); // the piece already scheduled finds the round gone
  CAF_CHECK(script->batches.empty());
  CAF_CHECK_EQUAL(dirty_count(), 15u);
}

CAF_TEST_FIXTURE_SCOPE_END()
