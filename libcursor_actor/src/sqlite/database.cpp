#include "sqlite/database.hpp"

#include <algorithm>
#include <string>

#include <sqlite3.h>

#include "cursor_actor/error.hpp"
#include "sqlite/file_identity.hpp"
#include "sqlite/foreign_file.hpp"
#include "sqlite/result_code.hpp"
#include "sqlite/schema_migration.hpp"

namespace cursor::sqlite {

namespace {

// Reads a single integer from a one-row query.
caf::expected<int64_t> query_int(sqlite3* db, const char* sql,
                                 const char* what) {
  sqlite3_stmt* raw = nullptr;
  auto rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  if (rc != SQLITE_OK)
    return to_error(rc, db, what);
  statement stmt{db, raw};
  rc = stmt.step();
  if (rc == SQLITE_ROW)
    return stmt.column_int64(0);
  if (rc == SQLITE_DONE)
    return int64_t{0};
  return to_error(rc, db, what);
}

// Steps `stmt` to its end, appending each (peer_id, stream_id, updated_at)
// row to `out`. A peer_id or stream_id that is not text is a corrupt row.
// Does not reset `stmt`.
caf::error read_cursor_rows(sqlite3* db, statement& stmt,
                            std::vector<stored_cursor>& out, const char* what) {
  int rc;
  size_t row = 0;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    ++row;
    if (stmt.column_type(0) != SQLITE_TEXT
        || stmt.column_type(1) != SQLITE_TEXT)
      return caf::make_error(errc::corrupt_row,
                             std::string{what}
                                 + ": a row of 'cursors' has a "
                                   "peer_id or stream_id that is not text (row "
                                 + std::to_string(row) + ")");
    out.push_back(stored_cursor{std::string{stmt.column_text(0)},
                                std::string{stmt.column_text(1)},
                                stmt.column_int64(2)});
  }
  if (rc != SQLITE_DONE)
    return to_error(rc, db, what);
  return caf::none;
}

} // namespace

void database::closer::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}

database::~database() {
  close();
}

caf::error database::close() {
  // Statements first: sqlite3_close refuses a connection with live statements.
  begin_ = statement{};
  commit_ = statement{};
  rollback_ = statement{};
  upsert_ = statement{};
  erase_ = statement{};
  page_ = statement{};
  if (!db_)
    return caf::none;
  auto rc = sqlite3_close(db_.get());
  if (rc != SQLITE_OK) {
    auto err = to_error(rc, db_.get(), "close");
    db_.reset(); // sqlite3_close_v2 defers the close to the last statement
    return err;
  }
  db_.release();
  return caf::none;
}

caf::expected<database> database::open(const storage_options& opts) {
  // apply_pragmas pastes journal_mode and synchronous into SQL: whoever
  // called us (spawn_sqlite_writer takes options unchecked), check them
  // here, before the file is even created.
  if (auto err = opts.validate())
    return err;
  database result;
  sqlite3* raw = nullptr;
  // SQLITE_OPEN_NOMUTEX: the connection is used by the writer only.
  // No SQLITE_OPEN_URI: the path is a plain path, '?', '#' and '%' included.
  auto flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  auto rc = sqlite3_open_v2(opts.db_path.c_str(), &raw, flags, nullptr);
  result.db_.reset(raw);
  if (rc != SQLITE_OK)
    return to_error(rc, raw, "open '" + opts.db_path + "'");
  sqlite3_extended_result_codes(raw, 1);
  // Waiting on a busy database is the cursor actor's job (backoff by delayed
  // messages); SQLite itself must fail at once.
  sqlite3_busy_timeout(raw, 0);
  if (sqlite3_db_readonly(raw, "main") == 1)
    return caf::make_error(errc::read_only, "open '" + opts.db_path
                                                + "': the file is read-only");
  // Everything up to here only read the file; verify before changing it.
  bool current = false;
  if (auto err = result.verify_schema(current))
    return caf::make_error(static_cast<errc>(err.code()),
                           "open '" + opts.db_path + "': " + context(err));
  if (auto err = result.apply_pragmas(opts))
    return caf::make_error(static_cast<errc>(err.code()),
                           "open '" + opts.db_path + "': " + context(err));
  // A file with the table and this build's version needs no write: every
  // start would otherwise commit a transaction that changes nothing. Else
  // create the v2 table or migrate v1 / Rust files (schema_migration.hpp).
  if (!current) {
    migration_options mig;
    mig.path = opts.db_path;
    mig.max_page_count = opts.max_page_count;
    if (auto err = upgrade_schema(result.db_.get(), mig))
      return caf::make_error(static_cast<errc>(err.code()),
                             "open '" + opts.db_path + "': " + context(err));
  }
  if (auto err = result.prepare_statements())
    return err;
  return result;
}

