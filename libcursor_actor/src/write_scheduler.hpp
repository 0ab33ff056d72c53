#pragma once

// The write scheduler: when the dirty set goes to the writer, and who hears
// how that ended. A plain class (no actor): the cursor actor owns one and
// feeds it events (a request, the writer's reply, a retry message); it acts
// through a `write_port`, which the actor implements and the unit suite
// (tests/unit/write_scheduler.cpp) scripts.
//
// A *write round* is one transaction of every change dirty when it starts,
// possibly over several attempts (busy, retried with backoff). Its states:
//
// clang-format off
//   idle ──request / threshold / tick, table dirty──> in flight (token t)
//   in flight ──busy, attempts left──> waiting retry (token r)
//   waiting retry ──retry r──> in flight (token t')
//   in flight ──committed──> idle, or the next round at once (next waiters)
//   in flight ──failed (not busy, or busy with no attempt left)──> idle
//   any ──fail_all / writer_lost──> idle
// clang-format on
//
// Invariants:
// - at most one round runs; it has either one attempt in flight or one
//   retry pending, each under a fresh token (`retrying_operation`); a reply
//   or a retry message with any other token changes nothing;
// - every waiter is called exactly once: by the round it waits for
//   (`current`), by the round after it (`next`: it arrived while a round ran,
//   whose snapshot may miss its data), with the committing round's rows when
//   that round left the table clean, with the error of a failed round (both
//   lists: the next waiters' data was part of what failed), or by fail_all;
// - `next` is empty while no round runs;
// - no round starts while the writer is gone or the table is clean; a
//   request then is answered at once (writer_down, or 0 rows);
// - the dirty threshold starts a round only when none runs, and not within
//   `retry.max_delay` after a failed round (a committed round ends that
//   pause); explicit requests, deletes, the timer and shutdown are never
//   held back;
// - a round started by a delete counts its retries under `retries_delete`,
//   also when the delete joined a running round (`next_trigger`).
//
// How the batch reaches the writer is the port's business (send_attempt):
// the cursor actor freezes the dirty set and hands it over in bounded pieces
// over several of its messages (issue 18), checking `is_current(token)`
// before each piece so that a failed or abandoned round stops sending; sets,
// deletes and gets interleave with the pieces. The scheduler only needs the
// writer's answer back through committed/failed with the attempt's token,
// and the snapshot version the attempt covers (returned by send_attempt) for
// the commit (`commit` may clear the marks in slices later: what matters is
// that the table reads as committed once it returns).

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include "cursor_actor/options.hpp"
#include "cursor_actor/stats.hpp"
#include "retrying_operation.hpp"

namespace cursor {

/// Called once when the write round a requester waits for ends: with an
/// empty error and the rows the committing transaction wrote, or with the
/// error.
using write_waiter = std::function<void(const caf::error&, uint64_t)>;

/// What started a write round; names the operation and its retry counter.
enum class write_trigger { flush, erase };

/// What the write scheduler needs from its owner.
class write_port {
public:
  virtual ~write_port() = default;

  /// Whether the writer is alive: no round starts without one.
  virtual bool writer_alive() const = 0;

  /// Whether nothing is dirty, and how many peers are.
  virtual bool clean() const = 0;
  virtual size_t dirty_count() const = 0;

  /// Hands every change dirty now to the writer as one transaction under
  /// `token`; the writer's answer must come back through
  /// write_scheduler::committed or failed with that token. Returns the
  /// snapshot version the attempt covers (passed to `commit`).
  virtual uint64_t send_attempt(uint64_t token) = 0;

  /// The attempt covering `version` committed: clear what it covered.
  virtual void commit(uint64_t version) = 0;

  /// Sends the retry message carrying `token` to the owner after `delay`.
  virtual void schedule_retry(caf::timespan delay, uint64_t token) = 0;

  /// A fresh non-zero random token.
  virtual uint64_t new_token() = 0;

  /// The owner's clock (the dirty threshold's pause).
  virtual caf::actor_clock::time_point now() const = 0;

  /// Wall-clock Unix milliseconds (`last_flush_unix_ms`).
  virtual int64_t unix_ms_now() const = 0;
};

class write_scheduler {
public:
  /// `port`, `opts` (retry policy, dirty threshold; read at each use) and
  /// `counters` (flushes, rows, errors, retries, degraded, last error) must
  /// outlive the scheduler.
  write_scheduler(write_port& port, const cursor_options& opts,
                  cursor_stats& counters);

  write_scheduler(const write_scheduler&) = delete;
  write_scheduler& operator=(const write_scheduler&) = delete;

  /// Asks for every change dirty now to be committed; `done` (may be empty)
  /// hears the outcome once, possibly before this returns.
  void request(write_waiter done, write_trigger trigger);

  /// After a change of the table: starts a round with nobody waiting when
  /// the dirty threshold is reached (see the invariants for when not).
  void changed();

  /// The automatic flush timer: starts a round with nobody waiting when
  /// none runs and something is dirty.
  void tick();

  /// The writer committed the attempt `token` with `rows` rows.
  void committed(uint64_t token, uint64_t rows);

  /// The attempt `token` failed with `err` (of the `cursor` category:
  /// classify other errors first); busy ones are retried while the policy
  /// allows.
  void failed(uint64_t token, caf::error err);

  /// The retry message `token`: sends the next attempt if it is the pending
  /// retry. Returns whether it was.
  bool retry(uint64_t token);

  /// The writer is gone: counts the failure (degraded, last error, and a
  /// flush error if a round ran or requests waited) and answers every
  /// waiter with `err`.
  void writer_lost(const caf::error& err);

  /// Answers every waiter with `err` and forgets the round (the actor
  /// stops).
  void fail_all(const caf::error& err);

  /// Whether a round runs.
  bool running() const { return round_.has_value(); }

  /// Whether `token` is the attempt in flight.
  bool is_current(uint64_t token) const {
    return round_ && round_->op.is_reply(token);
  }

  /// The number of requests waiting (current and next round).
  size_t waiting() const { return current_.size() + next_.size(); }

private:
  struct round {
    round(write_trigger trigger, cursor_stats& counters);
    retrying_operation op;
    write_trigger trigger;
    // The snapshot version the attempt in flight carries.
    uint64_t version = 0;
  };

  void start_round(write_trigger trigger);
  void send_attempt();
  void after_round(uint64_t last_rows);

  write_port& port_;
  const cursor_options& opts_;
  cursor_stats& counters_;
  std::optional<round> round_;
  // Answered when `round_` ends.
  std::vector<write_waiter> current_;
  // Arrived during `round_`: they need the round after it.
  std::vector<write_waiter> next_;
  write_trigger next_trigger_ = write_trigger::flush;
  // The dirty threshold starts no round before this time.
  caf::actor_clock::time_point threshold_paused_until_;
};

} // namespace cursor
