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

} // namespace cursor::sqlite
