// The shutdown sequence on its own, without an actor: a scripted port counts
// the final flushes and writer closes it is asked for, and the tests play
// their outcomes. Every path of shutdown_sequence.hpp: close, a second close,
// close after close and during a stop, a failed final flush (the store stays
// open), exit in every phase, a second exit, events nobody waits for, and
// outcomes that arrive before the call that started them returns.

#define CAF_SUITE shutdown_sequence

#include "shutdown_sequence.hpp"

#include "test.hpp"

#include <optional>

using namespace cursor;

namespace {

struct port : shutdown_port {
  shutdown_sequence* seq = nullptr;
  int flushes = 0;
  int writer_closes = 0;
  int closed = 0;
  std::vector<caf::error> unpersisted;
  std::vector<caf::error> stops;
  size_t pending = 3;
  // When set, the outcome arrives before start_... returns (nothing dirty;
  // the writer gone).
  std::optional<caf::error> flush_at_once;
  std::optional<caf::error> close_at_once;
  // What stop() does to the sequence: the owner fails every waiter, the
  // final flush's included.
  bool stop_fails_flush = false;

  void start_final_flush() override {
    ++flushes;
    if (flush_at_once)
      seq->final_flush_done(*flush_at_once, 0);
  }
  void start_writer_close() override {
    ++writer_closes;
    if (close_at_once)
      seq->writer_closed(*close_at_once);
  }
  void report_unpersisted(const caf::error& err) override {
    unpersisted.push_back(err);
  }
  size_t pending_changes() const override { return pending; }
  void on_closed() override { ++closed; }
  void stop(const caf::error& reason) override {
    stops.push_back(reason);
    if (stop_fails_flush)
      seq->final_flush_done(caf::make_error(errc::stopped, "stopped"), 0);
  }
};

using outcome = test::heard;

struct fixture {
  port p;
  shutdown_sequence seq{p};

  fixture() { p.seq = &seq; }

  std::shared_ptr<outcome> close() {
    auto [o, fn] = test::listener();
    seq.close(fn);
    return o;
  }

  caf::error failure() {
    return caf::make_error(errc::storage_error, "disk I/O error");
  }

