#pragma once

// Schema v2 and the migration to it at open.
//
// v2 keeps the reference table's columns and constraint but clusters the
// rows on `peer_id` (`WITHOUT ROWID`): a sorted flush walks one B-tree
// instead of the primary-key index plus the rowid table, and every row is
// stored once instead of its key twice. The Rust CursorStore's own SQL
// (`CREATE TABLE IF NOT EXISTS`, its upsert on `peer_id`, `SELECT`, `DELETE`)
// works unchanged on a v2 file (tests/unit/schema_migration.cpp).
//
// Used by `database::open` only, on the writer's connection, before any
// statement is prepared.

#include <cstdint>
#include <functional>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

struct sqlite3;

namespace cursor::sqlite {

/// The `user_version` of schema v2.
constexpr int64_t schema_v2 = 2;

/// Knobs of the migration; the defaults are what `database::open` uses.
struct migration_options {
  /// The database's path (for the free-space check and the log).
  std::string path;
  /// `max_page_count` of the connection (0: no cap), checked like the disk.
  uint64_t max_page_count = 0;
  /// One info log line per this many copied rows.
  uint64_t progress_every = 100000;
  /// Free bytes available to the file system holding `dir`, the directory
  /// of `path` with its symbolic links resolved. Empty: statvfs
  /// (`f_bavail * f_frsize`). Tests inject a small figure.
  std::function<caf::expected<uint64_t>(const std::string& dir)> free_bytes;
};

/// Brings an opened database whose schema `verify_schema` accepted to v2:
/// - no `cursors` table: creates the v2 table and stamps `user_version` 2;
/// - a `WITHOUT ROWID` table with an older stamp: stamps it;
/// - a rowid table (v1, or version 0 written by the Rust store): checks
///   that the copy fits (3x the bytes in use free on disk; `max_page_count`),
///   then in ONE `BEGIN IMMEDIATE` transaction creates `cursors_v2`, copies
///   every row in key order with its values unchanged (one log line per
///   `progress_every` rows), drops `cursors`, renames `cursors_v2` and
///   stamps `user_version` 2; then truncates the WAL.
/// Progress is logged at info level to the spdlog logger "cursor.migration"
/// if the host registered one, else to the library's logger "cursor".
/// A crash at any point leaves the old file or the new one: SQLite commits
/// the transaction atomically. On any failure the transaction is rolled
/// back and the file is unchanged. Errors: `storage_error` (no room:
/// context names the bytes needed and available; SQLITE_FULL; I/O),
/// `busy` (another connection holds the lock), `corrupt_row` (a row the
/// v2 table refuses, e.g. a NULL `peer_id`).
caf::error upgrade_schema(sqlite3* db, const migration_options& opts);

/// Free bytes for unprivileged users on the file system holding `dir`.
caf::expected<uint64_t> free_disk_bytes(const std::string& dir);

} // namespace cursor::sqlite
