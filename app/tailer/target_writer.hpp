#pragma once

// The target writer: one per peer, spawned detached (its own thread), the
// only code that writes that peer's target stream.

#include <string>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "tailer/atoms.hpp"
#include "tailer/endpoint.hpp"
#include "tailer/stream_types.hpp"

namespace cursor::tailer {

/// Where a writer writes.
struct target_options {
  endpoint where;
  std::string stream;
  caf::timespan connect_timeout = std::chrono::seconds(2);
  caf::timespan io_timeout = std::chrono::seconds(5);
};

using target_writer_actor = caf::typed_actor<
    /// apply(entries): `XADD <target> <entry id> <fields...>` for every entry,
    /// pipelined, in order. Each entry keeps its source ID, so an entry that
    /// reached the target before is refused by Redis ("equal or smaller than
    /// the target stream top item") and counted as a duplicate, never written
    /// twice. The answer always counts what reached the target; its `error`
    /// says why the batch stopped early: redis_unreachable, redis_io,
    /// redis_error (the first refused XADD; nothing after it reached the
    /// target), or target_hole (an XADD failed and a later one of the same
    /// batch succeeded: the target misses an entry).
    caf::replies_to<apply_atom, entry_batch>::with<apply_result>,
    /// probe: `XINFO STREAM <target>`: whether the target exists and its last
    /// ID. Errors: redis_unreachable, redis_io, redis_error, redis_protocol.
    caf::replies_to<probe_atom>::with<stream_info>>;

/// Spawns a writer; `detached` (production) gives it its own thread. No
/// connection is made before the first request.
target_writer_actor spawn_target_writer(caf::actor_system& sys,
                                        target_options opts, bool detached);

/// Whether Redis's message refusing an XADD means that the ID is not above
/// the stream's last ID, i.e. the entry was applied before.
bool is_duplicate_refusal(std::string_view message);

} // namespace cursor::tailer
