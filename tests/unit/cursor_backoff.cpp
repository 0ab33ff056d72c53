// Busy handling: the exact retry schedule in simulated time, exhaustion,
// rebuilt batches, forged retry messages, non-busy errors.

#define CAF_SUITE cursor_backoff

#include "test.hpp"

using namespace cursor;
using namespace std::chrono_literals;
using test::busy_error;
using test::store_fixture;

CAF_TEST_FIXTURE_SCOPE(cursor_backoff_tests, store_fixture)

CAF_TEST(busy writes are retried after 10 20 40 80 ms then succeed) {
  CAF_CHECK(!set("peer-a", "1-0"));
  for (int i = 0; i < 4; ++i)
    script->write_outcomes.push_back(busy_error());
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  for (auto delay : {10ms, 20ms, 40ms, 80ms}) {
    CAF_CHECK(!r.arrived());
    // One tick short of the delay: no retry yet.
    CAF_CHECK_EQUAL(advance_time(delay - 1ms), 0u);
    drain();
    auto before = script->batches.size();
    CAF_CHECK_EQUAL(advance_time(1ms), 1u);
    drain();
    CAF_CHECK_EQUAL(script->batches.size(), before + 1);
  }
  CAF_CHECK_EQUAL(r.value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "1-0");
  auto s = stats();
  CAF_CHECK_EQUAL(s.retries_flush, 4u);
  CAF_CHECK_EQUAL(s.flush_errors, 0u);
  CAF_CHECK(!s.degraded);
}

CAF_TEST(extended busy and locked codes are retried too) {
  // 517 BUSY_SNAPSHOT, 261 BUSY_RECOVERY, 262 LOCKED_SHAREDCACHE: the writer
  // classifies them by primary code, so they arrive here as errc::busy.
  CAF_CHECK(!set("peer-a", "1-0"));
  for (int rc : {517, 261, 262})
    script->write_outcomes.push_back(busy_error(rc));
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  for (auto delay : {10ms, 20ms, 40ms}) {
    advance_time(delay);
    drain();
  }
  CAF_CHECK_EQUAL(r.value(), 1u);
  CAF_CHECK_EQUAL(stats().retries_flush, 3u);
}

CAF_TEST(exhausted retries keep cursors dirty answer with busy and degrade) {
  CAF_CHECK(!set("peer-a", "1-0"));
  CAF_CHECK(!set("peer-b", "2-0"));
  for (int i = 0; i < 5; ++i)
    script->write_outcomes.push_back(busy_error());
  auto r1 = send<uint64_t>(flush_atom_v);
  auto r2 = send<uint64_t>(flush_atom_v);
  drain();
  for (auto delay : {10ms, 20ms, 40ms, 80ms}) {
    advance_time(delay);
    drain();
  }
  CAF_CHECK_EQUAL(script->batches.size(), 5u); // 5 attempts, no more
  CAF_CHECK(is(r1.error(), errc::busy));
  CAF_CHECK(is(r2.error(), errc::busy));
  CAF_CHECK(render(r1.error()).find("5 attempts") != std::string::npos);
  CAF_CHECK_EQUAL(dirty_count(), 2u);
  CAF_CHECK(!get("peer-a").durable);
  auto s = stats();
  CAF_CHECK(s.degraded);
  CAF_CHECK_EQUAL(s.flush_errors, 1u);
  CAF_CHECK_EQUAL(s.retries_flush, 4u);
  CAF_CHECK(!s.last_error.empty());
  // No timer is left behind, and the next flush tries again and recovers.
  CAF_CHECK_EQUAL(advance_time(10s), 0u);
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 2u);
  CAF_CHECK_EQUAL(dirty_count(), 0u);
  CAF_CHECK(!stats().degraded);
  CAF_CHECK_EQUAL(script->disk.at("peer-b"), "2-0");
}

