#pragma once

// Start-up checks of every file a node or tailer writes: the database, the
// files SQLite keeps beside it, the lock file and the metrics file must be
// distinct real files, whatever names, symbolic links or hard links reach
// them. Pointing one option at another's file (the metrics file at the
// database, the lock file at the WAL) would otherwise destroy cursors.

#include <string>
#include <vector>

namespace cursor::app {

/// One file the process writes, and the option that names it.
struct written_file {
  /// The option, e.g. `cursor.db-path`, as the refusal names it.
  std::string option;
  /// The path as configured.
  std::string path;
  /// Empty for the file the option names; otherwise what the file is to the
  /// option's file, e.g. "WAL file" for `<db-path>-wal`.
  std::string role;
};

/// The database file of `db_option` (at `db_path`) and the files SQLite
/// writes beside it (`-wal`, `-shm`, `-journal`), next to the path as given
/// and next to the path with every symbolic link resolved (SQLite resolves
/// them).
std::vector<written_file> database_files(const std::string& db_option,
                                         const std::string& db_path);

/// Checks that no two entries of `files` are the same file: the same path
/// after resolving symbolic links (`..`, `.`, links in the directories and
/// in the name itself), or the same existing inode (hard links). Entries of
/// the same option are not compared with each other. Returns an empty string,
/// or one line naming both options and paths.
std::string check_distinct_files(const std::vector<written_file>& files);

} // namespace cursor::app
