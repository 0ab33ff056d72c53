#pragma once

// The lock that keeps two stores off one database file, whatever name
// reaches it.

#include <optional>
#include <string>

namespace cursor::app {

/// An exclusive `flock` on the database file itself (its inode), held for
/// the life of the process. The lock file (lock_file) is keyed on a path; a
/// symbolic link, a hard link, `..` in the path or another `lock-file`
/// option reach the same database under another name, and two stores on
/// one file each trust their own memory. This lock cannot be bypassed that
/// way: it belongs to the file.
///
/// On Linux `flock` and SQLite's POSIX record locks are independent, so
/// readers (cursorctl export, sqlite3) are not affected. The descriptor is
/// closed only after the store closed the database (closing any descriptor
/// of a file drops the process's POSIX locks on it). Over NFS `flock` is
/// emulated with a POSIX lock: keep the database on a local file system.
class database_lock {
public:
  /// Opens `db_path` (following links: the real file is what is locked),
  /// creating it empty if missing, and locks it without waiting (see
  /// found_empty()). On failure returns nothing and sets `error` to one
  /// line; when another process holds the lock, the line names its pid if
  /// /proc/locks shows it.
  static std::optional<database_lock> acquire(const std::string& db_path,
                                              std::string& error);

  database_lock(database_lock&& other) noexcept;
  database_lock& operator=(database_lock&& other) noexcept;
  database_lock(const database_lock&) = delete;
  database_lock& operator=(const database_lock&) = delete;
  ~database_lock();

  /// Drops the lock. Call it only after the store closed the database.
  void release();

  /// True when the file was missing or empty when it was locked: it holds
  /// no database yet, and SQLite will create one, empty. (The lock creates
  /// a missing file, so this is the one place that still knows.)
  bool found_empty() const { return found_empty_; }

private:
  database_lock(int fd, bool found_empty);

  int fd_ = -1;
  bool found_empty_ = false;
};

} // namespace cursor::app
