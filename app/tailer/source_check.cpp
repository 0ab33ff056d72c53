#include "tailer/source_check.hpp"

namespace cursor::tailer {

namespace {

// Whether no entry at or below `safe` is left: every one of them was
// removed (trimmed, or deleted).
bool nothing_up_to(const source_position& pos, const source_snapshot& snap) {
  return !snap.first_entry || pos.safe < *snap.first_entry;
}

// K from this snapshot alone: possible when the read saw every entry after
// `safe` and nothing after `safe` was removed (no entry beyond it deleted,
// and something at or below it left, or nothing was ever after it).
std::optional<uint64_t> derive_counter(const source_position& pos,
                                       const source_snapshot& snap) {
  if (!snap.complete || pos.safe < snap.max_deleted)
    return std::nullopt;
  if (nothing_up_to(pos, snap) && pos.safe < snap.last_generated)
    return std::nullopt;
  if (snap.entries_added < snap.returned_after_safe)
    return std::nullopt;
  return snap.entries_added - snap.returned_after_safe;
}

source_verdict make(source_verdict::kind_t kind,
                    source_verdict::evidence_t evidence
                    = source_verdict::none) {
  source_verdict result;
  result.kind = kind;
  result.evidence = evidence;
  return result;
}

std::string first_text(const source_snapshot& snap) {
  return snap.first_entry ? snap.first_entry->to_string()
                          : std::string{"none (empty)"};
}

} // namespace

source_verdict check_source(const source_position& pos,
                            const source_snapshot& snap) {
  using v = source_verdict;
  if (snap.last_generated < pos.safe)
    return make(v::behind);
  if (pos.safe < snap.max_deleted)
    return make(v::deleted);
  bool gone = nothing_up_to(pos, snap);
  if (pos.anchor && pos.safe != stream_id{}) {
    if (snap.at_safe) {
      if (*snap.at_safe != *pos.anchor)
        return make(v::replaced, v::anchor_differs);
    } else if (!gone && snap.max_deleted < pos.safe) {
      return make(v::replaced, v::anchor_missing);
    }
  }
  auto counter = pos.counter ? pos.counter : derive_counter(pos, snap);
  auto added = snap.entries_added;
  if (!counter) {
    // Without K a first entry beyond the position after removals cannot be
    // sized: reported, never skipped silently.
    if (gone && added > snap.length)
      return make(v::trimmed_unknown);
    return make(v::ok);
  }
  auto k = *counter;
  if (added < k)
    return make(v::replaced, v::counter_below);
  if (gone) {
    auto removed = added - snap.length;
    if (removed < k)
      return make(v::replaced, v::too_few_removed);
    if (removed > k) {
      auto result = make(v::trimmed);
      result.lost = removed - k;
      return result;
    }
    if (k > 0 && added > k)
      return make(v::ambiguous);
    return make(v::ok);
  }
  // Nothing after the position was removed: E - K entries came after it.
  auto after = added - k;
  if (after < snap.returned_after_safe
      || (snap.complete && after != snap.returned_after_safe))
    return make(v::replaced, v::count_mismatch);
  return make(v::ok);
}

source_position advance(const source_position& pos, const source_snapshot& snap,
                        const source_verdict& verdict) {
  using v = source_verdict;
  source_position result;
  result.safe = pos.safe;
  bool moved = snap.last_returned && pos.safe < *snap.last_returned;
  if (moved) {
    result.safe = *snap.last_returned;
    result.anchor = snap.last_returned_fields;
  } else {
    // After stepping over a replaced stream the entry at the position is
    // whatever the stream holds now.
    result.anchor = verdict ? snap.at_safe : pos.anchor;
  }
  auto counter = pos.counter ? pos.counter : derive_counter(pos, snap);
  switch (verdict.kind) {
    case v::ok:
    case v::ambiguous:
      // Taken (with allow-gaps) as the trim that ended at the position.
      if (counter)
        result.counter = *counter + snap.returned_after_safe;
      break;
    case v::trimmed:
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
    result.anchor.reset();
  }
  return result;
}

std::string describe(const source_position& pos, const source_snapshot& snap,
                     const source_verdict& verdict) {
  using v = source_verdict;
  auto p = pos.safe.to_string();
  auto after = "after position " + p;
  auto kc = pos.counter ? pos.counter : derive_counter(pos, snap);
  auto k = kc ? std::to_string(*kc) : std::string{"?"};
  auto came_after = kc && *kc <= snap.entries_added
                        ? std::to_string(snap.entries_added - *kc)
                        : std::string{"?"};
  auto e = std::to_string(snap.entries_added);
  auto md = snap.max_deleted.to_string();
  auto first = first_text(snap);
  // At start-up the position is the target's last entry: a foreign entry
  // there looks like a replaced source.
  const std::string or_target
      = " (or, if the tailer was restarted since, another writer wrote the "
        "target stream)";
  switch (verdict.kind) {
    case v::behind:
      return "the stream ends at " + snap.last_generated.to_string()
             + " but the tailer's position is " + p
             + ": the stream was recreated or rolled back (or XSETID moved "
               "its last ID back); new entries with IDs up to "
             + p + " would never be read" + or_target;
    case v::deleted:
      return "entries " + after
             + " were deleted (XDEL) before the tailer read them (the "
               "stream's max-deleted-entry-id is "
             + md + ", its first entry is now " + first + ")";
    case v::trimmed:
      return std::to_string(verdict.lost) + " entries " + after
             + " were trimmed before the tailer read them (the stream's "
               "first entry is now "
             + first + "; " + e + " entries were ever added, "
             + std::to_string(snap.length) + " are left)";
    case v::trimmed_unknown:
      return "the stream was trimmed beyond position " + p
             + " (its first entry is now " + first + ", "
             + std::to_string(snap.entries_added - snap.length)
             + " entries were removed); entries " + after
             + " may have been among them (the tailer does not know how "
               "many entries the stream had up to its position)";
    case v::replaced:
      switch (verdict.evidence) {
        case v::anchor_missing:
          return "the stream is not the one position " + p
                 + " came from: the entry " + p
                 + " is gone, but neither XDEL (max-deleted-entry-id is " + md
                 + ") nor a trim (the first entry is " + first
                 + ") removed it: the stream was recreated or rolled back "
                   "(a failover to a replica that lagged, a restore)"
                 + or_target;
        case v::anchor_differs:
          return "the stream is not the one position " + p
                 + " came from: its entry " + p
                 + " has other fields than the one the tailer copied: the "
                   "stream was recreated"
                 + or_target;
        case v::counter_below:
          return "the stream is not the one position " + p
                 + " came from: entries-added is " + e + ", below the " + k
                 + " entries it had up to the position: the stream was "
                   "recreated or its counter rewritten (XSETID)"
                 + or_target;
        case v::too_few_removed:
          return "the stream is not the one position " + p
                 + " came from: every entry up to the position is gone (the "
                   "first entry is "
                 + first + ") but only "
                 + std::to_string(snap.entries_added - snap.length)
                 + " entries were ever removed, fewer than the " + k
                 + " it had up to the position: the stream was recreated"
                 + or_target;
        case v::count_mismatch:
          return "the stream is not the one position " + p
                 + " came from: its counters do not add up: entries-added "
                   "is "
                 + e + " and it had " + k + " entries up to the position, so "
                 + came_after + " came after it, but the read found "
                 + std::to_string(snap.returned_after_safe)
                 + (snap.complete ? "" : " or more")
                 + " while nothing after the position was removed "
                   "(max-deleted-entry-id is "
                 + md + ", the first entry is " + first
                 + "): the stream was recreated or its counter rewritten "
                   "(XSETID)"
                 + or_target;
        default:
          return "the stream is not the one position " + p + " came from";
      }
    case v::ambiguous:
      return "every entry up to position " + p + " is gone (the first entry is "
             + first
             + ") and exactly as many entries were removed as the stream had "
               "up to it ("
             + k + "), while " + came_after
             + " came after it: either a trim that ended exactly at the "
               "position (nothing lost) or the stream was deleted and "
               "recreated (entries lost). Redis cannot tell these apart, so "
               "the tailer refuses; if it was a trim, restart once with "
               "tailer.allow-gaps";
    default:
      return "no fault";
  }
}

} // namespace cursor::tailer
