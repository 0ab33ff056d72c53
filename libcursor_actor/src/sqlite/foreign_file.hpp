#pragma once

// Recognising the SQLite file of another application before writing to it.

#include <cstdint>

#include <caf/error.hpp>

struct sqlite3;

namespace cursor::sqlite {

/// For a file without a `cursors` table: returns `errc::incompatible_schema`
/// when it holds anything else (tables, views, indexes, triggers), or has a
/// `user_version` (`version`) or `application_id` set, since it then
/// belongs to another application and adopting it (adding a table, stamping
/// the version, switching it to WAL) would change someone else's file. The
/// context names what was found. Only reads.
caf::error check_not_foreign(sqlite3* db, int64_t version);

} // namespace cursor::sqlite
