#pragma once

// The writer actor's interface and factory. Internal to the library: the
// writer stays inside the process of its cursor actor and is never published,
// so neither its messages nor its types are part of the installed headers.
// Tests include this header to drive a writer directly or to replace it with
// a scripted one (tests/unit/mock_writer.hpp).

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cursor_actor/atoms.hpp"
#include "cursor_actor/checkpoint_info.hpp"
#include "cursor_actor/cursor_entry.hpp"
#include "cursor_actor/options.hpp"
#include "write_batch.hpp"

namespace cursor {

using load_atom = caf::atom_constant<caf::atom("load")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using commit_atom = caf::atom_constant<caf::atom("commit")>;

constexpr load_atom load_atom_v = load_atom{};
constexpr write_atom write_atom_v = write_atom{};
constexpr commit_atom commit_atom_v = commit_atom{};

/// The writer actor: the only code that touches SQLite. Spawned detached (its
/// own thread) in production; local to the process, never published.
///
/// Contract the cursor actor relies on: every request is answered while it
/// is handled, in the order the requests arrived (no answer is held back and
/// delivered later). So when a page read's rows arrive, every commit the read
/// saw has been acknowledged and none it did not see has (page_overlay.hpp);
/// a writer that deferred a commit's answer would break the paged list.
using writer_actor = caf::typed_actor<
    /// load: opens the database (creating file and schema if missing, refusing
    /// a foreign or newer file untouched) and returns every stored row.
    caf::replies_to<load_atom>::with<std::vector<stored_cursor>>,
    /// write(token, piece): a piece of the batch of attempt `token`, kept
    /// until its commit message; a piece of another token first drops what
    /// an earlier (abandoned) attempt left. The cursor actor hands a batch
    /// over in bounded pieces so that no message of its own copies a whole
    /// dirty set (issue 18).
    caf::reacts_to<write_atom, uint64_t, write_batch>,
    /// write(token, last piece, commit): the pieces of `token` plus this one,
    /// sorted by peer, in one BEGIN IMMEDIATE ... COMMIT; answers the number
    /// of rows written after COMMIT, or the SQLite error (busy/locked
    /// classified as errc::busy) after rolling back. Either way the pieces
    /// are dropped: a retry sends its own.
    caf::replies_to<write_atom, uint64_t, write_batch,
                    commit_atom>::with<uint64_t>,
    /// checkpoint: wal_checkpoint(TRUNCATE); `busy` set when it could not
    /// complete.
    caf::replies_to<checkpoint_atom>::with<checkpoint_info>,
    /// backup(path): copies the committed database into the new file `path`
    /// (see sqlite/backup.hpp); answers the number of rows in the copy.
    caf::replies_to<backup_atom, std::string>::with<uint64_t>,
    /// list(after, limit): the committed rows with a peer greater than `after`
    /// (byte order), the `limit` smallest, sorted, as durable entries; the
    /// cursor actor overlays its marked peers to make a page of the paged
    /// `list` (page_overlay.hpp).
    caf::replies_to<list_atom, std::string,
                    uint32_t>::with<std::vector<cursor_entry>>,
    /// close: TRUNCATE checkpoint, close the connection, then terminate.
    caf::replies_to<close_atom>::with<ok_atom>>;

/// Spawns the SQLite writer for `storage` without opening anything yet; the
/// first `load` opens the file, after validating `storage` (an invalid value
/// makes `load` fail with invalid_option and the writer terminate).
/// `detached`: on its own thread (production); tests spawn it on the
/// deterministic scheduler.
writer_actor spawn_sqlite_writer(caf::actor_system& sys,
                                 const storage_options& storage, bool detached);

} // namespace cursor