// The context of one of our errors, without its code's name: the wrapping
// error names the code once.
std::string database::context(const caf::error& err) {
  auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return render(err);
}

caf::error database::exec(const char* sql, const char* what) {
  char* msg = nullptr;
  auto rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &msg);
  sqlite3_free(msg);
  if (rc != SQLITE_OK)
    return to_error(rc, db_.get(), what);
  return caf::none;
}

caf::expected<statement> database::prepare(const char* sql) {
  sqlite3_stmt* raw = nullptr;
  auto rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &raw, nullptr);
  if (rc != SQLITE_OK)
    return to_error(rc, db_.get(), std::string{"prepare "} + sql);
  return statement{db_.get(), raw};
}

caf::error database::verify_schema(bool& current) {
  current = false;
  auto db = db_.get();
  // Reading the header is the first access: a foreign file fails here with
  // SQLITE_NOTADB, before anything was written.
  auto version = query_int(db, "PRAGMA user_version", "read user_version");
  if (!version)
    return std::move(version.error());
  if (*version > schema_version || *version < 0)
    return caf::make_error(errc::incompatible_schema,
                           "schema version " + std::to_string(*version)
                               + " is not supported (this build reads up to "
                               + std::to_string(schema_version) + ")");
  auto has_table = query_int(db,
                             "SELECT count(*) FROM sqlite_master WHERE "
                             "type = 'table' AND name = 'cursors'",
                             "read schema");
  if (!has_table)
    return std::move(has_table.error());
  if (*has_table == 0)
    return check_not_foreign(db, *version);
  for (auto column : {"peer_id", "stream_id", "updated_at"}) {
    auto sql = std::string{"SELECT count(*) FROM pragma_table_info('cursors') "
                           "WHERE name = '"}
               + column + "'";
    auto n = query_int(db, sql.c_str(), "read schema");
    if (!n)
      return std::move(n.error());
    if (*n == 0)
      return caf::make_error(errc::incompatible_schema,
                             std::string{"table 'cursors' has no column '"}
                                 + column + "'");
  }
  current = *version == schema_version;
  return caf::none;
}

caf::error database::apply_pragmas(const storage_options& opts) {
  auto db = db_.get();
  auto sql = "PRAGMA journal_mode = " + opts.journal_mode;
  sqlite3_stmt* raw = nullptr;
  auto rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  if (rc != SQLITE_OK)
    return to_error(rc, db, "set journal_mode");
  statement stmt{db, raw};
  rc = stmt.step();
  if (rc != SQLITE_ROW)
    return to_error(rc, db, "set journal_mode");
  auto mode = std::string{stmt.column_text(0)};
  if (mode != opts.journal_mode)
    return caf::make_error(errc::storage_error, "journal_mode is '" + mode
                                                    + "', not '"
                                                    + opts.journal_mode + "'");
  sql = "PRAGMA synchronous = " + opts.synchronous;
  if (auto err = exec(sql.c_str(), "set synchronous"))
    return err;
  if (opts.checkpoint_every > 0 && opts.journal_mode == "wal") {
    // The writer checkpoints between writes instead (see write()).
    if (auto err
        = exec("PRAGMA wal_autocheckpoint = 0", "set wal_autocheckpoint"))
      return err;
    checkpoint_every_ = opts.checkpoint_every;
  }
  if (opts.max_page_count > 0) {
    sql = "PRAGMA max_page_count = " + std::to_string(opts.max_page_count);
    if (auto err = exec(sql.c_str(), "set max_page_count"))
      return err;
  }
  return caf::none;
}

