#pragma once

// The typed interface of the cursor store: every message a client may send.
// A host application includes this header (or `cursor_actor/cursor_actor.hpp`,
// which adds the factory) and talks to the store only through these messages.
// Every message, its reply and its errors are listed in docs/PROTOCOL.md.
//
// The messages the store sends itself (retries, the flush timer, the slices
// of a paged list) and its writer's interface are not part of it: they live
// in the library's sources, so a published `cursor_actor` (the node's front)
// refuses them like any unknown message.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "cursor_actor/atoms.hpp"
#include "cursor_actor/checkpoint_info.hpp"
#include "cursor_actor/cursor_entry.hpp"
#include "cursor_actor/stats.hpp"

namespace cursor {

/// The cursor actor: owns peer -> stream ID in memory and the set of changes
/// not yet committed. It never blocks: every SQLite call happens in its
/// writer. Reads are answered from memory at once, also while SQLite is busy.
using cursor_actor = caf::typed_actor<
    /// set(peer, stream_id): validates both, stores the value in memory and
    /// marks it dirty (debounced; nothing is written yet). Setting the current
    /// value again changes nothing. Errors: invalid_peer_id, invalid_stream_id,
    /// regression (the value is lower than the current one), closed.
    caf::replies_to<set_atom, std::string, std::string>::with<ok_atom>,
    /// set(force, peer, stream_id): as set, but may move a cursor backwards.
    /// For operators repairing a cursor. Errors: as set, minus regression.
    caf::replies_to<set_atom, force_atom, std::string,
                    std::string>::with<ok_atom>,
    /// set(peers, stream_ids): the batched set, one message for many updates
    /// (CAF's per-message cost dominates a plain set). Entry k sets peers[k]
    /// to stream_ids[k] exactly as a sequence of plain sets in that order
    /// would (a peer may appear more than once; a later entry is checked
    /// against the earlier one), with one difference: all or nothing. If any
    /// entry would be refused, nothing changes and the error names the index
    /// of the first refused entry; otherwise every entry is applied and the
    /// reply is `ok`. An empty batch is `ok`. Errors: invalid_peer_id,
    /// invalid_stream_id (also when the two vectors differ in length),
    /// regression, closed.
    caf::replies_to<set_atom, std::vector<std::string>,
                    std::vector<std::string>>::with<ok_atom>,
    /// set(force, peers, stream_ids): the forced batched set, for operators
    /// (import --force, rewind): as the batched set, all or nothing, but an
    /// entry may move a cursor backwards. Errors: invalid_peer_id,
    /// invalid_stream_id (also when the two vectors differ in length),
    /// closed.
    caf::replies_to<set_atom, force_atom, std::vector<std::string>,
                    std::vector<std::string>>::with<ok_atom>,
    /// set(expect, peer, expected, stream_id): the conditional set, for
    /// clients that plan from what they read (cursorctl import and rewind).
    /// Applies only if the cursor is still `expected`: a stream ID, or ""
    /// for "no cursor" (unknown or deleted); then exactly as set. Otherwise
    /// refused with `conflict` naming the peer, the expected and the found
    /// state; nothing changes. The condition is checked before the
    /// regression check. Errors: invalid_peer_id, invalid_stream_id (also an
    /// invalid `expected`), conflict, regression, closed.
    caf::replies_to<set_atom, expect_atom, std::string, std::string,
                    std::string>::with<ok_atom>,
    /// set(expect, force, peer, expected, stream_id): the conditional forced
    /// set: as the conditional set, but may move the cursor backwards.
    /// Errors: as the conditional set, minus regression.
    caf::replies_to<set_atom, expect_atom, force_atom, std::string, std::string,
                    std::string>::with<ok_atom>,
    /// set(expect, peers, expected, stream_ids): the conditional batched set:
    /// entry k is the conditional set of peers[k] from expected[k] to
    /// stream_ids[k], each checked against the state the earlier entries
    /// left, all or nothing as the batched set: the first refused entry
    /// (conflict, regression) is named by its index and nothing changes.
    /// Errors: invalid_peer_id, invalid_stream_id (also when the vectors
    /// differ in length), conflict, regression, closed.
    caf::replies_to<set_atom, expect_atom, std::vector<std::string>,
                    std::vector<std::string>,
                    std::vector<std::string>>::with<ok_atom>,
    /// set(expect, force, peers, expected, stream_ids): the conditional
    /// forced batched set (cursorctl import --force, rewind). Errors: as the
    /// conditional batched set, minus regression.
    caf::replies_to<set_atom, expect_atom, force_atom, std::vector<std::string>,
                    std::vector<std::string>,
                    std::vector<std::string>>::with<ok_atom>,
    /// get(peer): the cursor, or `found == false` for an unknown peer.
    /// Errors: invalid_peer_id.
    caf::replies_to<get_atom, std::string>::with<cursor_lookup>,
    /// get(start, peer): the cursor's stream ID, or "0" for an unknown peer.
    /// Errors: invalid_peer_id.
    caf::replies_to<get_atom, start_atom, std::string>::with<std::string>,
    /// list: every cursor in memory, sorted by peer, with `durable` telling
    /// whether its current value is committed.
    caf::replies_to<list_atom>::with<std::vector<cursor_entry>>,
    /// list(after_peer, limit): one page of the list: the cursors with a peer
    /// greater than `after_peer` (byte order), the `limit` (1..100000)
    /// smallest, at most 10,000, sorted; other messages are served while it
    /// is computed. See docs/PROTOCOL.md. Errors: invalid_list_request.
    caf::replies_to<list_atom, std::string, uint32_t>::with<cursor_page>,
    /// dirty: the number of peers with a change not yet committed.
    caf::replies_to<dirty_atom>::with<uint64_t>,
    /// flush: commits every pending change in one transaction and answers with
    /// the number of rows that transaction wrote, only after COMMIT. Requests
    /// arriving together share one transaction; a request is answered once
    /// everything that was dirty when it arrived is committed. Errors: busy
    /// (after every retry; the changes stay dirty), storage_error, writer_down,
    /// stopped.
    caf::replies_to<flush_atom>::with<uint64_t>,
    /// delete(peer): removes the cursor from memory at once and from the
    /// database in the next transaction, which this request starts; answers
    /// after that COMMIT with whether the peer was known. An unknown peer is
    /// not an error. Errors: invalid_peer_id, closed, and those of flush (the
    /// delete then stays pending and a later flush retries it).
    caf::replies_to<delete_atom, std::string>::with<bool>,
    /// checkpoint: `wal_checkpoint(TRUNCATE)`, retried with backoff while busy.
    /// Errors: checkpoint_incomplete (with the frame counts), storage_error,
    /// writer_down, closed.
    caf::replies_to<checkpoint_atom>::with<checkpoint_info>,
    /// stats: counters and health.
    caf::replies_to<stats_atom>::with<cursor_stats>,
    /// backup(path): an online backup. Commits every pending change first
    /// (as flush), then has the writer copy the database with SQLite's backup
    /// API into `path`, a file that must not exist (it is created exclusively,
    /// never overwritten; its directory must exist), and answers with the
    /// number of cursors in the copy once it is complete and synced. The copy
    /// is a consistent snapshot and opens as a store. `path` is any path the
    /// process may write: a host must never let a remote peer choose it (the
    /// cursor_node's published front takes a file name only and resolves it
    /// in `node.backup-dir`; see validate_backup_name()). A `path` that is
    /// the database, its -wal, -shm or -journal, or one of
    /// `storage_options::protected_files` (links resolved) is refused with
    /// invalid_backup_name. A failed backup removes its partial file. Errors:
    /// backup_exists, invalid_backup_name (the directory is missing, or the
    /// path is one of those files), cannot_open, storage_error, busy, closed,
    /// writer_down, and those of flush.
    caf::replies_to<backup_atom, std::string>::with<uint64_t>,
    /// close: final flush, TRUNCATE checkpoint, database closed; answers with
    /// the rows the final flush wrote. Afterwards writes fail with `closed`
    /// while reads keep working. If the final flush fails, the store stays open
    /// and the error is returned, so nothing is dropped.
    caf::replies_to<close_atom>::with<uint64_t>>;

} // namespace cursor
