// Coalesced flushes, the automatic flush timer and threshold, and every exit
// path: close, exit messages, a dying writer, kill.

#define CAF_SUITE cursor_lifecycle

#include "test.hpp"

using namespace cursor;
using namespace std::chrono_literals;
using test::busy_error;
using test::store_fixture;

namespace {

void release(store_fixture& f) {
  caf::anon_send(caf::actor_cast<test::mock_writer_actor>(f.writer),
                 test::release_atom_v);
}

// Whether `r` arrived holding a value (a check that does not abort the
// suite, unlike reply::value()).
template <class T>
bool succeeded(const test::reply<T>& r) {
  return r.arrived() && static_cast<bool>(**r.slot);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(cursor_lifecycle_tests, store_fixture)

CAF_TEST(flush requests arriving together share one transaction) {
  CAF_CHECK(!set("peer-a", "1-0"));
  CAF_CHECK(!set("peer-b", "1-0"));
  auto r1 = send<uint64_t>(flush_atom_v);
  auto r2 = send<uint64_t>(flush_atom_v);
  auto r3 = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  for (auto* r : {&r1, &r2, &r3})
    CAF_CHECK_EQUAL(r->value(), 2u);
}

CAF_TEST(a flush arriving during a write waits for what was dirty then) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto r1 = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK(!set("peer-b", "1-0")); // not in the running write
  auto r2 = send<uint64_t>(flush_atom_v);
  auto r3 = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK_EQUAL(script->held.size(), 1u);
  script->hold_writes = false;
  release(*this);
  drain();
  // r1 is answered by the first commit; r2 and r3 only after the second,
  // which carries peer-b, and they share it.
  CAF_CHECK_EQUAL(r1.value(), 1u);
  CAF_CHECK_EQUAL(r2.value(), 1u);
  CAF_CHECK_EQUAL(r3.value(), 1u);
  CAF_REQUIRE_EQUAL(script->batches.size(), 2u);
  CAF_CHECK_EQUAL(script->batches[1].ops[0].peer, "peer-b");
  CAF_CHECK_EQUAL(script->disk.size(), 2u);
}

CAF_TEST(a flush that arrives during a write is not answered by that write) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto r1 = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK(!set("peer-a", "2-0")); // newer value while 1-0 is being written
  auto r2 = send<uint64_t>(flush_atom_v);
  drain();
  release(*this); // commits 1-0; the second write is held again
  drain();
  CAF_CHECK(r1.arrived());
  CAF_CHECK(!r2.arrived());
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "1-0");
  script->hold_writes = false;
  release(*this);
  drain();
  CAF_CHECK_EQUAL(r2.value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "2-0");
}

CAF_TEST(a failed write answers the queued requests with the error too) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  script->write_outcomes.push_back(test::storage_error(10, "disk I/O error"));
  auto r1 = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK(!set("peer-b", "1-0"));
  auto r2 = send<uint64_t>(flush_atom_v);
  drain();
  script->hold_writes = false;
  release(*this);
  drain();
  CAF_CHECK(is(r1.error(), errc::storage_error));
  CAF_CHECK(is(r2.error(), errc::storage_error));
  CAF_CHECK_EQUAL(dirty_count(), 2u);
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 2u);
}

CAF_TEST(the flush timer writes dirty cursors every interval) {
  opts.flush_interval = 5s;
  start();
  CAF_CHECK(!set("peer-a", "1-0"));
  CAF_CHECK_EQUAL(advance_time(5s - 1ms), 0u);
  drain();
  CAF_CHECK(script->batches.empty());
  CAF_CHECK_EQUAL(advance_time(1ms), 1u);
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "1-0");
  // Nothing dirty: the next tick writes nothing.
  advance_time(5s);
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  CAF_CHECK(!set("peer-a", "2-0"));
  advance_time(5s);
  drain();
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "2-0");
}

CAF_TEST(the timer retries a degraded store by itself) {
  opts.flush_interval = 1s;
  start();
  CAF_CHECK(!set("peer-a", "1-0"));
  script->write_outcomes.push_back(test::storage_error(13, "full"));
  advance_time(1s);
  drain();
  CAF_CHECK(stats().degraded);
  advance_time(1s);
  drain();
  CAF_CHECK(!stats().degraded);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "1-0");
}

CAF_TEST(no timer is armed when the interval is zero) {
  CAF_CHECK(!set("peer-a", "1-0"));
  CAF_CHECK_EQUAL(advance_time(1h), 0u);
  CAF_CHECK(script->batches.empty());
}