caf::error database::prepare_statements() {
  struct {
    statement* target;
    const char* sql;
  } table[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&upsert_, "INSERT INTO cursors (peer_id, stream_id, updated_at) "
                 "VALUES (?1, ?2, ?3) ON CONFLICT (peer_id) DO UPDATE SET "
                 "stream_id = excluded.stream_id, "
                 "updated_at = excluded.updated_at"},
      {&erase_, "DELETE FROM cursors WHERE peer_id = ?1"},
      {&page_, "SELECT peer_id, stream_id, updated_at FROM cursors "
               "WHERE peer_id > ?1 ORDER BY peer_id LIMIT ?2"},
  };
  for (auto& entry : table) {
    auto stmt = prepare(entry.sql);
    if (!stmt)
      return std::move(stmt.error());
    *entry.target = std::move(*stmt);
  }
  return caf::none;
}

void database::rollback() {
  if (db_ && sqlite3_get_autocommit(db_.get()) == 0) {
    if (rollback_.get() != nullptr)
      rollback_.run("rollback");
    else
      exec("ROLLBACK", "rollback");
  }
}

caf::expected<std::vector<stored_cursor>> database::load() {
  auto stmt = prepare("SELECT peer_id, stream_id, updated_at FROM cursors");
  if (!stmt)
    return std::move(stmt.error());
  // No reserve: the v2 table is WITHOUT ROWID, so there is no max(rowid) to
  // guess the count from (the query failed, silently, issue 18), and
  // count(*) would read the whole table once more. Growing by doubling moves
  // each row's three members about twice on average (a string move is a
  // pointer copy), a few milliseconds at 1M rows (docs/PERFORMANCE.md).
  std::vector<stored_cursor> result;
  if (auto err = read_cursor_rows(db_.get(), *stmt, result, "load cursors"))
    return err;
  return result;
}

caf::expected<std::vector<stored_cursor>>
database::page(const std::string& after, uint32_t limit) {
  std::vector<stored_cursor> result;
  auto err = page_.bind(1, after);
  if (!err)
    err = page_.bind(2, static_cast<int64_t>(limit));
  if (!err)
    err = read_cursor_rows(db_.get(), page_, result, "list page");
  page_.reset(); // also releases `after`, bound without a copy
  if (err)
    return err;
  return result;
}

caf::expected<uint64_t> database::write(const write_batch& batch) {
  if (auto err = begin_.run("begin"))
    return err;
  auto fail = [this](caf::error err) {
    rollback();
    return err;
  };
  for (auto& op : batch.ops) {
    if (op.erase) {
      if (auto err = erase_.bind(1, op.peer))
        return fail(std::move(err));
      if (auto err = erase_.run("delete"))
        return fail(std::move(err));
    } else {
      if (auto err = upsert_.bind(1, op.peer))
        return fail(std::move(err));
      if (auto err = upsert_.bind(2, op.stream_id))
        return fail(std::move(err));
      if (auto err = upsert_.bind(3, op.updated_at))
        return fail(std::move(err));
      if (auto err = upsert_.run("upsert"))
        return fail(std::move(err));
    }
  }
  // Before COMMIT: a file deleted or replaced under us would take the rows
  // to an inode nobody opens again; fail the batch, it stays dirty.
  if (auto err = check_not_moved(db_.get())) {
    rollback();
    forget_moved_wal(db_.get());
    return err;
  }
  if (auto err = commit_.run("commit"))
    return fail(std::move(err));
  return static_cast<uint64_t>(batch.ops.size());
}

void database::after_write() {
  if (checkpoint_every_ == 0 || ++writes_since_checkpoint_ < checkpoint_every_)
    return;
  writes_since_checkpoint_ = 0;
  // PASSIVE: never waits for readers or writers of other connections and
  // never fails the write that was committed already; whatever it could not
  // copy waits for the next one.
  sqlite3_wal_checkpoint_v2(db_.get(), "main", SQLITE_CHECKPOINT_PASSIVE,
                            nullptr, nullptr);
}

caf::expected<checkpoint_info> database::checkpoint() {
  int log = 0;
  int done = 0;
  auto rc = sqlite3_wal_checkpoint_v2(db_.get(), "main",
                                      SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  writes_since_checkpoint_ = 0;
  checkpoint_info result;
  result.log_frames = log;
  result.checkpointed_frames = done;
  if (is_busy(rc)) {
    result.busy = true;
    return result;
  }
  if (rc != SQLITE_OK)
    return to_error(rc, db_.get(), "checkpoint");
  return result;
}

} // namespace cursor::sqlite
