#pragma once

// The recorder: one per tailer, between the peers' pipelines and the store.
// It turns the positions the pipelines report into batched sets, so that a
// tailer with many peers sends the store one message per round trip instead
// of one per peer and batch (a message to a remote node costs a network
// round trip).

#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "tailer/atoms.hpp"
#include "tailer/store_api.hpp"

namespace cursor::tailer {

using recorder_actor = caf::typed_actor<
    /// record(peer, id): sets the peer's cursor to `id` through the store's
    /// batched set. Records arriving while a batched set is in flight are
    /// collected (the latest ID per peer wins) and sent together when it
    /// returns. Answers `ok` once the store acknowledged the set that carried
    /// this record (in memory; the store's flush makes it durable). If the
    /// store refuses the batch with a `cursor` error (regression, invalid ID)
    /// the entries are sent again one by one, so that each record gets its own
    /// answer. Errors: the store's (through a link to a remote node also
    /// `cursor::errc::timeout` and `unavailable`), CAF's request_timeout.
    caf::replies_to<record_atom, std::string, std::string>::with<ok_atom>>;

/// Spawns the recorder in front of `store`; every store request waits at
/// most `timeout`.
recorder_actor spawn_recorder(caf::actor_system& sys, store_api store,
                              caf::timespan timeout);

} // namespace cursor::tailer
