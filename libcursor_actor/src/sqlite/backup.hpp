#pragma once

// The online backup: a consistent copy of the open database in a new file,
// written with SQLite's backup API. Used only by the writer actor, on its
// thread, with its own connection as the source.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

struct sqlite3;

namespace cursor::sqlite {

/// Copies the committed content of `source` (schema `main`) into `path`.
///
/// - `path` may not name the database or a file SQLite keeps beside it
///   (`-wal`, `-shm`, `-journal`, next to the name SQLite opened and next to
///   that name with its links resolved), nor one of `protected_files` (a
///   host's lock and metrics files, the database path as configured). The
///   comparison resolves the directory of each (`..`, symbolic links, a
///   directory that is a link to another; by device and inode) and compares
///   the last names; an existing `path` that is one of those files under
///   another name (a hard link) is refused too. Such a backup would be
///   adopted by SQLite as the live database's journal or WAL, or destroyed
///   as a hot journal at the next open. Refused with
///   errc::invalid_backup_name, nothing written.
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
caf::expected<uint64_t>
backup_to(sqlite3* source, const std::string& path,
          const std::vector<std::string>& protected_files = {});

/// `db` and the names SQLite derives from it for its side files: `db-wal`,
/// `db-shm`, `db-journal`.
std::vector<std::string> database_side_files(const std::string& db);

} // namespace cursor::sqlite
