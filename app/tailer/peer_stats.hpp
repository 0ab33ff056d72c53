#pragma once

// A pipeline's counters and state, as the metrics file shows them.

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace cursor::tailer {

struct peer_stats {
  std::string peer;
  /// Entries written to the target stream.
  uint64_t applied = 0;
  /// Entries found in the target already (read again after a restart,
  /// compared with the target's).
  uint64_t duplicates = 0;
  /// Gaps found in the source stream (entries deleted before being read).
  uint64_t gaps = 0;
  /// Batches applied.
  uint64_t batches = 0;
  /// Failed attempts per party (each retried with backoff).
  uint64_t source_errors = 0;
  uint64_t target_errors = 0;
  uint64_t store_errors = 0;
  /// Whether the last attempt with each party succeeded.
  bool source_up = true;
  bool target_up = true;
  bool store_up = true;
  /// The last entry known to be in the target; "0" before the first.
  std::string applied_id = "0";
  /// The last position the store acknowledged.
  std::string recorded_id = "0";
  /// The source stream's last ID at the last read; empty before it.
  std::string source_last_id;
  /// Milliseconds between the source's last ID and the applied position
  /// (both are Unix-millisecond stamps); 0 when caught up.
  uint64_t lag_ms = 0;
  /// True once the pipeline stopped for good (a fault of the model in
  /// docs/TAILER.md, or a cursor moved by someone else).
  bool failed = false;
  /// Why: the error code's name (`gap`, `target_foreign`, ...); empty while
  /// running.
  std::string fault;
  std::string last_error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_stats& x) {
  return f(caf::meta::type_name("peer_stats"), x.peer, x.applied, x.duplicates,
           x.gaps, x.batches, x.source_errors, x.target_errors, x.store_errors,
           x.source_up, x.target_up, x.store_up, x.applied_id, x.recorded_id,
           x.source_last_id, x.lag_ms, x.failed, x.fault, x.last_error);
}

} // namespace cursor::tailer