  caf::error shutdown_reason() {
    return caf::make_error(caf::exit_reason::user_shutdown);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(shutdown_sequence_tests, fixture)

CAF_TEST(close flushes then closes the writer then answers) {
  CAF_CHECK(!seq.refuses_writes());
  auto o = close();
  CAF_CHECK(seq.phase() == lifecycle::closing);
  CAF_CHECK(seq.refuses_writes());
  CAF_CHECK_EQUAL(p.flushes, 1);
  CAF_CHECK_EQUAL(p.writer_closes, 0);
  seq.final_flush_done(caf::none, 4);
  CAF_CHECK_EQUAL(p.writer_closes, 1);
  CAF_CHECK_EQUAL(o->calls, 0); // not before the writer closed
  seq.writer_closed(caf::none);
  CAF_CHECK(seq.phase() == lifecycle::closed);
  CAF_CHECK(seq.refuses_writes());
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK(!o->err);
  CAF_CHECK_EQUAL(o->rows, 4u);
  CAF_CHECK_EQUAL(p.closed, 1);
  CAF_CHECK(p.stops.empty());
}

CAF_TEST(a second close joins the first with the same answer) {
  auto o1 = close();
  auto o2 = close();
  CAF_CHECK_EQUAL(seq.closers(), 2u);
  seq.final_flush_done(caf::none, 2);
  seq.writer_closed(caf::none);
  CAF_CHECK_EQUAL(p.flushes, 1);
  CAF_CHECK_EQUAL(p.writer_closes, 1);
  for (auto& o : {o1, o2}) {
    CAF_CHECK_EQUAL(o->calls, 1);
    CAF_CHECK_EQUAL(o->rows, 2u);
  }
}

CAF_TEST(close after close answers zero and during a stop answers closed) {
  close();
  seq.final_flush_done(caf::none, 1);
  seq.writer_closed(caf::none);
  auto again = close();
  CAF_CHECK_EQUAL(again->calls, 1);
  CAF_CHECK(!again->err);
  CAF_CHECK_EQUAL(again->rows, 0u);
  CAF_CHECK_EQUAL(p.flushes, 1);
  fixture stopping;
  stopping.seq.exit(shutdown_reason());
  auto refused = stopping.close();
  CAF_CHECK_EQUAL(refused->calls, 1);
  CAF_CHECK(is(refused->err, errc::closed));
  CAF_CHECK_EQUAL(stopping.p.flushes, 1); // only the exit's
}

CAF_TEST(a failed final flush of close keeps the store open) {
  auto o = close();
  seq.final_flush_done(failure(), 0);
  CAF_CHECK(seq.phase() == lifecycle::open);
  CAF_CHECK(!seq.refuses_writes());
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK(is(o->err, errc::storage_error));
  CAF_CHECK_EQUAL(p.writer_closes, 0);
  CAF_CHECK(p.unpersisted.empty()); // the data is still there
  // A later close starts over.
  auto o2 = close();
  CAF_CHECK_EQUAL(p.flushes, 2);
  seq.final_flush_done(caf::none, 1);
  seq.writer_closed(caf::none);
  CAF_CHECK_EQUAL(o2->rows, 1u);
}

CAF_TEST(a failed writer close still closes and answers the error) {
  auto o = close();
  seq.final_flush_done(caf::none, 1);
  seq.writer_closed(failure());
  CAF_CHECK(seq.phase() == lifecycle::closed);
  CAF_CHECK(is(o->err, errc::storage_error));
  CAF_CHECK_EQUAL(p.closed, 0); // no "closed" line for a failed close
}

CAF_TEST(an exit flushes closes the writer and stops once) {
  seq.exit(shutdown_reason());
  CAF_CHECK(seq.phase() == lifecycle::stopping);
  CAF_CHECK(seq.refuses_writes());
  CAF_CHECK_EQUAL(p.flushes, 1);
  seq.final_flush_done(caf::none, 3);
  CAF_CHECK_EQUAL(p.writer_closes, 1);
  CAF_CHECK(p.stops.empty());
  seq.writer_closed(caf::none);
  CAF_REQUIRE_EQUAL(p.stops.size(), 1u);
  CAF_CHECK(p.stops[0] == caf::exit_reason::user_shutdown);
  // Nothing after the stop stops again.
  seq.exit(shutdown_reason());
  seq.writer_closed(caf::none);
  CAF_CHECK_EQUAL(p.stops.size(), 1u);
}

CAF_TEST(an exit whose final flush fails reports it and still closes) {
  seq.exit(shutdown_reason());
  seq.final_flush_done(failure(), 0);
  CAF_REQUIRE_EQUAL(p.unpersisted.size(), 1u);
  CAF_CHECK(is(p.unpersisted[0], errc::storage_error));
  CAF_CHECK_EQUAL(p.writer_closes, 1);
  seq.writer_closed(caf::none);
  CAF_CHECK_EQUAL(p.stops.size(), 1u);
}

CAF_TEST(an exit during close lets it finish and then stops) {
  auto o = close();
  seq.exit(shutdown_reason());
  CAF_CHECK(seq.phase() == lifecycle::stopping);
  CAF_CHECK_EQUAL(p.flushes, 1); // joins the running sequence
  seq.final_flush_done(caf::none, 2);
  seq.writer_closed(caf::none);
  CAF_CHECK_EQUAL(p.writer_closes, 1);
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK_EQUAL(o->rows, 2u);
  CAF_CHECK_EQUAL(p.stops.size(), 1u);
}

CAF_TEST(an exit during close whose flush fails answers close and stops) {
  auto o = close();
  seq.exit(shutdown_reason());
  seq.final_flush_done(failure(), 0);
  CAF_CHECK(is(o->err, errc::storage_error));
  CAF_CHECK_EQUAL(p.unpersisted.size(), 1u);
  CAF_CHECK_EQUAL(p.writer_closes, 1);
  seq.writer_closed(caf::none);
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK_EQUAL(p.stops.size(), 1u);
}

CAF_TEST(an exit after close stops at once) {
  close();
  seq.final_flush_done(caf::none, 0);
  seq.writer_closed(caf::none);
  seq.exit(shutdown_reason());
  CAF_CHECK(seq.phase() == lifecycle::stopping);
  CAF_CHECK_EQUAL(p.stops.size(), 1u);
  CAF_CHECK_EQUAL(p.flushes, 1);
  CAF_CHECK_EQUAL(p.writer_closes, 1);
}

CAF_TEST(a second exit stops without waiting for the final flush) {
  seq.exit(shutdown_reason());
  seq.exit(caf::make_error(caf::exit_reason::kill));
  CAF_REQUIRE_EQUAL(p.stops.size(), 1u);
  CAF_CHECK(p.stops[0] == caf::exit_reason::user_shutdown); // the first
  // The owner's stop fails the final flush: it still logs what is lost and
  // closes the writer, without stopping a second time.
  seq.final_flush_done(caf::make_error(errc::stopped, "stopped"), 0);
  CAF_CHECK_EQUAL(p.unpersisted.size(), 1u);
  seq.writer_closed(caf::none);
  CAF_CHECK_EQUAL(p.stops.size(), 1u);
}

CAF_TEST(the stop may fail the final flush from inside stop) {
  p.stop_fails_flush = true;
  seq.exit(shutdown_reason());
  seq.exit(shutdown_reason());
  CAF_CHECK_EQUAL(p.stops.size(), 1u);
  CAF_CHECK_EQUAL(p.unpersisted.size(), 1u);
  CAF_CHECK_EQUAL(p.writer_closes, 1);
}

CAF_TEST(events nobody waits for do nothing) {
  seq.final_flush_done(failure(), 0);
  seq.writer_closed(failure());
  CAF_CHECK(seq.phase() == lifecycle::open);
  CAF_CHECK(p.unpersisted.empty());
  CAF_CHECK_EQUAL(p.writer_closes, 0);
  auto o = close();
  seq.writer_closed(caf::none); // the flush runs: no writer close asked yet
  CAF_CHECK(seq.phase() == lifecycle::closing);
  CAF_CHECK_EQUAL(o->calls, 0);
  seq.final_flush_done(caf::none, 1);
  seq.final_flush_done(failure(), 0); // a duplicate
  CAF_CHECK(seq.phase() == lifecycle::closing);
  seq.writer_closed(caf::none);
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK(!o->err);
}

CAF_TEST(outcomes that arrive at once complete the sequence inside close) {
  p.flush_at_once = caf::error{};
  p.close_at_once = caf::make_error(errc::writer_down, "gone");
  auto o = close();
  CAF_CHECK(seq.phase() == lifecycle::closed);
  CAF_CHECK_EQUAL(o->calls, 1);
  CAF_CHECK(is(o->err, errc::writer_down));
  fixture stop;
  stop.p.flush_at_once = caf::error{};
  stop.p.close_at_once = caf::error{};
  stop.seq.exit(stop.shutdown_reason());
  CAF_CHECK_EQUAL(stop.p.stops.size(), 1u);
}

CAF_TEST(fail_closers answers every waiting closer once) {
  auto o1 = close();
  auto o2 = close();
  seq.fail_closers(caf::make_error(errc::writer_down, "gone"));
  CAF_CHECK(is(o1->err, errc::writer_down));
  CAF_CHECK(is(o2->err, errc::writer_down));
  CAF_CHECK_EQUAL(seq.closers(), 0u);
  // The sequence goes on and ends without answering them again.
  seq.final_flush_done(caf::make_error(errc::writer_down, "gone"), 0);
  CAF_CHECK(seq.phase() == lifecycle::open);
  CAF_CHECK_EQUAL(o1->calls, 1);
  CAF_CHECK_EQUAL(o2->calls, 1);
}

CAF_TEST_FIXTURE_SCOPE_END()
