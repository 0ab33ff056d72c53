#include "cursor_actor/stats.hpp"

#include <sstream>

namespace cursor {

namespace {

void metric(std::ostringstream& out, const char* name, const char* type,
            const char* help, const std::string& value) {
  out << "# HELP " << name << ' ' << help << '\n'
      << "# TYPE " << name << ' ' << type << '\n'
      << name << ' ' << value << '\n';
}

} // namespace

std::string to_prometheus(const cursor_stats& x) {
  std::ostringstream out;
  out << "# HELP replication_cursor_retries_total Busy/locked retries per "
         "operation.\n"
      << "# TYPE replication_cursor_retries_total counter\n"
      << "replication_cursor_retries_total{operation=\"cursor_flush\"} "
      << x.retries_flush << '\n'
      << "replication_cursor_retries_total{operation=\"cursor_delete\"} "
      << x.retries_delete << '\n'
      << "replication_cursor_retries_total{operation=\"cursor_checkpoint\"} "
      << x.retries_checkpoint << '\n';
  metric(out, "replication_cursor_flushes_total", "counter",
         "Committed write transactions.", std::to_string(x.flushes));
  // A counter, declared untyped: Prometheus reserves the suffix _count for
  // summaries and histograms and wants _total on counters (promtool check
  // metrics refuses both), but the name is the reference design's.
  metric(out, "replication_cursor_flushed_count", "untyped",
         "Rows written by committed transactions (a counter).",
         std::to_string(x.rows_written));
  metric(out, "replication_cursor_flush_errors_total", "counter",
         "Write transactions that failed after all retries.",
         std::to_string(x.flush_errors));
  metric(out, "replication_cursor_entries", "gauge", "Cursors in memory.",
         std::to_string(x.entries));
  metric(out, "replication_cursor_dirty", "gauge", "Changes not yet committed.",
         std::to_string(x.dirty));
  std::ostringstream age;
  age << static_cast<double>(x.oldest_dirty_age_ms) / 1000.0;
  metric(out, "replication_cursor_oldest_dirty_age_seconds", "gauge",
         "Age of the oldest change not yet committed.", age.str());
  metric(out, "replication_cursor_degraded", "gauge",
         "1 while the last write failed after all retries.",
         x.degraded ? "1" : "0");
  metric(out, "replication_cursor_checkpoints_total", "counter",
         "Completed TRUNCATE checkpoints.", std::to_string(x.checkpoints));
  metric(out, "replication_cursor_checkpoint_errors_total", "counter",
         "Checkpoints that failed or stayed incomplete.",
         std::to_string(x.checkpoint_errors));
  metric(out, "replication_cursor_last_flush_timestamp_seconds", "gauge",
         "Unix time of the last commit; 0 = never.",
         std::to_string(x.last_flush_unix_ms / 1000));
  return out.str();
}

} // namespace cursor
