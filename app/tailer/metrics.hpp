#pragma once

// The tailer's metrics in the Prometheus text exposition format (0.0.4),
// written to `tailer.metrics-file` like the node's (docs/TAILER.md).

#include <string>
#include <vector>

#include "tailer/peer_stats.hpp"

namespace cursor::tailer {

/// Renders the per-peer counters and gauges, labelled `peer="<id>"`:
/// `replication_tailer_entries_applied_total`,
/// `replication_tailer_duplicates_total`, `replication_tailer_gaps_total`,
/// `replication_tailer_batches_total`,
/// `replication_tailer_errors_total{party="source|target|store"}`,
/// `replication_tailer_up{party=...}`, `replication_tailer_lag_seconds`,
/// `replication_tailer_peer_failed`; and `replication_tailer_peers`.
std::string render_metrics(const std::vector<peer_stats>& peers);

/// Escapes a Prometheus label value (backslash, double quote, line feed).
std::string escape_label(const std::string& value);

} // namespace cursor::tailer
