#pragma once

// State of the cursor actor. Internal: hosts talk to the actor through
// `cursor_actor` only; the actor runs as `cursor_actor_internal`. The parts, each in its own file:
// - cursor_table.hpp        the cursors in memory and the dirty set;
// - retrying_operation.hpp  token, attempts and backoff of a writer request;
// - lifecycle.hpp           open, closing, closed, stopping.
// cursor.cpp holds the behaviour: a table of named handlers, one per message.

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/typed_response_promise.hpp>

#include "cursor_actor_internal.hpp"
#include "cursor_actor/options.hpp"
#include "cursor_actor/stats.hpp"
#include "cursor_table.hpp"
#include "page_overlay.hpp"
#include "page_scan.hpp"
#include "lifecycle.hpp"
#include "retrying_operation.hpp"

namespace cursor {

/// Called once when the write round a requester waits for ends: with an
/// empty error and the rows committed, or with the error.
using write_waiter = std::function<void(const caf::error&, uint64_t)>;

/// What started a write round; names the operation and its retry counter.
enum class write_trigger { flush, erase };

/// One transaction of every dirty change, possibly over several attempts.
struct write_round {
  write_round(write_trigger trigger, cursor_stats& counters);
  retrying_operation op;
  write_trigger trigger;
  /// The table's snapshot version the attempt in flight carries.
  uint64_t snapshot_version = 0;
};

/// A TRUNCATE checkpoint, possibly over several attempts.
struct checkpoint_round {
  explicit checkpoint_round(cursor_stats& counters);
  retrying_operation op;
  std::vector<caf::typed_response_promise<checkpoint_info>> waiters;
};

struct cursor_state {
  cursor_options opts;
  writer_actor writer;
  bool writer_alive = true;

  cursor_table table;

  /// The write round in flight, if any.
  std::optional<write_round> round;
  /// Waiters answered when `round` ends.
  std::vector<write_waiter> current_waiters;
  /// Waiters that arrived during `round`: they need the round after it.
  std::vector<write_waiter> next_waiters;
  write_trigger next_trigger = write_trigger::flush;
  /// After a failed round the dirty threshold starts no write before this
  /// time (one backoff of `retry.max_delay`); a committed round ends it.
  caf::actor_clock::time_point threshold_paused_until;

  std::optional<checkpoint_round> checkpoint;

  /// Token of the pending automatic flush timer.
  uint64_t tick_token = 0;

  lifecycle phase = lifecycle::open;
  /// Requesters of `close` while the shutdown sequence runs.
  std::vector<caf::typed_response_promise<uint64_t>> close_waiters;
  /// The exit reason once `stopping`.
  caf::error stop_reason;

  /// Paged lists in progress, by token: one slice per message.
  struct list_scan {
    page_scan scan;
    caf::typed_response_promise<cursor_page> promise;
  };
  std::unordered_map<uint64_t, list_scan> list_scans;
  /// Pages of a paged list the writer is reading.
  size_t list_reads = 0;

  cursor_stats counters;
  std::mt19937_64 rng{std::random_device{}()};

  /// A fresh non-zero random token.
  uint64_t new_token() {
    uint64_t token;
    do
      token = rng();
    while (token == 0);
    return token;
  }

  static inline const char* name = "cursor_store";
};

using cursor_pointer = cursor_actor_internal::stateful_pointer<cursor_state>;

/// The behaviour of the cursor actor over a loaded writer and the table of
/// the cursors it loaded.
cursor_actor_internal::behavior_type cursor_behavior(cursor_pointer self,
                                            writer_actor writer,
                                            cursor_table table,
                                            cursor_options opts);

} // namespace cursor