CAF_TEST(the retry knobs are honoured) {
  opts.retry.base_delay = 3ms;
  opts.retry.multiplier = 3;
  opts.retry.max_delay = 20ms;
  opts.retry.max_attempts = 4;
  start();
  CAF_CHECK(!set("peer-a", "1-0"));
  for (int i = 0; i < 4; ++i)
    script->write_outcomes.push_back(busy_error());
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  for (auto delay : {3ms, 9ms, 20ms}) { // 27 ms capped at 20 ms
    CAF_CHECK_EQUAL(advance_time(delay - 1ms), 0u);
    CAF_CHECK_EQUAL(advance_time(1ms), 1u);
    drain();
  }
  CAF_CHECK_EQUAL(script->batches.size(), 4u);
  CAF_CHECK(is(r.error(), errc::busy));
}

CAF_TEST(a non busy error is not retried and carries its code) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->write_outcomes.push_back(
      test::storage_error(13, "database or disk is full"));
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK(is(r.error(), errc::storage_error));
  CAF_CHECK(render(r.error()).find("13") != std::string::npos);
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  CAF_CHECK_EQUAL(advance_time(1s), 0u); // no retry scheduled
  auto s = stats();
  CAF_CHECK_EQUAL(s.retries_flush, 0u);
  CAF_CHECK_EQUAL(s.flush_errors, 1u); // counted although nothing was written
  CAF_CHECK(s.degraded);
  CAF_CHECK_EQUAL(dirty_count(), 1u);
}

CAF_TEST(a write that succeeds at once is not retried) {
  CAF_CHECK(!set("peer-a", "1-0"));
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 1u);
  CAF_CHECK_EQUAL(advance_time(1s), 0u);
  CAF_CHECK_EQUAL(stats().retries_flush, 0u);
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
}

CAF_TEST(a retry rebuilds the batch so a newer set wins) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->write_outcomes.push_back(busy_error());
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK(!set("peer-a", "2-0")); // arrives during the backoff
  CAF_CHECK(!set("peer-b", "1-0"));
  advance_time(10ms);
  drain();
  CAF_CHECK_EQUAL(r.value(), 2u);
  CAF_REQUIRE_EQUAL(script->batches.size(), 2u);
  CAF_CHECK_EQUAL(script->batches[1].ops[0].stream_id, "2-0");
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "2-0");
  CAF_CHECK_EQUAL(dirty_count(), 0u);
}

CAF_TEST(a delete during a pending retry is never resurrected) {
  CAF_CHECK(!set("peer-a", "1-0"));
  CAF_CHECK(!set("peer-b", "1-0"));
  script->write_outcomes.push_back(busy_error());
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  auto d = send<bool>(delete_atom_v, std::string{"peer-a"});
  drain();
  CAF_CHECK(!d.arrived()); // waits for a commit
  advance_time(10ms);
  drain();
  CAF_CHECK(r.arrived());
  CAF_CHECK_EQUAL(d.value(), true);
  CAF_CHECK_EQUAL(script->disk.count("peer-a"), 0u);
  CAF_CHECK_EQUAL(script->disk.at("peer-b"), "1-0");
  for (auto& batch : script->batches)
    if (&batch != &script->batches.front())
      for (auto& op : batch.ops)
        CAF_CHECK(op.peer != "peer-a" || op.erase);
  CAF_CHECK(!get("peer-a").found);
}

CAF_TEST(a delete retried while busy counts under cursor_delete) {
  CAF_CHECK(!set("peer-a", "1-0"));
  ask<uint64_t>(flush_atom_v).value();
  script->write_outcomes.push_back(busy_error());
  auto d = send<bool>(delete_atom_v, std::string{"peer-a"});
  drain();
  advance_time(10ms);
  drain();
  CAF_CHECK_EQUAL(d.value(), true);
  CAF_CHECK_EQUAL(stats().retries_delete, 1u);
  CAF_CHECK_EQUAL(stats().retries_flush, 0u);
}

