// The write scheduler on its own, without an actor: a scripted port records
// what it sends to the "writer" and which retries it schedules, a real
// cursor_table holds the dirty set, and the tests play the writer's replies.
// Every invariant of write_scheduler.hpp is driven here; a randomized test
// checks that every waiter is answered exactly once, with the right outcome,
// whatever the order of events.

#define CAF_SUITE write_scheduler

#include "write_scheduler.hpp"
#include "cursor_table.hpp"

#include "test.hpp"

#include <map>
#include <random>

using namespace cursor;
using namespace std::chrono_literals;

namespace {

struct attempt {
  uint64_t token;
  write_batch batch;
};

// The scheduler's owner, scripted.
struct port : write_port {
  cursor_table table;
  bool alive = true;
  std::vector<attempt> attempts;
  std::vector<std::pair<caf::timespan, uint64_t>> retries;
  caf::actor_clock::time_point clock{};
  uint64_t next_token = 100;

  bool writer_alive() const override { return alive; }
  bool clean() const override { return table.clean(); }
  size_t dirty_count() const override { return table.dirty_count(); }
  uint64_t send_attempt(uint64_t token) override {
    auto snap = table.snapshot();
    attempts.push_back(attempt{token, std::move(snap.batch)});
    return snap.version;
  }
  void commit(uint64_t version) override { table.commit(version); }
  void schedule_retry(caf::timespan delay, uint64_t token) override {
    retries.emplace_back(delay, token);
  }
  uint64_t new_token() override { return ++next_token; }
  caf::actor_clock::time_point now() const override { return clock; }
  int64_t unix_ms_now() const override { return 1234; }
};

using outcome = test::heard;

struct fixture {
  port p;
  cursor_options opts;
  cursor_stats counters;
  write_scheduler s{p, opts, counters};

  void set(const std::string& peer, uint64_t ms) {
    p.table.set(peer, stream_id{ms, 0}, 1, true);
  }

  std::shared_ptr<outcome> request(write_trigger t = write_trigger::flush) {
    auto [o, fn] = test::listener();
    s.request(fn, t);
    return o;
  }

  const attempt& last() {
    if (p.attempts.empty())
      CAF_FAIL("no attempt was sent");
    return p.attempts.back();
  }

