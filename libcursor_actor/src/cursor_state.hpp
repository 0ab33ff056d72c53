#pragma once

// State of the cursor actor. Internal: hosts talk to the actor through
// `cursor_actor` only.

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/exit_reason.hpp>
#include <caf/typed_response_promise.hpp>

#include "cursor_actor/actors.hpp"
#include "cursor_actor/options.hpp"
#include "cursor_actor/stats.hpp"
#include "cursor_actor/stream_id.hpp"

namespace cursor {

/// A cursor in memory.
struct cursor_value {
  stream_id id;
  /// Unix milliseconds of the last change.
  int64_t updated_at = 0;
};

/// A change not yet committed: the peer's current value in `cursors`, or a
/// delete when the peer is absent there.
struct dirty_mark {
  /// Sequence number of the latest change. A commit clears the mark only if
  /// no change came after the snapshot it wrote.
  uint64_t version = 0;
  /// When the peer became dirty (actor clock), for the oldest-dirty age.
  caf::actor_clock::time_point since;
};

/// Called once when the write round a requester waits for ends: with an
/// empty error and the rows committed, or with the error.
using write_waiter = std::function<void(const caf::error&, uint64_t)>;

/// What started a write round; names the retry counter.
enum class write_trigger { flush, erase };

/// One transaction of every dirty change, possibly over several attempts.
struct write_round {
  /// Random token of the current attempt: replies and retry timers that
  /// carry another token are stale or forged and do nothing.
  uint64_t token = 0;
  /// Attempts sent so far.
  uint32_t attempt = 0;
  /// True between a busy failure and its delayed retry.
  bool waiting_retry = false;
  /// The change counter when the batch of the current attempt was taken.
  uint64_t snapshot = 0;
  write_trigger trigger = write_trigger::flush;
};

/// A TRUNCATE checkpoint, possibly over several attempts.
struct checkpoint_round {
  uint64_t token = 0;
  uint32_t attempt = 0;
  bool waiting_retry = false;
  std::vector<caf::typed_response_promise<checkpoint_info>> waiters;
};

struct cursor_state {
  cursor_options opts;
  writer_actor writer;
  bool writer_alive = true;

  std::unordered_map<std::string, cursor_value> cursors;
  std::unordered_map<std::string, dirty_mark> dirty;
  uint64_t next_version = 1;

  std::optional<write_round> round;
  /// Waiters answered when `round` ends.
  std::vector<write_waiter> current_waiters;
  /// Waiters that arrived during `round`: they need the round after it.
  std::vector<write_waiter> next_waiters;
  write_trigger next_trigger = write_trigger::flush;

  std::optional<checkpoint_round> checkpoint;

  /// Token of the pending automatic flush timer.
  uint64_t tick_token = 0;

  /// Set while `close` runs its final flush: writes are refused.
  bool closing = false;
  /// Set once `close` completed: writes are refused, reads still served.
  bool closed = false;
  /// Set once an exit message started the final flush.
  bool stopping = false;
  caf::error stop_reason;

  cursor_stats counters;
  std::mt19937_64 rng{std::random_device{}()};

  uint64_t new_token() {
    uint64_t token;
    do
      token = rng();
    while (token == 0);
    return token;
  }

  static inline const char* name = "cursor_store";
};

using cursor_pointer = cursor_actor::stateful_pointer<cursor_state>;

/// The behaviour of the cursor actor over a loaded writer.
cursor_actor::behavior_type
cursor_behavior(cursor_pointer self, writer_actor writer,
                std::unordered_map<std::string, cursor_value> cursors,
                cursor_options opts);

} // namespace cursor
