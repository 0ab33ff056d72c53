#include "tailer/target_check.hpp"

namespace cursor::tailer {

namespace {

target_verdict fault(target_fault kind, std::string text) {
  return target_verdict{kind, std::move(text)};
}

std::string wrote(const target_state& x) {
  if (!x.exists)
    return "the tailer has written nothing to it yet";
  return "the tailer wrote " + std::to_string(x.entries_added)
         + " entries up to " + x.last_id.to_string() + " to it";
}

std::string shows(const target_state& x) {
  return "it ends at " + x.last_id.to_string() + " with "
         + std::to_string(x.length) + " entries (entries-added "
         + std::to_string(x.entries_added) + ", max-deleted-entry-id "
         + x.max_deleted.to_string() + ")";
}

} // namespace

target_verdict check_target(const target_state& expected,
                            const target_observation& seen) {
  const auto& x = seen.state;
  if (seen.wrong_type)
    return fault(target_fault::foreign,
                 "the key holds another type than a stream: another writer "
                 "replaced it");
  if (!x.exists) {
    if (expected.exists)
      return fault(target_fault::behind,
                   "the stream does not exist, but " + wrote(expected)
                       + ": it was deleted, flushed, expired, or its Redis "
                         "restarted without its data");
    return {};
  }
  if (!seen.has_counters)
    return fault(target_fault::no_counters,
                 "the target Redis does not report entries-added and "
                 "max-deleted-entry-id (Redis < 7.0): the target cannot be "
                 "checked");
  if (!expected.exists)
    return fault(target_fault::foreign, "the stream exists (" + shows(x)
                                            + ") although " + wrote(expected)
                                            + ": another writer created it");
  if (expected.last_id < x.last_id || expected.entries_added < x.entries_added)
    return fault(target_fault::foreign,
                 shows(x) + ", beyond what " + wrote(expected)
                     + ": another writer wrote it (XADD or XSETID)");
  if (x.length < x.entries_added)
    return fault(target_fault::removed,
                 shows(x) + ", but " + wrote(expected)
                     + ": entries were removed from it (XDEL, XTRIM)");
  if (x.entries_added < expected.entries_added || x.last_id < expected.last_id)
    return fault(target_fault::behind,
                 shows(x) + ", but " + wrote(expected)
                     + ": it went back (a failover to a replica that lagged, "
                       "a restart from older persistence)");
  if (x.max_deleted != expected.max_deleted)
    return fault(target_fault::foreign,
                 shows(x) + ", but the tailer left max-deleted-entry-id at "
                     + expected.max_deleted.to_string()
                     + ": its counters were rewritten (XSETID)");
  return {};
}

target_resume resume_target(const target_observation& seen, stream_id cursor) {
  target_resume result;
  const auto& x = seen.state;
  auto cursor_says = "the cursor says " + cursor.to_string() + " was applied";
  if (seen.wrong_type) {
    result.verdict = check_target(target_state{}, seen);
    return result;
  }
  bool empty = !x.exists || (x.length == 0 && x.entries_added == 0);
  if (x.exists && !seen.has_counters) {
    result.verdict = check_target(target_state{}, seen);
    return result;
  }
  if (empty) {
    if (cursor != stream_id{}) {
      result.verdict = fault(
          target_fault::behind,
          std::string{x.exists ? "the stream is empty"
                               : "the stream does not exist"}
              + " but " + cursor_says
              + ": it was deleted, flushed, or its Redis restarted without "
                "its data");
      return result;
    }
    // Nothing applied, nothing there (an empty stream someone created is
    // written into as it is).
    result.expected = x;
    result.position.counter = 0;
    return result;
  }
  if (x.last_id < cursor) {
    result.verdict = fault(target_fault::behind,
                           shows(x) + ", but " + cursor_says
                               + ": the target lost entries (deleted and "
                                 "written again, or rolled back)");
    return result;
  }
  if (x.length < x.entries_added) {
    result.verdict = fault(target_fault::removed,
                           shows(x)
                               + ": entries were removed from it (XDEL, "
                                 "XTRIM) while the tailer was down");
    return result;
  }
  if (x.max_deleted.ms != 0 || !seen.last_entry
      || *seen.last_entry != x.last_id) {
    result.verdict = fault(
        target_fault::foreign,
        shows(x)
            + (seen.last_entry
                   ? ", its last entry is " + seen.last_entry->to_string()
                   : std::string{})
            + ": its counters were rewritten (XSETID) while the tailer was "
              "down");
    return result;
  }
  result.expected = x;
  result.position.safe = x.last_id;
  result.position.counter = x.entries_added + x.skipped();
  result.position.anchor = seen.last_entry_fields;
  return result;
}

target_state after_apply(const target_state& before, uint64_t added,
                         stream_id last, uint64_t skipped) {
  auto result = before;
  if (added > 0) {
    result.exists = true;
    result.last_id = last;
    result.entries_added += added;
    result.length += added;
  }
  if (result.exists)
    result.max_deleted = stream_id{0, skipped};
  return result;
}

} // namespace cursor::tailer
