#pragma once

// The cursor database: one SQLite connection with the cursor schema and its
// cached statements. Used only by the writer actor, on one thread at a time.
// Construction either yields an opened, verified database or an error; no
// half-opened object exists.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "cursor_actor/checkpoint_info.hpp"
#include "cursor_actor/options.hpp"
#include "sqlite/statement.hpp"
#include "write_batch.hpp"

struct sqlite3;

namespace cursor::sqlite {

/// The `user_version` this build writes and the newest it reads. Version 0 is
/// a database of the Rust CursorStore (same table, no stamp) or a new file;
/// version 1 the rowid table of earlier builds; version 2 the table clustered
/// on `peer_id` (`WITHOUT ROWID`). Older files are migrated at open
/// (schema_migration.hpp).
constexpr int64_t schema_version = 2;

class database {
public:
  /// Opens `opts.db_path` (a plain path, never a URI) read-write, creating it
  /// if missing. Refuses without writing to it: a file that is not a SQLite
  /// database, a newer schema version, a `cursors` table without the
  /// reference columns, a read-only file. Then applies the journal mode,
  /// synchronous and max_page_count pragmas, and creates the v2 table or
  /// migrates an older one to it in one transaction (schema_migration.hpp:
  /// refused with nothing changed when the disk is short). SQLite's busy
  /// timeout stays 0.
  static caf::expected<database> open(const storage_options& opts);

  database(database&&) noexcept = default;
  database& operator=(database&&) noexcept = default;
  ~database();

  /// Every stored row, in table order (the cursor actor keeps them in a hash
  /// map: sorting them here would only cost an index walk at start-up).
  caf::expected<std::vector<stored_cursor>> load();

  /// Commits `batch` in one BEGIN IMMEDIATE ... COMMIT with the cached
  /// statements; rolls back on any failure. Returns the number of rows
  /// written.
  caf::expected<uint64_t> write(const write_batch& batch);

  /// The committed rows with a peer_id greater than `after` (byte order),
  /// the `limit` smallest, sorted: one range scan of the table's B-tree
  /// (clustered on peer_id). A page of the paged `list` (page_overlay.hpp).
  caf::expected<std::vector<stored_cursor>> page(const std::string& after,
                                                 uint32_t limit);

  /// With `checkpoint_every` set: counts a committed write and runs a
  /// PASSIVE checkpoint every n of them. The writer calls it after it
  /// answered the write, so the requester does not wait for it.
  void after_write();

  /// wal_checkpoint(TRUNCATE). A busy checkpoint is a result with `busy`
  /// set, not an error.
  caf::expected<checkpoint_info> checkpoint();

  /// Closes the connection (finalizing the statements first). Idempotent.
  caf::error close();

  bool is_open() const { return static_cast<bool>(db_); }

  /// The connection, for the writer's other SQLite users (sqlite/backup.hpp).
  /// Owned by this object; null when closed.
  sqlite3* handle() const { return db_.get(); }

private:
  struct closer {
    void operator()(sqlite3* db) const;
  };

  database() = default;

  static std::string context(const caf::error& err);
  caf::error exec(const char* sql, const char* what);
  caf::expected<statement> prepare(const char* sql);
  /// Checks the schema without writing; sets `current` when the table
  /// exists and the file has this build's schema version (nothing to do).
  caf::error verify_schema(bool& current);
  caf::error apply_pragmas(const storage_options& opts);
  caf::error prepare_statements();
  void rollback();

  std::unique_ptr<sqlite3, closer> db_;
  statement begin_;
  statement commit_;
  statement rollback_;
  statement upsert_;
  statement erase_;
  statement page_;
  uint64_t checkpoint_every_ = 0;
  uint64_t writes_since_checkpoint_ = 0;
};

} // namespace cursor::sqlite
