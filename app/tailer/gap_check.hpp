#pragma once

// Deciding whether entries of a source stream were removed before the tailer
// read them: the gap check. Pure functions of what the tailer knows and of
// one atomic snapshot of the stream (XINFO STREAM with the XREAD beside it).
//
// Redis 7 keeps three facts that make the check exact:
// - `entries-added` (E): how many entries were ever added;
// - `length` (L): how many are there now, so E - L were removed;
// - `max-deleted-entry-id` (M): the highest ID removed by XDEL. Redis 7.0
//   does not update it when trimming (XTRIM, XADD MAXLEN/MINID).
// Trimming removes the oldest entries; XDEL removes any. So, with `safe` the
// position up to which every entry was read or is in the target:
// - an XDEL beyond `safe` lost an entry: M > safe;
// - a trim lost entries iff the first entry F is beyond `safe` and more
//   entries were removed than existed up to `safe`: (E - L) > C(safe),
//   where C(x) is Redis's entry counter, the number of entries ever added
//   up to and including x. The tailer starts with `safe` at the target's
//   last ID, whose counter is the number of entries the target ever
//   received (its own `entries-added`: only this tailer writes the target,
//   in order), and keeps C(safe) up to date as it reads. Should entries have
//   been skipped earlier (tailer.allow-gaps), that number is too low and a
//   later trim gap is overstated, never understated. Without the counter (a
//   target Redis < 7.0) a first entry beyond `safe` after removals is
//   reported as a gap it cannot size: never a silent skip.
// - a stream whose `entries-added` is below C(safe) was recreated (its Redis
//   lost its data): entries after `safe` may have been lost with it.

#include <cstdint>
#include <optional>
#include <string>

#include "cursor_actor/stream_id.hpp"

namespace cursor::tailer {

/// What the tailer knows about its position in one source stream.
struct source_position {
  /// Every entry up to here was read (and is applied or being applied) or
  /// is in the target already.
  stream_id safe;
  /// Entries ever added to the stream up to and including `safe`, when
  /// known (0 for a new peer whose target is empty).
  std::optional<uint64_t> counter;
};

/// One snapshot of a source stream, parsed, with the read that came with it.
struct stream_snapshot {
  stream_id last_generated;
  stream_id max_deleted;
  /// The first entry now; empty when the stream is empty.
  std::optional<stream_id> first_entry;
  uint64_t length = 0;
  uint64_t entries_added = 0;
  /// Entries the read returned with IDs above `safe`.
  uint64_t returned_after_safe = 0;
  /// The ID of the last entry the read returned, if any.
  std::optional<stream_id> last_returned;
  /// Whether the read returned every entry after its position (fewer than
  /// its COUNT).
  bool complete = false;
};

/// The outcome of the check.
struct gap_verdict {
  enum kind_t {
    /// Nothing after `safe` was removed.
    none,
    /// XDEL removed an entry after `safe` (M > safe).
    deleted,
    /// Trimming removed `lost` entries after `safe`.
    trimmed,
    /// The first entry is beyond `safe`, entries were removed, and the
    /// tailer does not know C(safe): it cannot tell how many, if any, came
    /// after `safe`.
    trimmed_unknown,
    /// `entries-added` went below C(safe): the stream was recreated.
    reset,
  };
  kind_t kind = none;
  /// For `trimmed`: how many entries after `safe` were removed.
  uint64_t lost = 0;

  explicit operator bool() const { return kind != none; }
};

/// Checks `snap` against `pos`.
gap_verdict check_gap(const source_position& pos, const stream_snapshot& snap);

/// The position after taking the read of `snap` (and, with tailer.allow-gaps,
/// after stepping over the gap `verdict`): `safe` moves to the last entry
/// returned, and the counter follows when it is known or can be derived.
source_position advance(const source_position& pos, const stream_snapshot& snap,
                        const gap_verdict& verdict);

/// One readable sentence about a gap, for the log and the error.
std::string describe_gap(const source_position& pos,
                         const stream_snapshot& snap,
                         const gap_verdict& verdict);

} // namespace cursor::tailer
