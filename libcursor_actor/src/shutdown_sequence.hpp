#pragma once

// The shutdown sequence: how `close` and an exit message end the store. A
// plain class (no actor): the cursor actor owns one, feeds it the events
// (close, exit, the final flush ended, the writer closed) and lets it act
// through a `shutdown_port`; the unit suite (tests/unit/shutdown_sequence.cpp)
// scripts the port.
//
// The sequence is shared by close and exit: final flush (a write round),
// then the writer's close (TRUNCATE checkpoint, close, the writer ends). The
// lifecycle it moves through (lifecycle.hpp):
//
//   open ──close──> closing ──flush ok, writer closed──> closed
//     ^                │
//     └─final flush────┘ failed: close answers the error, the store stays open
//   open ──exit──> stopping ──flush ended, writer closed──> stop (quit)
//   closing ──exit──> stopping (the running sequence goes on, then quits)
//   closed ──exit──> stop at once
//   stopping ──exit──> stop at once (a second exit does not wait again)
//
// Invariants:
// - the phase changes only along `lifecycle_transition` (a refused
//   transition is logged as a bug and not taken);
// - at most one sequence runs: at most one final flush and one writer close
//   are outstanding, and only while closing or stopping; an event the
//   sequence does not wait for (final_flush_done, writer_closed) does
//   nothing;
// - every closer is called exactly once: with the final flush's error (the
//   store stays open when closing, goes on to close the writer when
//   stopping), with the writer close's outcome and the final flush's rows,
//   or by fail_closers;
// - once stopping, the sequence ends in `shutdown_port::stop` exactly once
//   (after the writer closed, or at once on a second exit).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "lifecycle.hpp"

namespace cursor {

/// What the shutdown sequence needs from its owner.
class shutdown_port {
public:
  virtual ~shutdown_port() = default;

  /// Starts the final flush (a write round); its end comes back through
  /// shutdown_sequence::final_flush_done.
  virtual void start_final_flush() = 0;

  /// Asks the writer to checkpoint and close (at once when it is gone); the
  /// outcome comes back through shutdown_sequence::writer_closed.
  virtual void start_writer_close() = 0;

  /// Logs the changes a failed final flush leaves unpersisted.
  virtual void report_unpersisted(const caf::error& err) = 0;

  /// The number of peers with a change not committed (for the log).
  virtual size_t pending_changes() const = 0;

  /// The store closed (phase `closed`): logs what it closed.
  virtual void on_closed() = 0;

  /// Answers every request still waiting with `stopped` and quits with
  /// `reason`.
  virtual void stop(const caf::error& reason) = 0;
};

class shutdown_sequence {
public:
  /// A `close` requester: called once with an error, or with none and the
  /// rows the final flush wrote.
  using closer = std::function<void(const caf::error&, uint64_t)>;

  /// `port` must outlive the sequence.
  explicit shutdown_sequence(shutdown_port& port);

  shutdown_sequence(const shutdown_sequence&) = delete;
  shutdown_sequence& operator=(const shutdown_sequence&) = delete;

  lifecycle phase() const { return phase_; }

  /// Whether `set`, `delete`, `backup` are refused now.
  bool refuses_writes() const { return cursor::refuses_writes(phase_); }

  /// close: when closed, answers 0 at once; when stopping, `closed`; when
  /// closing, joins the running sequence (same answer, one writer close);
  /// when open, starts the sequence.
  void close(closer done);

  /// An exit message with `reason` (not normal: the owner ignores those).
  void exit(caf::error reason);

  /// The final flush ended.
  void final_flush_done(const caf::error& err, uint64_t rows);

  /// The writer's close ended (`err`: it failed, or the writer was gone).
  void writer_closed(const caf::error& err);

  /// Answers every waiting closer with `err` (the writer died; the sequence
  /// itself goes on and hears of it through its own events).
  void fail_closers(const caf::error& err);

  /// The number of closers waiting.
  size_t closers() const { return closers_.size(); }

private:
  void move_to(lifecycle next);
  void begin();
  void answer_closers(const caf::error& err, uint64_t rows);
  void stop();

  shutdown_port& port_;
  lifecycle phase_ = lifecycle::open;
  std::vector<closer> closers_;
  // The exit reason once stopping.
  caf::error stop_reason_;
  // The rows of the final flush, for the closers.
  uint64_t rows_ = 0;
  bool flushing_ = false;
  bool closing_writer_ = false;
  bool stopped_ = false;
};

} // namespace cursor
