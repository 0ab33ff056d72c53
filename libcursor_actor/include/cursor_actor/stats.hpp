#pragma once

// The store's counters and health, as answered to `stats`.

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace cursor {

/// A snapshot of the store's counters. Counter names follow the reference
/// metrics (see `to_prometheus`).
struct cursor_stats {
  /// Cursors held in memory.
  uint64_t entries = 0;
  /// Pending changes (updates and deletes) not yet committed.
  uint64_t dirty = 0;
  /// Committed write transactions (`replication_cursor_flushes_total`).
  uint64_t flushes = 0;
  /// Rows upserted or deleted by committed transactions
  /// (`replication_cursor_flushed_count`).
  uint64_t rows_written = 0;
  /// Failed write transactions after all retries, counted whether or not
  /// anything was written (`replication_cursor_flush_errors_total`).
  uint64_t flush_errors = 0;
  /// Busy/locked retries per operation
  /// (`replication_cursor_retries_total{operation=...}`).
  uint64_t retries_flush = 0;
  uint64_t retries_delete = 0;
  uint64_t retries_checkpoint = 0;
  /// Completed TRUNCATE checkpoints and failed ones.
  uint64_t checkpoints = 0;
  uint64_t checkpoint_errors = 0;
  /// Unix milliseconds of the last successful commit; 0 = never.
  int64_t last_flush_unix_ms = 0;
  /// Age of the oldest change not yet committed, milliseconds; 0 = none.
  int64_t oldest_dirty_age_ms = 0;
  /// True while the last write transaction failed after all retries.
  bool degraded = false;
  /// True once `close` completed.
  bool closed = false;
  /// The rendered last write error; empty when the last write succeeded.
  std::string last_error;
  /// The database path the store was opened with.
  std::string db_path;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cursor_stats& x) {
  return f(caf::meta::type_name("cursor_stats"), x.entries, x.dirty, x.flushes,
           x.rows_written, x.flush_errors, x.retries_flush, x.retries_delete,
           x.retries_checkpoint, x.checkpoints, x.checkpoint_errors,
           x.last_flush_unix_ms, x.oldest_dirty_age_ms, x.degraded, x.closed,
           x.last_error, x.db_path);
}

/// Renders `x` in the Prometheus text exposition format (version 0.0.4),
/// with the reference metric names plus `replication_cursor_entries`,
/// `replication_cursor_dirty`, `replication_cursor_oldest_dirty_age_seconds`
/// and `replication_cursor_degraded`.
std::string to_prometheus(const cursor_stats& x);

} // namespace cursor
