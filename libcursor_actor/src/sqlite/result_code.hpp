#pragma once

// The one mapping from SQLite result codes to cursor errors.

#include <string_view>

#include <caf/error.hpp>

struct sqlite3;

namespace cursor::sqlite {

/// True for SQLITE_BUSY and SQLITE_LOCKED, extended codes included
/// (517 BUSY_SNAPSHOT, 261 BUSY_RECOVERY, 262 LOCKED_SHAREDCACHE, ...): the
/// primary code is `rc & 0xff`.
bool is_busy(int rc);

/// Maps a failed result code to a cursor error whose context names `what`,
/// the code, SQLite's name for it and, when `db` is given, its message:
/// busy/locked -> errc::busy; CANTOPEN, PERM -> cannot_open; NOTADB ->
/// not_a_database; READONLY -> read_only; everything else -> storage_error.
caf::error to_error(int rc, sqlite3* db, std::string_view what);

} // namespace cursor::sqlite
