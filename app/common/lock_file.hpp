#pragma once

// The advisory lock that keeps two stores (nodes, tailers with an embedded
// store) off one database.

#include <optional>
#include <string>

namespace cursor::app {

/// An exclusive `flock` on a lock file beside the database, holding the pid
/// of its owner; it names the holder in the refusal of a second node. The
/// database file itself is locked too (database_lock): the lock file alone
/// is keyed on a name, and another name can reach the same database. The kernel
/// drops the lock when the owner dies, so a lock file left behind by a crashed
/// node is no obstacle: only a living holder is. Move-only; releases on
/// destruction.
class lock_file {
public:
  /// Creates `path` if missing (never through a symbolic link: O_NOFOLLOW),
  /// checks that it is a regular file of ours with one link, locks it
  /// without waiting and writes our pid into it. On failure returns nothing and
  /// sets `error` to one readable line; when another process holds the lock,
  /// the line names its pid.
  static std::optional<lock_file> acquire(const std::string& path,
                                          std::string& error);

  lock_file(lock_file&& other) noexcept;
  lock_file& operator=(lock_file&& other) noexcept;
  lock_file(const lock_file&) = delete;
  lock_file& operator=(const lock_file&) = delete;
  ~lock_file();

  /// Empties the file (the pid in it would be stale) and drops the lock.
  /// The file itself stays: removing it would race with a starting node
  /// that opened it already.
  void release();

  const std::string& path() const { return path_; }

private:
  lock_file(int fd, std::string path);

  int fd_ = -1;
  std::string path_;
};

} // namespace cursor::app