CAF_TEST(the dirty threshold flushes early) {
  opts.dirty_threshold = 3;
  start();
  CAF_CHECK(!set("a", "1-0"));
  CAF_CHECK(!set("b", "1-0"));
  CAF_CHECK(script->batches.empty());
  CAF_CHECK(!set("c", "1-0"));
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  CAF_CHECK_EQUAL(script->disk.size(), 3u);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

CAF_TEST(oldest dirty age grows with simulated time) {
  CAF_CHECK(!set("a", "1-0"));
  advance_time(1500ms);
  CAF_CHECK_EQUAL(stats().oldest_dirty_age_ms, 1500);
  ask<uint64_t>(flush_atom_v).value();
  CAF_CHECK_EQUAL(stats().oldest_dirty_age_ms, 0);
}

CAF_TEST(an exit message flushes closes and answers pending requests) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto r1 = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK(!set("peer-b", "1-0"));
  auto r2 = send<uint64_t>(flush_atom_v);
  drain();
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK(!terminated(store)); // still finishing its writes
  CAF_CHECK(is(set("peer-c", "1-0"), errc::closed));
  script->hold_writes = false;
  release(*this);
  drain();
  CAF_CHECK_EQUAL(r1.value(), 1u);
  CAF_CHECK_EQUAL(r2.value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-b"), "1-0");
  CAF_CHECK_EQUAL(script->closes, 1u);
  CAF_CHECK(terminated(store));
  CAF_CHECK(terminated(writer));
}

CAF_TEST(an exit whose final flush fails still answers everyone) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  script->write_outcomes.push_back(test::storage_error(10, "disk I/O error"));
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  drain();
  script->hold_writes = false;
  release(*this);
  drain();
  CAF_CHECK(is(r.error(), errc::storage_error));
  CAF_CHECK(terminated(store));
  CAF_CHECK(terminated(writer));
  CAF_CHECK_EQUAL(script->disk.count("peer-a"), 0u);
}

CAF_TEST(a second exit message stops at once answering with stopped) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  drain();
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK(is(r.error(), errc::stopped));
  CAF_CHECK(terminated(store));
  CAF_CHECK(terminated(writer)); // the store takes its writer along
}

// Issue 19, found while making the paged list and the shutdown classes: a
// stop that did not wait for the writer (a second exit message) dropped the
// promises of a page read and of a backup the writer had not answered yet,
// so those clients never heard back.
CAF_TEST(a second exit answers a page read in flight with stopped) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_lists = true;
  script->hold_writes = true; // the final flush waits behind the read
  auto page = send<cursor_page>(list_atom_v, std::string{}, uint32_t{10});
  drain();
  CAF_REQUIRE_EQUAL(script->held_lists.size(), 1u);
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK(!page.arrived());
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK(terminated(store));
  CAF_REQUIRE(page.arrived());
  CAF_CHECK(is(page.error(), errc::stopped));
}

CAF_TEST(a second exit answers a backup in flight with stopped) {
  script->hold_backups = true;
  auto backup = send<uint64_t>(backup_atom_v, std::string{"/tmp/x.db"});
  drain();
  CAF_REQUIRE_EQUAL(script->held_backups.size(), 1u);
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK(!backup.arrived());
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK(terminated(store));
  CAF_REQUIRE(backup.arrived());
  CAF_CHECK(is(backup.error(), errc::stopped));
}

CAF_TEST(a held page read and backup are answered once released) {
  CAF_CHECK(!set("peer-a", "1-0"));
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 1u);
  script->hold_lists = true;
  script->hold_backups = true;
  auto page = send<cursor_page>(list_atom_v, std::string{}, uint32_t{10});
  auto backup = send<uint64_t>(backup_atom_v, std::string{"/tmp/x.db"});
  drain();
  CAF_CHECK(!page.arrived());
  CAF_CHECK(!backup.arrived());
  release(*this);
  drain();
  CAF_REQUIRE_EQUAL(page.value().entries.size(), 1u);
  CAF_CHECK_EQUAL(backup.value(), 1u);
  CAF_CHECK(!terminated(store));
}

CAF_TEST(a normal exit of a linked actor does not stop the store) {
  caf::anon_send_exit(store, caf::exit_reason::normal);
  drain();
  CAF_CHECK(!terminated(store));
  CAF_CHECK(!set("peer-a", "1-0"));
}

CAF_TEST(a dying writer fails the waiting requests and later ones) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  caf::anon_send_exit(writer, caf::exit_reason::kill);
  drain();
  CAF_CHECK(is(r.error(), errc::writer_down));
  CAF_CHECK(stats().degraded);
  CAF_CHECK(is(ask<uint64_t>(flush_atom_v).error(), errc::writer_down));
  CAF_CHECK(
      is(ask<checkpoint_info>(checkpoint_atom_v).error(), errc::writer_down));
  // Memory still answers.
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "1-0");
}

CAF_TEST(killing the store ends the writer too) {
  caf::anon_send_exit(store, caf::exit_reason::kill);
  drain();
  CAF_CHECK(terminated(store));
  CAF_CHECK(terminated(writer));
}

