#pragma once

// The per-peer pipeline: the loop that replicates one peer's source stream
// into its target stream and records how far it got.
//
//   get_or_start(peer) -> check the target (target_check.hpp) -> read after
//   the position (source reader) -> check the source (source_check.hpp) ->
//   XADD each entry with its own ID on a target in the state the tailer
//   left it (target writer) -> record the last applied ID (recorder ->
//   store's batched set)
//
// It runs on CAF's scheduler and never blocks: every Redis call happens in
// the peer's detached reader and writer, every wait is a request with a
// timeout, every backoff a delayed message to itself. Reading the next batch
// overlaps with applying the current one; at most one batch is applied, one
// waits, one is read, and one record is in flight at any time.

#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "tailer/atoms.hpp"
#include "tailer/peer_stats.hpp"
#include "tailer/recorder.hpp"
#include "tailer/source_reader.hpp"
#include "tailer/store_api.hpp"
#include "tailer/target_writer.hpp"

namespace spdlog {
class logger;
} // namespace spdlog

namespace cursor::tailer {

struct pipeline_options {
  std::string peer;
  /// How the source and the target are named in log lines
  /// ("127.0.0.1:6380 stream 'events'").
  std::string source_name;
  std::string target_name;
  /// Bounds on the requests to the reader, the writer and the store.
  caf::timespan read_timeout = std::chrono::seconds(10);
  caf::timespan apply_timeout = std::chrono::seconds(30);
  caf::timespan store_timeout = std::chrono::seconds(10);
  /// Backoff after a failure: base, doubled per failure, capped.
  caf::timespan retry_base_delay = std::chrono::milliseconds(100);
  caf::timespan retry_max_delay = std::chrono::seconds(5);
  /// Continue after a gap (logged, counted) instead of stopping the peer.
  bool allow_gaps = false;
  /// The reader's COUNT: a read returning fewer entries returned all.
  uint32_t batch_size = 500;
};

using peer_pipeline_actor = caf::typed_actor<
    /// stats: the pipeline's counters and state.
    caf::replies_to<stats_atom>::with<peer_stats>,
    /// stop: reads no more, drops what was read and not applied, waits for
    /// the batch being applied, checks the target once more, records the
    /// last applied ID and answers it once the store acknowledged it.
    /// Errors: the record's (the position is then not recorded; the next
    /// start re-reads from the stored cursor), the fault the peer stopped
    /// for, earlier or at the last check (tailer::stops_peer(); the position
    /// is recorded), or
    /// errc::target_unchecked when that check could not run (the target
    /// unreachable; the position is recorded).
    caf::replies_to<stop_atom>::with<std::string>,
    /// Internal: a delayed retry after a failure, with a token; a stale one
    /// does nothing.
    caf::reacts_to<retry_atom, uint64_t>>;

/// Spawns the pipeline of one peer and starts it. It takes ownership of
/// `reader` and `writer` (they end with it). When it stops for good (a fault
/// of the model in docs/TAILER.md: a gap without `allow_gaps`, a source not
/// the one the position came from, a target not as the tailer left it; a
/// cursor the store refuses to move) it logs why, sends
/// `(failed_atom, peer, error)` to `supervisor`, records what it applied and
/// stays idle, answering stats and stop. Source, target and store failures
/// are retried with backoff for ever, logged once per change of state. While
/// the peer idles the target is checked after every read that found nothing.
peer_pipeline_actor
spawn_peer_pipeline(caf::actor_system& sys, pipeline_options opts,
                    source_reader_actor reader, target_writer_actor writer,
                    store_api store, recorder_actor recorder,
                    caf::actor supervisor, std::shared_ptr<spdlog::logger> log);

} // namespace cursor::tailer
