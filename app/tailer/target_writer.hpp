#pragma once

// The target writer: one per peer, spawned detached (its own thread), the
// only code that writes that peer's target stream. Every batch knows the
// state of the target stream it builds on (target_check.hpp): the writer
// keeps a WATCH on the stream between batches and applies each batch in one
// MULTI / EXEC that also reads the state back, so that a target another
// client deleted, trimmed, flushed or wrote is found before anything is
// written on top of it.

#include <string>
#include <string_view>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "tailer/atoms.hpp"
#include "tailer/endpoint.hpp"
#include "tailer/stream_types.hpp"
#include "tailer/target_check.hpp"

namespace cursor::tailer {

/// Where a writer writes.
struct target_options {
  endpoint where;
  std::string stream;
  caf::timespan connect_timeout = std::chrono::seconds(2);
  caf::timespan io_timeout = std::chrono::seconds(5);
};

using target_writer_actor = caf::typed_actor<
    /// apply(entries, expected, skipped): writes the entries above the
    /// target's last ID, each with its source ID, on a target that must be in
    /// state `expected`, and records `skipped` as S (target_check.hpp).
    /// Unless the connection's WATCH already guards `expected`, first
    /// `WATCH` + `XINFO STREAM` and check. Entries at or below the target's
    /// last ID (read again after a restart) are compared with the target's
    /// (`XRANGE`) and counted as duplicates. Then, in one round trip:
    /// `MULTI`, `XADD <target> NOMKSTREAM <id> <fields...>` per entry (no
    /// NOMKSTREAM for the first batch into a new stream), `XSETID` when S
    /// changes, `XINFO STREAM`, `EXEC`, `WATCH`, `XINFO STREAM`. The
    /// `XINFO STREAM` inside `EXEC` must show exactly the predicted state.
    /// Answers the whole batch applied, or an error and nothing written:
    /// target_behind, target_removed, target_foreign, no_gap_detection (the
    /// target is not as expected: stop the peer), diverged (an entry read
    /// again differs from the target's), target_hole (an XADD failed inside
    /// the transaction while a later one succeeded), redis_unreachable,
    /// redis_io (when the transaction was sent, it may have gone through),
    /// redis_error (e.g. OOM, READONLY; nothing written), redis_protocol.
    caf::replies_to<apply_atom, entry_batch, target_state,
                    uint64_t>::with<apply_result>,
    /// probe: `XINFO STREAM <target>` as it is. Errors: redis_unreachable,
    /// redis_io, redis_error, redis_protocol.
    caf::replies_to<probe_atom>::with<target_observation>,
    /// verify(expected): `XINFO STREAM <target>` must show `expected`.
    /// Errors: the faults of apply, and the Redis errors of probe.
    caf::replies_to<verify_atom, target_state>::with<ok_atom>>;

/// Spawns a writer; `detached` (production) gives it its own thread. No
/// connection is made before the first request.
target_writer_actor spawn_target_writer(caf::actor_system& sys,
                                        target_options opts, bool detached);

/// Whether Redis's message refusing an XADD means that the ID is not above
/// the stream's last ID.
bool is_duplicate_refusal(std::string_view message);

/// The error that stops a peer for a target fault, naming the target.
caf::error target_fault_error(const target_verdict& verdict,
                              const std::string& target_name);

} // namespace cursor::tailer
