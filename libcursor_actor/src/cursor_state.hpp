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

/// Every cursor in memory, plus the cursors whose delete is not committed
/// yet (hidden from reads; see `dirty_mark::erase`).
using cursor_map = std::unordered_map<std::string, cursor_value>;

/// One entry of `cursor_map`. Its address stays valid until the entry is
/// erased (rehashing moves no node), so the dirty set refers to entries by
/// address: no string is hashed, compared or copied to mark or snapshot one.
using cursor_node = cursor_map::value_type;

/// A change not yet committed: the entry's current value, or a delete.
struct dirty_mark {
  /// Sequence number of the latest change. A commit clears the mark only if
  /// no change came after the snapshot it wrote.
  uint64_t version = 0;
  /// When the peer became dirty (actor clock), for the oldest-dirty age.
  caf::actor_clock::time_point since;
  /// Sort key of the peer: eight bytes of it from `offset` on, big-endian
  /// and zero-padded, computed when the peer became dirty (its string is
  /// in the cache then). Valid for the snapshot if `offset` is still the
  /// length of `cursor_state::dirty_prefix`.
  uint64_t window = 0;
  uint16_t offset = 0;
  /// The change is a delete. The entry stays in `cursors` until the delete
  /// commits, so that its address stays valid; reads treat it as absent.
  bool erase = false;
};

/// The dirty set: entry address -> mark.
using dirty_map = std::unordered_map<const cursor_node*, dirty_mark>;

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

  cursor_map cursors;
  dirty_map dirty;
  /// Entries of `cursors` whose delete is pending (marked `erase`).
  size_t pending_deletes = 0;
  /// A prefix shared by every peer marked dirty since the dirty set was
  /// last empty (it only shrinks meanwhile). Sort keys start after it.
  std::string dirty_prefix;
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

  /// The number of cursors a reader sees (pending deletes excluded).
  size_t entries() const { return cursors.size() - pending_deletes; }

  /// The mark of `node`, or nullptr when it is clean.
  const dirty_mark* mark_of(const cursor_node& node) const {
    if (dirty.empty())
      return nullptr;
    auto i = dirty.find(&node);
    return i == dirty.end() ? nullptr : &i->second;
  }

  /// Whether `node` is a pending delete (absent for readers).
  bool is_erased(const cursor_node& node) const {
    if (pending_deletes == 0)
      return false;
    auto mark = mark_of(node);
    return mark != nullptr && mark->erase;
  }

  static inline const char* name = "cursor_store";
};

using cursor_pointer = cursor_actor::stateful_pointer<cursor_state>;

/// The behaviour of the cursor actor over a loaded writer.
cursor_actor::behavior_type cursor_behavior(cursor_pointer self,
                                                  writer_actor writer,
                                                  cursor_map cursors,
                                                  cursor_options opts);

} // namespace cursor
