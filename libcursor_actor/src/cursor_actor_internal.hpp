#pragma once

// The cursor actor's full typed interface: the public `cursor_actor` plus the
// messages it sends itself. Internal to the library. The actor is spawned
// with this type; hosts get a `cursor_actor` handle, whose type does not let
// them send these messages, and a front that implements `cursor_actor`
// (app/common/store_forwarder.hpp) refuses them from remote clients like any
// message outside the interface.
//
// CAF still delivers a message sent through an untyped handle, so each of
// these carries a random token: one whose token is not the pending one does
// nothing (a stray, stale or forged message is harmless).

#include <cstdint>
#include <vector>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>

#include "cursor_actor/actors.hpp"
#include "cursor_actor/options.hpp"
#include "write_batch.hpp"
#include "writer_actor.hpp"

namespace cursor {

using cursor_actor_internal = cursor_actor::extend<
    /// retry(token): the delayed retry of a busy write round or checkpoint.
    caf::reacts_to<retry_atom, uint64_t>,
    /// tick(token): the automatic flush timer.
    caf::reacts_to<tick_atom, uint64_t>,
    /// list(token): the next slice of the memory scan of paged list `token`.
    caf::reacts_to<list_atom, uint64_t>,
    /// write(token): the next piece of write attempt `token` for the writer.
    caf::reacts_to<write_atom, uint64_t>,
    /// commit(token): the next slice of clearing committed marks.
    caf::reacts_to<commit_atom, uint64_t>>;

/// Spawns a cursor actor over an opened `writer` and the rows it loaded. The
/// cursor actor takes ownership of the writer: it closes it on the way out and
/// terminates it when it dies. Used by `spawn_cursor_store` and by tests that
/// inject a scripted writer. Returns the error of the options, or
/// corrupt_row for an invalid row; the writer is then stopped too.
caf::expected<cursor_actor_internal>
spawn_cursor_actor(caf::actor_system& sys, writer_actor writer,
                   std::vector<stored_cursor> rows, const cursor_options& opts);

} // namespace cursor