CAF_TEST(forged or stale retry messages do nothing) {
  CAF_CHECK(!set("peer-a", "1-0"));
  // No retry pending: a retry message must not start a write.
  for (uint64_t token : {uint64_t{0}, uint64_t{1}, uint64_t{42}, UINT64_MAX})
    caf::anon_send(store, retry_atom_v, token);
  drain();
  CAF_CHECK(script->batches.empty());
  // A retry pending: a wrong token must not bring it forward.
  script->write_outcomes.push_back(busy_error());
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  for (uint64_t token : {uint64_t{0}, uint64_t{1}, uint64_t{42}})
    caf::anon_send(store, retry_atom_v, token);
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 1u);
  CAF_CHECK(!r.arrived());
  advance_time(10ms);
  drain();
  CAF_CHECK_EQUAL(r.value(), 1u);
  // Forged ticks do not flush either.
  CAF_CHECK(!set("peer-a", "2-0"));
  caf::anon_send(store, tick_atom_v, uint64_t{7});
  drain();
  CAF_CHECK_EQUAL(script->batches.size(), 2u);
  CAF_CHECK_EQUAL(dirty_count(), 1u);
}

CAF_TEST(get and set are answered while a write is held by the disk) {
  CAF_CHECK(!set("peer-a", "1-0"));
  script->hold_writes = true;
  auto r = send<uint64_t>(flush_atom_v);
  drain();
  CAF_CHECK_EQUAL(script->held.size(), 1u);
  CAF_CHECK(!set("peer-a", "2-0"));
  CAF_CHECK_EQUAL(get("peer-a").stream_id, "2-0");
  CAF_CHECK(!r.arrived());
  script->hold_writes = false;
  caf::anon_send(caf::actor_cast<test::mock_writer_actor>(writer),
                 test::release_atom_v);
  drain();
  CAF_CHECK_EQUAL(r.value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "1-0");
  // The set during the write stays dirty and lands in the next flush.
  CAF_CHECK_EQUAL(dirty_count(), 1u);
  CAF_CHECK(!get("peer-a").durable);
  CAF_CHECK_EQUAL(ask<uint64_t>(flush_atom_v).value(), 1u);
  CAF_CHECK_EQUAL(script->disk.at("peer-a"), "2-0");
}

CAF_TEST(a busy checkpoint is retried and an incomplete one is reported) {
  for (int i = 0; i < 5; ++i)
    script->checkpoint_outcomes.push_back(checkpoint_info{true, 10, 4});
  auto r = send<checkpoint_info>(checkpoint_atom_v);
  drain();
  for (auto delay : {10ms, 20ms, 40ms, 80ms}) {
    CAF_CHECK(!r.arrived());
    advance_time(delay);
    drain();
  }
  CAF_CHECK_EQUAL(script->checkpoints, 5u);
  CAF_CHECK(is(r.error(), errc::checkpoint_incomplete));
  CAF_CHECK(render(r.error()).find("4 of 10") != std::string::npos);
  CAF_CHECK_EQUAL(stats().retries_checkpoint, 4u);
  CAF_CHECK_EQUAL(stats().checkpoint_errors, 1u);
  // Incomplete once, then complete.
  script->checkpoint_outcomes.push_back(checkpoint_info{false, 10, 6});
  auto r2 = send<checkpoint_info>(checkpoint_atom_v);
  drain();
  advance_time(10ms);
  drain();
  CAF_CHECK(r2.value().complete());
}

CAF_TEST(a failing checkpoint is not retried) {
  script->checkpoint_outcomes.push_back(
      test::storage_error(10, "disk I/O error"));
  auto r = send<checkpoint_info>(checkpoint_atom_v);
  drain();
  CAF_CHECK(is(r.error(), errc::storage_error));
  CAF_CHECK_EQUAL(script->checkpoints, 1u);
  CAF_CHECK_EQUAL(advance_time(1s), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
