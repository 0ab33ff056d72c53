#pragma once

// The names a remote client may give a backup file. The store's backup
// message takes a path (a host application chooses where its copies go); a
// host that lets remote peers ask for backups must accept only a name and
// resolve it in a directory of its own, as cursor_node's front does.

#include <cstddef>
#include <string_view>

#include <caf/error.hpp>

namespace cursor {

/// The longest accepted backup file name, in bytes. Leaves room below
/// NAME_MAX (255) for the `-journal` file SQLite writes beside the copy.
constexpr size_t max_backup_name_size = 200;

/// Checks a backup file name: non-empty, at most max_backup_name_size bytes,
/// only the characters `A-Z a-z 0-9 . _ - + @ =`, no leading `.` or `-`
/// (no hidden file, nothing an operator's shell takes for an option), and
/// no `..` anywhere. So it never names a path, the directory itself or its
/// parent. Returns an empty error on success, `errc::invalid_backup_name`
/// with the reason otherwise. The name is not looked up: an existing file
/// is refused when the copy is created (exclusively).
caf::error validate_backup_name(std::string_view name);

} // namespace cursor
