#include "sqlite/schema_migration.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/statvfs.h>

#include "cursor_actor/error.hpp"
#include "logger.hpp"
#include "sqlite/directory_of.hpp"
#include "sqlite/result_code.hpp"
#include "sqlite/statement.hpp"

namespace cursor::sqlite {

namespace {

// Progress goes to the logger "cursor.migration" when the host registered
// one (the node does: it mutes "cursor" while opening, to report a refusal
// once itself), else to the library's logger.
std::shared_ptr<spdlog::logger> mlog() {
  if (auto l = spdlog::get("cursor.migration"))
    return l;
  return log();
}

// The columns and constraint of the reference table, clustered on the key.
constexpr const char* columns = "(peer_id TEXT PRIMARY KEY,"
                                " stream_id TEXT NOT NULL,"
                                " updated_at INTEGER NOT NULL) WITHOUT ROWID";

caf::error exec(sqlite3* db, const std::string& sql, const char* what) {
  auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    return to_error(rc, db, what);
  return caf::none;
}

caf::expected<statement> prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  auto rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK)
    return to_error(rc, db, std::string{"prepare "} + sql);
  return statement{db, raw};
}

// A one-row, one-column query: its integer (0 without a row), or its text.
caf::expected<int64_t> query_int(sqlite3* db, const char* sql) {
  auto stmt = prepare(db, sql);
  if (!stmt)
    return std::move(stmt.error());
  auto rc = stmt->step();
  if (rc == SQLITE_ROW)
    return stmt->column_int64(0);
  if (rc == SQLITE_DONE)
    return int64_t{0};
  return to_error(rc, db, sql);
}

caf::expected<std::string> query_text(sqlite3* db, const char* sql) {
  auto stmt = prepare(db, sql);
  if (!stmt)
    return std::move(stmt.error());
  auto rc = stmt->step();
  if (rc == SQLITE_ROW)
    return std::string{stmt->column_text(0)};
  if (rc == SQLITE_DONE)
    return std::string{};
  return to_error(rc, db, sql);
}

void rollback(sqlite3* db) {
  if (sqlite3_get_autocommit(db) == 0)
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
}

std::string mib(uint64_t bytes) {
  auto tenths = (bytes * 10 + (1 << 19)) >> 20;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10)
         + " MiB";
}

bool is_without_rowid(std::string sql) {
  std::transform(sql.begin(), sql.end(), sql.begin(), [](unsigned char c) {
    return static_cast<char>(std::toupper(c));
  });
  // Collapse whitespace so "WITHOUT\n  ROWID" matches too.
  std::string flat;
  for (auto c : sql)
    if (!std::isspace(static_cast<unsigned char>(c)))
      flat += c;
  return flat.find(")WITHOUTROWID") != std::string::npos;
}

caf::error stamp(sqlite3* db, const char* what) {
  return exec(db, "PRAGMA user_version = " + std::to_string(schema_v2), what);
}

// Checks, before anything is written, that the copy fits. Measured at 1M
// rows (docs/PERFORMANCE.md, section 8): the file plus its WAL peak at 2.2x
// the v1 file over it, because pages spilled from the 2 MiB page cache during
// the one big transaction are written to the WAL again when they change
// again, and the TRUNCATE checkpoint appends the new table to the file
// before it empties the WAL. Three times the live pages covers that.
caf::error check_room(const migration_options& opts, int64_t page_size,
                      int64_t pages, int64_t free_pages) {
  auto live = static_cast<uint64_t>(std::max<int64_t>(pages - free_pages, 0));
  auto needed = 3 * live * static_cast<uint64_t>(page_size) + (1u << 20);
  // The copy grows the real file: through a symbolic link, that is the
  // file system of the link's target, not of the link.
  std::unique_ptr<char, decltype(&std::free)> real{
      ::realpath(opts.path.c_str(), nullptr), &std::free};
  auto dir = directory_of(real ? std::string{real.get()} : opts.path);
  auto avail = opts.free_bytes ? opts.free_bytes(dir) : free_disk_bytes(dir);
  if (!avail)
    return std::move(avail.error());
  if (*avail < needed)
    return caf::make_error(
        errc::storage_error,
        "schema migration to v2 needs about " + mib(needed) + " free on '" + dir
            + "' (three times the "
            + mib(live * static_cast<uint64_t>(page_size))
            + " in use by the database), " + mib(*avail)
            + " available; nothing was changed: free some space and start "
              "again");
  if (opts.max_page_count > 0) {
    // The copy may reuse the free pages; the old table's pages are freed
    // only after it.
    auto after = static_cast<uint64_t>(pages) + live
                 - std::min(live, static_cast<uint64_t>(free_pages));
    if (after > opts.max_page_count)
      return caf::make_error(
          errc::storage_error,
          "schema migration to v2 needs up to " + std::to_string(after)
              + " pages, max_page_count is "
              + std::to_string(opts.max_page_count)
              + "; nothing was changed: raise max-page-count and start again");
  }
  return caf::none;
}

