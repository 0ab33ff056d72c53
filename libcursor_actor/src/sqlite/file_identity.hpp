#pragma once

// Whether the database file a connection writes to is still the file at its
// path. A file deleted, renamed or replaced (`mv other.db cursors.db`) under
// a running store keeps accepting writes through the open descriptor: the
// rows go to an inode nobody will ever open again, and the restart finds
// nothing. The writer checks before every COMMIT it acknowledges.

#include <caf/error.hpp>

struct sqlite3;

namespace cursor::sqlite {

/// Asks SQLite's VFS (SQLITE_FCNTL_HAS_MOVED: the path is gone or names
/// another inode) whether the main database of `db` has moved since it was
/// opened. Returns `errc::storage_error` naming the path when it has, or
/// when the VFS cannot tell; otherwise no error.
caf::error check_not_moved(sqlite3* db);

/// After check_not_moved() failed: the `-wal` and `-shm` at the path still
/// belong to our (old) file, and SQLite neither checkpoints nor removes them
/// at close when the file has moved. A reader of the file now at the path
/// would see our WAL's pages over it. Checkpoints our WAL into our own file
/// and truncates it to zero (TRUNCATE), so that it shadows nothing. Best
/// effort; a busy checkpoint is left for the next failed write.
void forget_moved_wal(sqlite3* db);

} // namespace cursor::sqlite
