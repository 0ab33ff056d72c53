#pragma once

// The tailer's life after configuration: open (or connect to) the store,
// start one pipeline per peer, serve until a signal or until every peer
// stopped, shut down within the deadline.

#include <memory>

#include <caf/fwd.hpp>

#include "common/signal_hub.hpp"
#include "tailer/tailer_config.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::tailer {

/// Runs the tailer on `sys` and returns its exit code (exit_codes.hpp):
/// 1. embedded: opens the store (blocking, at most `cursor.open-timeout`);
///    remote: spawns the link, which connects in the background;
/// 2. spawns the recorder and, per peer, a detached source reader, a
///    detached target writer and the pipeline; logs one `started:` line;
/// 3. serves: rewrites the metrics file every `tailer.metrics-interval`,
///    counts peers that stopped for good, ends the run when all did;
/// 4. on the first signal from `signals` (or when every peer stopped):
///    stops the pipelines (no new reads, the batch in flight finished, the
///    last applied position recorded), runs the final flush (embedded:
///    close, remote: flush), writes the metrics a last time and terminates
///    every actor it spawned.
/// Runs on the calling thread (blocking waits, never on a scheduler
/// thread). The caller bounds the shutdown as a whole with a watchdog.
int run_tailer(caf::actor_system& sys, const tailer_options& opts,
               const std::shared_ptr<spdlog::logger>& log,
               app::signal_hub& signals);

} // namespace cursor::tailer