caf::error copy_rows(sqlite3* db, const migration_options& opts,
                     int64_t total) {
  auto select = prepare(db, "SELECT peer_id, stream_id, updated_at "
                            "FROM cursors ORDER BY peer_id");
  if (!select)
    return std::move(select.error());
  auto insert = prepare(db, "INSERT INTO cursors_v2 (peer_id, stream_id, "
                            "updated_at) VALUES (?1, ?2, ?3)");
  if (!insert)
    return std::move(insert.error());
  auto src = select->get();
  auto dst = insert->get();
  uint64_t copied = 0;
  int rc;
  while ((rc = sqlite3_step(src)) == SQLITE_ROW) {
    // bind_value copies each value with its type and bytes unchanged.
    for (int col = 0; col < 3; ++col) {
      auto brc
          = sqlite3_bind_value(dst, col + 1, sqlite3_column_value(src, col));
      if (brc != SQLITE_OK)
        return to_error(brc, db, "schema migration: bind");
    }
    auto irc = sqlite3_step(dst);
    sqlite3_reset(dst);
    if (irc != SQLITE_DONE) {
      if ((irc & 0xff) == SQLITE_CONSTRAINT)
        return caf::make_error(
            errc::corrupt_row,
            "schema migration: row " + std::to_string(copied + 1)
                + " of 'cursors' (in key order) cannot be stored in the v2 "
                  "table: "
                + sqlite3_errmsg(db) + "; nothing was changed");
      return to_error(irc, db, "schema migration: copy a row");
    }
    ++copied;
    if (opts.progress_every > 0 && copied % opts.progress_every == 0)
      mlog()->info("schema migration: copied {} of {} rows", copied, total);
  }
  if (rc != SQLITE_DONE)
    return to_error(rc, db, "schema migration: read the old table");
  if (static_cast<int64_t>(copied) != total)
    return caf::make_error(errc::storage_error, "schema migration: copied "
                                                    + std::to_string(copied)
                                                    + " rows, the table has "
                                                    + std::to_string(total));
  return caf::none;
}

caf::error migrate(sqlite3* db, const migration_options& opts,
                   int64_t from_version) {
  auto page_size = query_int(db, "PRAGMA page_size");
  auto pages = query_int(db, "PRAGMA page_count");
  auto free_pages = query_int(db, "PRAGMA freelist_count");
  for (auto* x : {&page_size, &pages, &free_pages})
    if (!*x)
      return std::move(x->error());
  if (auto err = check_room(opts, *page_size, *pages, *free_pages))
    return err;
  auto t0 = std::chrono::steady_clock::now();
  if (auto err = exec(db, "BEGIN IMMEDIATE", "schema migration: begin"))
    return err;
  auto fail = [db](caf::error err) {
    rollback(db);
    return err;
  };
  auto total = query_int(db, "SELECT count(*) FROM cursors");
  if (!total)
    return fail(std::move(total.error()));
  mlog()->info("schema migration: '{}' from version {} to {}, {} rows",
               opts.path, from_version, schema_v2, *total);
  // A leftover of an interrupted attempt cannot exist (the transaction
  // would have been rolled back), but a foreign table of that name can.
  if (auto err = exec(db, "DROP TABLE IF EXISTS cursors_v2",
                      "schema migration: drop cursors_v2"))
    return fail(std::move(err));
  if (auto err = exec(db, std::string{"CREATE TABLE cursors_v2 "} + columns,
                      "schema migration: create cursors_v2"))
    return fail(std::move(err));
  if (auto err = copy_rows(db, opts, *total))
    return fail(std::move(err));
  mlog()->info("schema migration: copied {} rows; replacing the old table",
               *total);
  if (auto err = exec(db, "DROP TABLE cursors", "schema migration: drop"))
    return fail(std::move(err));
  if (auto err = exec(db, "ALTER TABLE cursors_v2 RENAME TO cursors",
                      "schema migration: rename"))
    return fail(std::move(err));
  if (auto err = stamp(db, "schema migration: stamp"))
    return fail(std::move(err));
  if (auto err = exec(db, "COMMIT", "schema migration: commit"))
    return fail(std::move(err));
  // Fold the WAL into the file now: it holds the whole new table. Failing
  // here loses nothing (the WAL is part of the database).
  sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                            nullptr);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  mlog()->info("schema migration: '{}' is at version {} ({} rows, {} ms)",
               opts.path, schema_v2, *total, ms);
  return caf::none;
}

} // namespace

caf::expected<uint64_t> free_disk_bytes(const std::string& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0)
    return caf::make_error(errc::storage_error,
                           "schema migration: cannot read the free space of '"
                               + dir + "'");
  return static_cast<uint64_t>(st.f_bavail)
         * static_cast<uint64_t>(st.f_frsize);
}

caf::error upgrade_schema(sqlite3* db, const migration_options& opts) {
  auto version = query_int(db, "PRAGMA user_version");
  if (!version)
    return std::move(version.error());
  auto sql = query_text(db, "SELECT sql FROM sqlite_master WHERE "
                            "type = 'table' AND name = 'cursors'");
  if (!sql)
    return std::move(sql.error());
  if (sql->empty()) {
    // A new file (or one without our table): create v2 directly. IF NOT
    // EXISTS: another process may have created it since we looked.
    auto err = exec(db,
                    std::string{"BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS "
                                "cursors "}
                        + columns + "; PRAGMA user_version = "
                        + std::to_string(schema_v2) + "; COMMIT;",
                    "create schema");
    if (err)
      rollback(db);
    return err;
  }
  if (is_without_rowid(*sql)) {
    if (*version == schema_v2)
      return caf::none;
    return stamp(db, "stamp schema version");
  }
  return migrate(db, opts, *version);
}

} // namespace cursor::sqlite