  // The writer commits the last attempt.
  void commit_last() {
    auto& a = last();
    s.committed(a.token, a.batch.ops.size());
  }
};

caf::error busy() {
  return caf::make_error(errc::busy, "database is locked");
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(write_scheduler_tests, fixture)

CAF_TEST(a request on a clean table is answered at once and sends nothing) {
  auto o = request();
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK(!o->err);
  CAF_CHECK_EQUAL(o->rows, 0u);
  CAF_CHECK(p.attempts.empty());
  CAF_CHECK(!s.running());
}

CAF_TEST(a request without a writer is answered writer_down at once) {
  set("a", 1);
  p.alive = false;
  auto o = request();
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK(is(o->err, errc::writer_down));
  CAF_CHECK(p.attempts.empty());
  // The threshold and the timer start nothing either.
  opts.dirty_threshold = 1;
  s.changed();
  s.tick();
  CAF_CHECK(p.attempts.empty());
}

CAF_TEST(requests arriving together share one round answered after commit) {
  set("b", 2);
  set("a", 1);
  auto o1 = request();
  CAF_REQUIRE_EQUAL(p.attempts.size(), 1u);
  CAF_CHECK(s.running());
  // A second request during the round waits for the next one.
  auto o2 = request();
  CAF_CHECK_EQUAL(p.attempts.size(), 1u);
  CAF_CHECK_EQUAL(s.waiting(), 2u);
  CAF_CHECK_EQUAL(o1->calls, 0);
  auto& a = last();
  CAF_REQUIRE_EQUAL(a.batch.ops.size(), 2u);
  CAF_CHECK_EQUAL(a.batch.ops[0].peer, "a"); // sorted
  commit_last();
  CAF_CHECK_EQUAL(o1->calls, 1);
  CAF_CHECK(!o1->err);
  CAF_CHECK_EQUAL(o1->rows, 2u);
  // Nothing changed since the snapshot: the waiter of the next round is
  // answered by this one, without a second transaction.
  CAF_CHECK_EQUAL(o2->calls, 1);
  CAF_CHECK_EQUAL(o2->rows, 2u);
  CAF_CHECK_EQUAL(p.attempts.size(), 1u);
  CAF_CHECK(p.table.clean());
  CAF_CHECK(!s.running());
  CAF_CHECK_EQUAL(counters.flushes, 1u);
  CAF_CHECK_EQUAL(counters.rows_written, 2u);
  CAF_CHECK_EQUAL(counters.last_flush_unix_ms, 1234);
}

CAF_TEST(a request during a round is answered by the next round) {
  set("a", 1);
  auto o1 = request();
  set("b", 2); // after the snapshot
  auto o2 = request();
  commit_last();
  CAF_CHECK_EQUAL(o1->calls, 1);
  CAF_CHECK_EQUAL(o2->calls, 0); // its data was not in that round
  CAF_REQUIRE_EQUAL(p.attempts.size(), 2u);
  CAF_REQUIRE_EQUAL(last().batch.ops.size(), 1u);
  CAF_CHECK_EQUAL(last().batch.ops[0].peer, "b");
  commit_last();
  CAF_CHECK_EQUAL(o2->calls, 1);
  CAF_CHECK_EQUAL(o2->rows, 1u);
  CAF_CHECK(p.table.clean());
}

CAF_TEST(replies and retries with another token change nothing) {
  set("a", 1);
  auto o = request();
  auto token = last().token;
  for (uint64_t t : {uint64_t{0}, token + 1, token - 1}) {
    s.committed(t, 1);
    s.failed(t, caf::make_error(errc::storage_error, "forged"));
    CAF_CHECK(!s.retry(t));
  }
  CAF_CHECK(!s.retry(token)); // the attempt is in flight: no retry pending
  CAF_CHECK_EQUAL(o->calls, 0);
  CAF_CHECK(s.is_current(token));
  CAF_CHECK_EQUAL(p.attempts.size(), 1u);
  s.committed(token, 1);
  CAF_CHECK_EQUAL(o->calls, 1);
  // A late duplicate of the reply is stale now.
  s.committed(token, 1);
  s.failed(token, busy());
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK_EQUAL(counters.flushes, 1u);
}

CAF_TEST(busy attempts are retried with backoff rebuilt from the table) {
  set("a", 1);
  auto o = request();
  s.failed(last().token, busy());
  CAF_REQUIRE_EQUAL(p.retries.size(), 1u);
  CAF_CHECK_EQUAL(p.retries[0].first, caf::timespan{10ms});
  CAF_CHECK_EQUAL(o->calls, 0);
  CAF_CHECK_EQUAL(counters.retries_flush, 1u);
  // The stale attempt's token no longer counts; the retry's does once.
  auto stale = last().token;
  set("a", 5); // during the backoff: the retry carries the newer value
  CAF_CHECK(s.retry(p.retries[0].second));
  CAF_CHECK(!s.retry(p.retries[0].second));
  s.committed(stale, 1);
  CAF_CHECK_EQUAL(o->calls, 0);
  CAF_REQUIRE_EQUAL(p.attempts.size(), 2u);
  CAF_CHECK_EQUAL(last().batch.ops[0].stream_id, "5-0");
  s.failed(last().token, busy());
  CAF_REQUIRE_EQUAL(p.retries.size(), 2u);
  CAF_CHECK_EQUAL(p.retries[1].first, caf::timespan{20ms});
  CAF_CHECK(s.retry(p.retries[1].second));
  commit_last();
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK(!o->err);
  CAF_CHECK_EQUAL(counters.retries_flush, 2u);
  CAF_CHECK(p.table.clean());
}

CAF_TEST(busy after the last attempt fails every waiter and keeps the data) {
  opts.retry.max_attempts = 3;
  set("a", 1);
  auto o1 = request();
  set("b", 2);
  auto o2 = request(); // waits for the next round
  for (int i = 0; i < 2; ++i) {
    s.failed(last().token, busy());
    CAF_REQUIRE(s.retry(p.retries.back().second));
  }
  s.failed(last().token, busy());
  CAF_CHECK_EQUAL(p.attempts.size(), 3u);
  CAF_CHECK_EQUAL(p.retries.size(), 2u);
  for (auto& o : {o1, o2}) {
    CAF_CHECK_EQUAL(o->calls, 1);
    CAF_CHECK(is(o->err, errc::busy));
    CAF_CHECK(render(o->err).find("gave up after 3 attempts")
              != std::string::npos);
  }
  CAF_CHECK(!s.running());
  CAF_CHECK_EQUAL(s.waiting(), 0u);
  CAF_CHECK_EQUAL(p.table.dirty_count(), 2u);
  CAF_CHECK_EQUAL(counters.flush_errors, 1u);
  CAF_CHECK(counters.degraded);
  CAF_CHECK(!counters.last_error.empty());
  // The next request starts over, and a commit clears the degraded flag.
  auto o3 = request();
  commit_last();
  CAF_CHECK_EQUAL(o3->rows, 2u);
  CAF_CHECK(!counters.degraded);
  CAF_CHECK(counters.last_error.empty());
}

CAF_TEST(other failures are not retried and reach every waiter) {
  set("a", 1);
  auto o1 = request();
  auto o2 = request();
  s.failed(last().token, caf::make_error(errc::storage_error, "disk full"));
  CAF_CHECK(p.retries.empty());
  CAF_CHECK(is(o1->err, errc::storage_error));
  CAF_CHECK(is(o2->err, errc::storage_error));
  CAF_CHECK_EQUAL(o1->calls + o2->calls, 2);
  CAF_CHECK_EQUAL(p.table.dirty_count(), 1u);
}

CAF_TEST(a delete counts its retries under cursor_delete also when it joins) {
  set("a", 1);
  request(write_trigger::erase);
  s.failed(last().token, busy());
  CAF_CHECK_EQUAL(counters.retries_delete, 1u);
  CAF_CHECK_EQUAL(counters.retries_flush, 0u);
  CAF_REQUIRE(s.retry(p.retries.back().second));
  // A delete joining the running flush round makes the next round a delete.
  set("b", 2);
  commit_last();
  set("c", 3);
  request(write_trigger::flush);
  request(write_trigger::erase);
  set("d", 4); // after the running round's snapshot: a next round is due
  commit_last();
  CAF_REQUIRE_EQUAL(p.attempts.size(), 4u);
  s.failed(last().token, busy());
  CAF_CHECK_EQUAL(counters.retries_delete, 2u);
  CAF_CHECK_EQUAL(counters.retries_flush, 0u);
}

CAF_TEST(the dirty threshold starts a round and pauses after a failure) {
  opts.dirty_threshold = 2;
  set("a", 1);
  s.changed();
  CAF_CHECK(p.attempts.empty());
  set("b", 2);
  s.changed();
  CAF_REQUIRE_EQUAL(p.attempts.size(), 1u);
  CAF_CHECK_EQUAL(s.waiting(), 0u); // nobody waits on a threshold round
  // Not during a round.
  set("c", 3);
  set("d", 4);
  s.changed();
  CAF_CHECK_EQUAL(p.attempts.size(), 1u);
  // The round fails: the threshold waits one max_delay.
  s.failed(last().token, caf::make_error(errc::storage_error, "I/O"));
  s.changed();
  CAF_CHECK_EQUAL(p.attempts.size(), 1u);
  p.clock += opts.retry.max_delay - 1ms;
  s.changed();
  CAF_CHECK_EQUAL(p.attempts.size(), 1u);
  // An explicit request is not held back, and its commit ends the pause.
  auto o = request();
  CAF_CHECK_EQUAL(p.attempts.size(), 2u);
  commit_last();
  CAF_CHECK_EQUAL(o->calls, 1);
  set("e", 5);
  set("f", 6);
  s.changed();
  CAF_CHECK_EQUAL(p.attempts.size(), 3u);
  commit_last();
  // After a failure, once the pause is over, the threshold writes again.
  set("g", 7);
  set("h", 8);
  s.changed();
  s.failed(last().token, caf::make_error(errc::storage_error, "I/O"));
  p.clock += opts.retry.max_delay;
  s.changed();
  CAF_CHECK_EQUAL(p.attempts.size(), 5u);
}

CAF_TEST(a committed round that leaves the threshold reached starts another) {
  opts.dirty_threshold = 1;
  set("a", 1);
  s.changed();
  set("b", 2); // dirty after the snapshot
  commit_last();
  CAF_CHECK_EQUAL(p.attempts.size(), 2u);
}

CAF_TEST(the timer starts a round only when idle and dirty) {
  s.tick();
  CAF_CHECK(p.attempts.empty());
  set("a", 1);
  s.tick();
  CAF_CHECK_EQUAL(p.attempts.size(), 1u);
  s.tick();
  CAF_CHECK_EQUAL(p.attempts.size(), 1u);
}

CAF_TEST(a lost writer fails every waiter once and counts a failed round) {
  set("a", 1);
  auto o1 = request();
  auto o2 = request();
  auto token = last().token;
  s.writer_lost(caf::make_error(errc::writer_down, "gone"));
  CAF_CHECK(is(o1->err, errc::writer_down));
  CAF_CHECK(is(o2->err, errc::writer_down));
  CAF_CHECK_EQUAL(counters.flush_errors, 1u);
  CAF_CHECK(counters.degraded);
  s.committed(token, 1); // a reply after the loss is stale
  CAF_CHECK_EQUAL(o1->calls, 1);
  CAF_CHECK_EQUAL(counters.flushes, 0u);
  // Idle: the loss degrades the store but counts no failed round.
  fixture idle;
  idle.s.writer_lost(caf::make_error(errc::writer_down, "gone"));
  CAF_CHECK_EQUAL(idle.counters.flush_errors, 0u);
  CAF_CHECK(idle.counters.degraded);
}

CAF_TEST(fail_all answers a waiting retry and its queue) {
  set("a", 1);
  auto o1 = request();
  auto o2 = request();
  s.failed(last().token, busy());
  auto retry = p.retries.back().second;
  s.fail_all(caf::make_error(errc::stopped, "stop"));
  CAF_CHECK(is(o1->err, errc::stopped));
  CAF_CHECK(is(o2->err, errc::stopped));
  CAF_CHECK(!s.retry(retry));
  CAF_CHECK_EQUAL(p.attempts.size(), 1u);
  CAF_CHECK(!s.running());
}

CAF_TEST(a waiter may request again from its callback) {
  set("a", 1);
  std::shared_ptr<outcome> again;
  s.request(
      [&](const caf::error&, uint64_t) {
        set("b", 2);
        again = request();
      },
      write_trigger::flush);
  commit_last();
  CAF_REQUIRE(again != nullptr);
  CAF_CHECK_EQUAL(again->calls, 0);
  CAF_REQUIRE_EQUAL(p.attempts.size(), 2u);
  commit_last();
  CAF_CHECK_EQUAL(again->calls, 1);
  CAF_CHECK(p.table.clean());
}

// Random requests, changes, writer replies (commit, busy, error), retries,
// threshold and timer events, against a model of who must be answered how.
// Checked after every step: at most one attempt is outstanding, every waiter
// is answered at most once; at the end (everything committed) every waiter
// was answered exactly once, and a waiter answered with success saw every
// change made before its request committed.
CAF_TEST(random event orders answer every waiter exactly once) {
  size_t answered = 0;
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    fixture f;
    f.opts.retry.max_attempts = 3;
    f.opts.dirty_threshold = 3;
    std::mt19937 rng{seed};
    struct waiter {
      std::shared_ptr<outcome> o;
      // The values the model had when the request was made.
      std::map<std::string, uint64_t> wanted;
      bool checked = false;
    };
    std::vector<waiter> waiters;
    std::map<std::string, uint64_t> model;
    std::map<std::string, std::string> disk;
    uint64_t pending_retry = 0;
    // A waiter answered with success must find what it asked for on disk
    // at that moment.
    // (Plain ifs: hundreds of thousands of checks would flood the log.)
    auto verify = [&] {
      for (auto& w : waiters) {
        if (w.o->calls > 1)
          CAF_FAIL("seed " << seed << ": a waiter was answered twice");
        if (w.checked || w.o->calls == 0)
          continue;
        w.checked = true;
        if (w.o->err)
          continue;
        for (auto& [peer, v] : w.wanted) {
          auto i = disk.find(peer);
          auto on_disk = i == disk.end() ? caf::expected<stream_id>{caf::none}
                                         : stream_id::parse(i->second);
          if (!on_disk || on_disk->ms < v)
            CAF_FAIL("seed " << seed << ": a waiter answered ok before " << peer
                             << " = " << v << " was committed");
        }
      }
    };
    for (int step = 0; step < 300; ++step) {
      switch (rng() % 6) {
        case 0: {
          auto peer = std::string(1, static_cast<char>('a' + rng() % 8));
          auto v = model[peer] + 1;
          model[peer] = v;
          f.set(peer, v);
          f.s.changed();
          break;
        }
        case 1:
          waiters.push_back(
              waiter{f.request(rng() % 4 == 0 ? write_trigger::erase
                                              : write_trigger::flush),
                     model});
          break;
        case 2:
        case 3:
          if (f.s.running() && !f.p.attempts.empty()
              && f.s.is_current(f.last().token)) {
            auto& a = f.last();
            auto r = rng() % 4;
            if (r < 2) {
              for (auto& op : a.batch.ops)
                disk[op.peer] = op.stream_id;
              f.s.committed(a.token, a.batch.ops.size());
            } else if (r == 2) {
              auto before = f.p.retries.size();
              f.s.failed(a.token, busy());
              if (f.p.retries.size() > before)
                pending_retry = f.p.retries.back().second;
            } else {
              f.s.failed(a.token, caf::make_error(errc::storage_error, "x"));
            }
          }
          break;
        case 4:
          if (pending_retry != 0) {
            f.s.retry(pending_retry);
            pending_retry = 0;
          }
          break;
        case 5:
          f.p.clock += 100ms;
          f.s.tick();
          break;
      }
      verify();
    }
    // Let every round end: commit what is in flight, fire pending retries.
    for (int i = 0; i < 100 && (f.s.running() || f.s.waiting() > 0); ++i) {
      if (pending_retry != 0) {
        f.s.retry(pending_retry);
        pending_retry = 0;
      }
      if (f.s.running() && f.s.is_current(f.last().token)) {
        auto& a = f.last();
        for (auto& op : a.batch.ops)
          disk[op.peer] = op.stream_id;
        f.s.committed(a.token, a.batch.ops.size());
      }
      verify();
    }
    CAF_REQUIRE(!f.s.running());
    for (auto& w : waiters)
      if (w.o->calls != 1)
        CAF_FAIL("seed " << seed << ": a waiter was answered " << w.o->calls
                         << " times");
    answered += waiters.size();
  }
  CAF_MESSAGE(answered << " waiters answered exactly once over 200 seeds");
  CAF_CHECK(answered > 1000);
}

CAF_TEST_FIXTURE_SCOPE_END()
