#pragma once

// The online backup: a consistent copy of the open database in a new file,
// written with SQLite's backup API. Used only by the writer actor, on its
// thread, with its own connection as the source.

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

struct sqlite3;

namespace cursor::sqlite {

/// Copies the committed content of `source` (schema `main`) into `path`.
///
/// - `path` is created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 (less by
///   the umask): an existing file or symlink is never touched and fails
///   with errc::backup_exists; a missing directory fails with
///   errc::invalid_backup_name; no permission with errc::cannot_open.
/// - The copy is one `sqlite3_backup_step(-1)`: one read transaction on
///   `source`, so it is a snapshot of what was committed when it started.
///   Changes not yet committed (a cursor actor's dirty set) are not in it.
/// - The copy is a self-contained rollback-journal file (no -wal beside
///   it); the store switches it back to WAL when it opens it. It is synced
///   (file and directory) before the function returns.
/// - Any failure removes the partial file (when it is still the file this
///   call created) and returns the error: busy/locked as errc::busy (the
///   caller may retry), other SQLite failures as errc::storage_error.
///
/// Returns the number of rows in the copy's `cursors` table.
caf::expected<uint64_t> backup_to(sqlite3* source, const std::string& path);

} // namespace cursor::sqlite
