#pragma once

// The target check: the state the tailer keeps a target stream in, and the
// decision whether the stream Redis shows is exactly that state. Pure
// functions; the target writer runs them at every batch (inside a WATCH, see
// target_writer.hpp), when the peer idles, at the stop, and at start-up. The
// model they implement is the table in docs/TAILER.md, "The target"; each
// row is a test in tests/tailer/target_check.cpp.
//
// Invariants of a target stream only the tailer writes, with A the last
// entry it wrote, n the entries it wrote and S the entries of the source up
// to A the target never got (gaps stepped over with tailer.allow-gaps):
// - last-generated-id = A (the tailer never moves it with XSETID);
// - entries-added = length = n (nothing was ever removed);
// - max-deleted-entry-id = 0-S (set by the tailer with XSETID when S
//   changes; no XDEL ever raised it), so that the source's own count of its
//   entries up to A is K = n + S, and a restarted tailer knows it.
// Anything else was done by someone else: another writer (LG or n beyond,
// another type, XSETID), a removal (length below entries-added, XDEL), a
// loss (no stream, or a state from before: deleted, flushed, restarted
// without data, rolled back).

#include <cstdint>
#include <optional>
#include <string>

#include "cursor_actor/stream_id.hpp"
#include "tailer/source_check.hpp"

namespace cursor::tailer {

/// A target stream's state as `XINFO STREAM` shows it.
struct target_state {
  bool exists = false;
  /// `last-generated-id`.
  stream_id last_id;
  uint64_t entries_added = 0;
  uint64_t length = 0;
  /// `max-deleted-entry-id`.
  stream_id max_deleted;

  /// S, when `max_deleted` has the tailer's form `0-S`.
  uint64_t skipped() const { return max_deleted.ms == 0 ? max_deleted.seq : 0; }

  friend bool operator==(const target_state& x, const target_state& y) {
    return x.exists == y.exists && x.last_id == y.last_id
           && x.entries_added == y.entries_added && x.length == y.length
           && x.max_deleted == y.max_deleted;
  }
  friend bool operator!=(const target_state& x, const target_state& y) {
    return !(x == y);
  }
};

/// What one `XINFO STREAM` of the target showed.
struct target_observation {
  target_state state;
  /// The key holds another type (WRONGTYPE).
  bool wrong_type = false;
  /// Whether the server reports `entries-added` and `max-deleted-entry-id`
  /// (Redis >= 7.0).
  bool has_counters = true;
  /// The last entry's ID and fields (fields_key() form), when not empty.
  std::optional<stream_id> last_entry;
  std::optional<std::string> last_entry_fields;
};

/// Why a target is not as the tailer left it.
enum class target_fault {
  none,
  /// It lost entries the tailer wrote: no stream, or a state from before
  /// (errc::target_behind).
  behind,
  /// Entries were removed: XDEL, a trim (errc::target_removed).
  removed,
  /// Someone else wrote it: entries or IDs beyond the tailer's, its counters
  /// rewritten, another type (errc::target_foreign).
  foreign,
  /// The server does not report the counters (Redis < 7.0;
  /// errc::no_gap_detection).
  no_counters,
};

struct target_verdict {
  target_fault fault = target_fault::none;
  /// What was found, as a sentence about "the target stream"; empty when
  /// there is no fault.
  std::string text;

  explicit operator bool() const { return fault != target_fault::none; }
};

/// Compares what Redis shows with the state the tailer left. In order: no
/// stream when one is expected (behind); another type, a stream when none is
/// expected, LG or entries-added beyond (foreign); length below
/// entries-added (removed); entries-added or LG below (behind);
/// max-deleted-entry-id changed (foreign: XSETID).
target_verdict check_target(const target_state& expected,
                            const target_observation& seen);

/// What a start-up (no expected state yet) makes of the target.
struct target_resume {
  target_verdict verdict;
  /// The state the tailer takes over.
  target_state expected;
  /// The source position the target stands for: its last entry A, the
  /// source's count K = n + S up to it, the entry's fields.
  source_position position;
};

/// At start-up, with the peer's cursor: the target must exist unless the
/// cursor is 0, end at or beyond the cursor, hold every entry written to it
/// (length = entries-added), carry `0-S` as max-deleted-entry-id, and end
/// with an entry at its last ID. A target written by an older tailer (no
/// XSETID, so `0-0`) passes as it is.
target_resume resume_target(const target_observation& seen, stream_id cursor);

/// The state after a batch that wrote `added` entries up to `last` and set S
/// to `skipped` (XSETID when it differs from `before.skipped()`).
target_state after_apply(const target_state& before, uint64_t added,
                         stream_id last, uint64_t skipped);

} // namespace cursor::tailer
