#pragma once

// When the tailer is ready (its /readyz, docs/TAILER.md, "HTTP endpoint"):
// every configured peer replicates. A peer is not ready when it stopped for
// good (a gap, a target behind its cursor: exit 5 follows once every peer
// stopped), when its pipeline did not answer the host's last stats request,
// or when the last attempt with its source, its target or the cursor store
// failed (the pipeline retries with backoff meanwhile).

#include <string>
#include <vector>

#include "tailer/peer_stats.hpp"

namespace cursor::tailer {

/// Why the tailer is not ready, one line, or an empty string when it is.
/// `peers`: the configured peer IDs; `answered`: the stats of the pipelines
/// that answered, in any order. Names the first peer that is not ready in
/// configuration order, and how many more are not.
std::string peers_not_ready(const std::vector<std::string>& peers,
                            const std::vector<peer_stats>& answered);

} // namespace cursor::tailer
