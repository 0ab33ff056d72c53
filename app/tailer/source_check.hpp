#pragma once

// The source check: deciding, from one atomic snapshot of a source stream,
// whether the tailer may copy on from its position. Pure functions of what
// the tailer knows and of what Redis reports (XINFO STREAM, the entry at the
// position, the entries read, all from one MULTI / EXEC). The model they
// implement is the table in docs/TAILER.md, "What can happen to a stream";
// each row is a test in tests/tailer/source_check.cpp.
//
// What the tailer knows about its position p (`source_position`):
// - every entry up to p was read, or is in the target;
// - K, Redis's own count of the entries the stream ever had up to and
//   including p (`entries-added` counts the same way), when known;
// - the fields of the entry p as the tailer copied it, when p is an entry.
//
// Facts of Redis 7.0 the checks rest on (e2e.redis_facts checks them):
// `entries-added` (E) grows with every XADD and only XSETID lowers it;
// `max-deleted-entry-id` (MD) is raised by XDEL only, not by trimming;
// trimming removes the oldest entries only, so an entry after p can only be
// trimmed together with every entry up to p. Hence, with F the first entry
// and L the length:
// - MD > p: an entry after p was deleted (a gap).
// - Nothing at or below p left (F > p, or empty): E - L entries were
//   removed, the K up to p and E - L - K after it. Fewer than K: the stream
//   is not the one p came from. More: a gap of the difference. Exactly K
//   with entries after p: a trim that ended at p, or a recreated stream that
//   had K entries removed: Redis cannot tell, so the check refuses.
// - Otherwise nothing after p was removed, so exactly E - K entries came
//   after p: at least the ones the read returned, and as many when the read
//   returned all of them.
// - The entry p is there with the fields the tailer copied, unless XDEL
//   (MD >= p) or a trim (nothing at or below p left) removed it.
// - LG < p: the stream ends before the position.

#include <cstdint>
#include <optional>
#include <string>

#include "cursor_actor/stream_id.hpp"

namespace cursor::tailer {

/// What the tailer knows about its position in one source stream.
struct source_position {
  /// p: every entry up to here was read (and is applied or being applied) or
  /// is in the target already.
  stream_id safe;
  /// K: entries the stream ever had up to and including `safe`, when known
  /// (0 for a new peer whose target is empty).
  std::optional<uint64_t> counter;
  /// The fields of the entry `safe` as the tailer copied it (fields_key()
  /// form), when `safe` is an entry the tailer has seen.
  std::optional<std::string> anchor;
};

/// One snapshot of a source stream, parsed, with the read that came with it.
struct source_snapshot {
  stream_id last_generated;
  stream_id max_deleted;
  /// The first entry now; empty when the stream is empty.
  std::optional<stream_id> first_entry;
  uint64_t length = 0;
  uint64_t entries_added = 0;
  /// The entry at the position now (`XRANGE <stream> p p`), in fields_key()
  /// form; empty when there is none.
  std::optional<std::string> at_safe;
  /// Entries the read returned with IDs above `safe`.
  uint64_t returned_after_safe = 0;
  /// The ID and fields of the last entry the read returned, if any.
  std::optional<stream_id> last_returned;
  std::optional<std::string> last_returned_fields;
  /// Whether the read returned every entry after its position (fewer than
  /// its COUNT).
  bool complete = false;
};

/// The outcome of the check.
struct source_verdict {
  enum kind_t {
    /// The stream is the one the position came from and nothing after the
    /// position was removed: copy on.
    ok,
    /// LG < p: the stream ends before the position (source_behind).
    behind,
    /// XDEL removed an entry after p (MD > p): a gap.
    deleted,
    /// Trimming removed `lost` entries after p: a gap.
    trimmed,
    /// Nothing at or below p is left, entries were removed, and the tailer
    /// does not know K: it cannot tell how many, if any, came after p.
    trimmed_unknown,
    /// The stream is not the one the position came from (`evidence` says
    /// why): recreated, rolled back, its counters rewritten.
    replaced,
    /// Every entry up to p is gone, exactly K were removed, and entries came
    /// after p: a trim that ended at p, or a recreated stream. Refused.
    ambiguous,
  };
  enum evidence_t {
    none,
    /// The entry p is gone, but neither XDEL nor a trim removed it.
    anchor_missing,
    /// The entry p has other fields than the one the tailer copied.
    anchor_differs,
    /// E < K.
    counter_below,
    /// Everything up to p is gone, but fewer than K entries were removed.
    too_few_removed,
    /// Nothing after p was removed, but E - K differs from the entries
    /// after p.
    count_mismatch,
  };
  kind_t kind = ok;
  evidence_t evidence = none;
  /// For `trimmed`: how many entries after p were removed.
  uint64_t lost = 0;

  explicit operator bool() const { return kind != ok; }
};

/// Checks `snap` against `pos`.
source_verdict check_source(const source_position& pos,
                            const source_snapshot& snap);

/// The position after taking the read of `snap` (with tailer.allow-gaps,
/// after stepping over the fault `verdict`): `safe` moves to the last entry
/// returned, the counter and the anchor follow when they are known or can be
/// derived.
source_position advance(const source_position& pos, const source_snapshot& snap,
                        const source_verdict& verdict);

/// One readable sentence about a fault, for the log and the error.
std::string describe(const source_position& pos, const source_snapshot& snap,
                     const source_verdict& verdict);

} // namespace cursor::tailer
