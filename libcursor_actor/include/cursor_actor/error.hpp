#pragma once

// Every failure the cursor store reports, as a CAF error value. Errors reach
// every requester that waits on the failed operation; they carry context (the
// SQLite result code and message, the offending input) as their message.

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace cursor {

/// Error codes of the category `cursor` (the atom `cursor`). The numeric
/// values cross the wire (a client of another build reads the number): a new
/// code is appended, an existing value never changes (docs/PROTOCOL.md,
/// "Errors", lists them).
enum class errc : uint8_t {
  /// Not an error.
  none = 0,
  /// A peer ID is empty, longer than 255 bytes, not UTF-8, or holds a
  /// control character. Context: the reason. Nothing changed.
  invalid_peer_id,
  /// A stream ID is neither `0` nor `<ms>-<seq>` with two canonical unsigned
  /// 64-bit decimals. Context: the reason. Nothing changed.
  invalid_stream_id,
  /// A plain set would move a cursor backwards. Context: current and refused
  /// value. Use the forced set to move a cursor backwards on purpose.
  regression,
  /// The store was closed or is stopping: writes are refused.
  closed,
  /// SQLite stayed busy or locked through every retry attempt. The cursors
  /// stay dirty and the next flush tries again. Context: SQLite code, message,
  /// attempts.
  busy,
  /// Any other SQLite failure (I/O error, disk full, read-only, corrupt…).
  /// Never retried by the backoff. Context: SQLite code and message.
  storage_error,
  /// The database file cannot be opened (missing directory, no permission).
  cannot_open,
  /// The file exists but is not a SQLite database. It was not modified.
  not_a_database,
  /// The database's `user_version` is newer than this build understands, or
  /// its `cursors` table lacks a required column. It was not modified.
  incompatible_schema,
  /// The database file or its directory is read-only.
  read_only,
  /// A stored row holds an invalid peer or stream ID; the store refuses to
  /// start rather than silently dropping it. Context: the row.
  corrupt_row,
  /// A TRUNCATE checkpoint could not complete (readers or writers of other
  /// connections still use the WAL). Context: log and checkpointed frames.
  checkpoint_incomplete,
  /// The writer actor terminated; nothing can be persisted any more.
  writer_down,
  /// The store terminated before the request could be completed.
  stopped,
  /// An option value is out of range. Context: option name and reason.
  invalid_option,
  /// A backup file name is refused (empty, too long, a path, '..', a
  /// leading '.', a character outside [A-Za-z0-9._+@=-]), a backup path
  /// whose directory is missing, or one that is the database, a side file of
  /// it or a protected file. Context: the reason. Nothing was written.
  invalid_backup_name,
  /// The backup file exists already; backups never overwrite. Context: the
  /// name. Nothing was written.
  backup_exists,
  /// Backups are not enabled where the request arrived (a cursor_node
  /// without `node.backup-dir`). Nothing was written.
  backups_disabled,
  /// A paged `list` was refused: its limit is outside 1..100000, or 16 paged
  /// lists run already. Context: the reason. Nothing changed.
  invalid_list_request,
  /// A request forwarded to a store (by the node's front, by a remote
  /// client's link) got no answer within the forwarder's request timeout.
  /// The request may or may not have taken effect: it may still be queued
  /// or running in the store. Context: the store, the bound.
  timeout,
  /// A store behind a forwarder could not be reached, or went away before
  /// it answered (the node's store terminated; a link not connected, or
  /// whose connection was lost). Context: which. When the request was not
  /// sent (not connected) it did not take effect; when the store went away
  /// while the request waited it may or may not have.
  unavailable,
  /// A conditional set met another state than the one it expects: the
  /// cursor moved, appeared or was deleted since the caller read it.
  /// Context: the peer, the expected and the found state (`no cursor` for
  /// absent), the refused value. Nothing changed (a batch: nothing of it).
  conflict,
};

static_assert(static_cast<int>(errc::invalid_list_request) == 19
                  && static_cast<int>(errc::timeout) == 20
                  && static_cast<int>(errc::unavailable) == 21
                  && static_cast<int>(errc::conflict) == 22,
              "errc values are on the wire: append, never renumber");

/// Returns the enumerator's name, e.g. `"invalid_peer_id"`.
std::string to_string(errc code);

/// Renders any error of the `cursor` category: name plus context.
std::string render(const caf::error& err);

/// Returns whether `err` belongs to the `cursor` category and has `code`.
bool is(const caf::error& err, errc code);

} // namespace cursor

CAF_ERROR_CODE_ENUM(cursor::errc, "cursor")