CAF_TEST(close keeps the store open when the final flush fails) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->write_outcomes.push_back(test::storage_error(13, "full"));
  auto r = ask<uint64_t>(close_atom_v);
  CAF_CHECK(is(r.error(), errc::storage_error));
  CAF_CHECK(!stats().closed);
  CAF_CHECK_EQUAL(script->closes, 0u);
  CAF_CHECK(!set("peer-a", "2-0")); // still open for writes
  CAF_CHECK_EQUAL(ask<uint64_t>(close_atom_v).value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "2-0");
  CAF_CHECK(stats().closed);
}

CAF_TEST(sets during the final flush of close are refused) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto c = send<uint64_t>(close_atom_v);
  drain();
  CAF_CHECK(is(set("peer-a", "2-0"), errc::closed));
  script->hold_writes = false;
  release(*this);
  drain();
  CAF_CHECK_EQUAL(c.value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "1-0");
}

// Issue 12, defect 1: the threshold used to start a round directly.
CAF_TEST(the dirty threshold sends nothing to a writer that is gone) {
  opts.dirty_threshold = 2;
  start();
  caf::anon_send_exit(writer, caf::exit_reason::kill);
  drain();
  CAF_CHECK(!set("a", "1-0"));
  CAF_CHECK(!set("b", "1-0"));
  CAF_CHECK(!set("c", "1-0"));
  drain();
  auto s = stats();
  // The writer died with nothing in flight: no write failed.
  CAF_CHECK_EQUAL(s.flush_errors, 0u);
  CAF_CHECK_EQUAL(s.dirty, 3u);
}

CAF_TEST(after a failed write the threshold waits for the backoff) {
  opts.dirty_threshold = 2;
  start();
  for (int i = 0; i < 10; ++i)
    script->write_outcomes.push_back(test::storage_error(10, "disk I/O"));
  CAF_CHECK(!set("a", "1-0"));
  CAF_CHECK(!set("b", "1-0"));
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 1u); // the threshold write failed
  CAF_CHECK_EQUAL(stats().flush_errors, 1u);
  // Every later set is past the threshold: none of them may start another
  // failing transaction before the retry delay has passed.
  CAF_CHECK(!set("c", "1-0"));
  CAF_CHECK(!set("d", "1-0"));
  CAF_CHECK(!set("e", "1-0"));
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  CAF_CHECK_EQUAL(stats().flush_errors, 1u);
  // Once the longest retry delay has passed, the next set tries again.
  advance_time(opts.retry.max_delay);
  CAF_CHECK(!set("f", "1-0"));
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 2u);
  CAF_CHECK_EQUAL(stats().flush_errors, 2u);
  // An explicit flush is never held back, and a success ends the pause.
  script->write_outcomes.clear();
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 6u);
  CAF_CHECK(!set("g", "1-0"));
  CAF_CHECK(!set("h", "1-0"));
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 4u);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

// Issue 12, defect 2: a second close sent a second close to the writer.
CAF_TEST(a second close during the first gets the same answer) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto c1 = send<uint64_t>(close_atom_v);
  drain();
  auto c2 = send<uint64_t>(close_atom_v);
  drain();
  script->hold_writes = false;
  release(*this);
  drain();
  CAF_CHECK(succeeded(c1));
  CHECK_MSG(succeeded(c2),
            "second close: " << (c2.arrived() && !**c2.slot
                                     ? render((*c2.slot)->error())
                                     : std::string{"no error"}));
  if (succeeded(c1) && succeeded(c2))
    CAF_CHECK_EQUAL(***c1.slot, ***c2.slot);
  CAF_CHECK_EQUAL(script->closes, 1u);
  CAF_CHECK(stats().closed);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "1-0");
}

CAF_TEST(an exit message during close waits for it and closes once) {
  script->stay_after_close = true;
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto c = send<uint64_t>(close_atom_v);
  drain();
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  drain();
  CAF_CHECK(!terminated(store));
  script->hold_writes = false;
  release(*this);
  drain();
  CAF_CHECK(succeeded(c));
  CAF_CHECK_EQUAL(script->closes, 1u);
  CAF_CHECK(terminated(store));
  CAF_CHECK(terminated(writer));
}

// Issue 12, defect 5: the age of a mark whose older value was committed.
CAF_TEST(oldest dirty age restarts when a commit wrote an earlier value) {
  CAF_CHECK(!set("a", "1-0"));
  script->hold_writes = true;
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  advance_time(1000ms);
  CAF_CHECK(!set("a", "2-0")); // after the snapshot: stays dirty
  advance_time(500ms);
  script->hold_writes = false;
  release(*this);
  drain();
  CAF_CHECK_EQUAL(r.value(), 1u);
  CAF_CHECK_EQUAL(dirty_count(), 1u);
  CAF_CHECK_EQUAL(stats().oldest_dirty_age_ms, 500);
}

CAF_TEST_FIXTURE_SCOPE_END()
