#include "tailer/gap_check.hpp"

namespace cursor::tailer {

namespace {

// C(safe) from this snapshot alone: possible when the read saw every entry
// after `safe` and nothing after `safe` was removed (the first entry is not
// beyond it, no XDEL beyond it).
std::optional<uint64_t> derive_counter(const source_position& pos,
                                       const stream_snapshot& snap) {
  if (!snap.complete || pos.safe < snap.max_deleted)
    return std::nullopt;
  if (snap.first_entry && pos.safe < *snap.first_entry)
    return std::nullopt;
  if (!snap.first_entry && pos.safe < snap.last_generated)
    return std::nullopt;
  if (snap.entries_added < snap.returned_after_safe)
    return std::nullopt;
  return snap.entries_added - snap.returned_after_safe;
}

} // namespace

gap_verdict check_gap(const source_position& pos, const stream_snapshot& snap) {
  gap_verdict result;
  auto counter = pos.counter ? pos.counter : derive_counter(pos, snap);
  if (counter && snap.entries_added < *counter) {
    result.kind = gap_verdict::reset;
    return result;
  }
  if (pos.safe < snap.max_deleted) {
    result.kind = gap_verdict::deleted;
    return result;
  }
  bool beyond = snap.first_entry ? pos.safe < *snap.first_entry
                                 : pos.safe < snap.last_generated;
  if (!beyond)
    return result;
  // Every entry up to `safe` is gone, and every removed entry came before
  // the first one (no XDEL beyond `safe`).
  auto removed = snap.entries_added - snap.length;
  if (!counter) {
    if (removed > 0)
      result.kind = gap_verdict::trimmed_unknown;
    return result;
  }
  if (removed > *counter) {
    result.kind = gap_verdict::trimmed;
    result.lost = removed - *counter;
  }
  return result;
}

source_position advance(const source_position& pos, const stream_snapshot& snap,
                        const gap_verdict& verdict) {
  source_position result;
  result.safe = pos.safe;
  if (snap.last_returned && pos.safe < *snap.last_returned)
    result.safe = *snap.last_returned;
  auto counter = pos.counter ? pos.counter : derive_counter(pos, snap);
  switch (verdict.kind) {
    case gap_verdict::none:
      if (counter)
        result.counter = *counter + snap.returned_after_safe;
      break;
    case gap_verdict::trimmed:
      result.counter = *counter + verdict.lost + snap.returned_after_safe;
      break;
    default:
      // Unknown until a later snapshot lets us derive it again.
      break;
  }
  // Having read everything there is, the counter is the stream's. So it is
  // after a gap in an empty stream: every entry up to its last ID is gone
  // and was reported.
  if (snap.complete && result.safe == snap.last_generated
      && !(result.safe < snap.max_deleted))
    result.counter = snap.entries_added;
  if (verdict && !snap.first_entry && result.safe < snap.last_generated) {
    result.safe = snap.last_generated;
    result.counter = snap.entries_added;
  }
  return result;
}

std::string describe_gap(const source_position& pos,
                         const stream_snapshot& snap,
                         const gap_verdict& verdict) {
  auto first = snap.first_entry ? snap.first_entry->to_string()
                                : std::string{"none (empty)"};
  auto after = "after position " + pos.safe.to_string();
  switch (verdict.kind) {
    case gap_verdict::deleted:
      return "entries " + after
             + " were deleted (XDEL) before the tailer read them (the "
               "stream's max-deleted-entry-id is "
             + snap.max_deleted.to_string() + ", its first entry is now "
             + first + ")";
    case gap_verdict::trimmed:
      return std::to_string(verdict.lost) + " entries " + after
             + " were trimmed before the tailer read them (the stream's "
               "first entry is now "
             + first + "; " + std::to_string(snap.entries_added)
             + " entries were ever added, " + std::to_string(snap.length)
             + " are left)";
    case gap_verdict::trimmed_unknown:
      return "the stream was trimmed beyond position " + pos.safe.to_string()
             + " (its first entry is now " + first + ", "
             + std::to_string(snap.entries_added - snap.length)
             + " entries were removed); entries " + after
             + " may have been among them (the tailer resumed with a "
               "backlog and cannot count them)";
    case gap_verdict::reset:
      return "the stream was recreated (entries-added is "
             + std::to_string(snap.entries_added)
             + ", below what the tailer read): entries " + after
             + " may have been lost with the old stream";
    default:
      return "no gap";
  }
}

} // namespace cursor::tailer
