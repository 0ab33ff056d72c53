// Schema v2 and the migration at open: from v1 and from a file written with
// the Rust store's own SQL, values kept exactly; the Rust store's SQL still
// working on a v2 file; refusals (short disk, max_page_count, a row the v2
// table refuses) that leave the file unchanged. SIGKILL during a migration
// is tested with real processes in tests/reliability/test_migration.py.

#define CAF_SUITE schema_migration

#include "sqlite/schema_migration.hpp"
#include "sqlite/database.hpp"

#include "test.hpp"

#include <filesystem>
#include <map>
#include <random>
#include <tuple>

#include <sqlite3.h>

using namespace cursor;
using cursor::sqlite::database;

namespace {

// peer -> (stream_id, updated_at, typeof(stream_id))
using dump_t
    = std::map<std::string, std::tuple<std::string, int64_t, std::string>>;

// The Rust CursorStore's statements, as reference-behaviour.md describes
// them: WAL, synchronous=NORMAL, CREATE TABLE IF NOT EXISTS, an upsert on
// peer_id, a full SELECT at open, a DELETE by peer.
constexpr const char* rust_open_sql
    = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
      "CREATE TABLE IF NOT EXISTS cursors (peer_id TEXT PRIMARY KEY, "
      "stream_id TEXT NOT NULL, updated_at INTEGER NOT NULL);";
constexpr const char* rust_upsert_sql
    = "INSERT INTO cursors (peer_id, stream_id, updated_at) VALUES (?1, ?2, "
      "?3) ON CONFLICT(peer_id) DO UPDATE SET stream_id = excluded.stream_id, "
      "updated_at = excluded.updated_at";
constexpr const char* rust_select_sql
    = "SELECT peer_id, stream_id, updated_at FROM cursors";
constexpr const char* rust_delete_sql
    = "DELETE FROM cursors WHERE peer_id = ?1";

// A connection of the test's own, closed by the destructor.
struct conn {
  sqlite3* db = nullptr;
  explicit conn(const std::string& path) { sqlite3_open(path.c_str(), &db); }
  ~conn() { sqlite3_close_v2(db); }
  void exec(const std::string& sql) {
    char* msg = nullptr;
    auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    std::string text = msg ? msg : "";
    sqlite3_free(msg);
    REQUIRE_MSG(rc == SQLITE_OK, sql + ": " + text);
  }
  // The Rust store's upsert, prepared per call as it does.
  void rust_upsert(const std::string& peer, const std::string& id, int64_t at) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE_MSG(sqlite3_prepare_v2(db, rust_upsert_sql, -1, &stmt, nullptr)
                    == SQLITE_OK,
                sqlite3_errmsg(db));
    sqlite3_bind_text(stmt, 1, peer.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 3, at);
    auto rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    REQUIRE_MSG(rc == SQLITE_DONE, sqlite3_errmsg(db));
  }
  void rust_delete(const std::string& peer) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, rust_delete_sql, -1, &stmt, nullptr);
    sqlite3_bind_text(stmt, 1, peer.c_str(), -1, SQLITE_TRANSIENT);
    auto rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    REQUIRE_MSG(rc == SQLITE_DONE, sqlite3_errmsg(db));
  }
  // Every row with the SQL the Rust store loads its cache with.
  dump_t rust_select() {
    dump_t result;
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, rust_select_sql, -1, &stmt, nullptr);
    while (sqlite3_step(stmt) == SQLITE_ROW)
      result[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))]
          = {reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)),
             sqlite3_column_int64(stmt, 2), "text"};
    sqlite3_finalize(stmt);
    return result;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    std::string result;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return result;
  }
};

// Every row with its types, read on a connection of its own.
dump_t dump(const std::string& path) {
  conn c{path};
  dump_t result;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(c.db,
                     "SELECT peer_id, stream_id, updated_at, typeof(stream_id) "
                     "FROM cursors",
                     -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW)
    result[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))]
        = {reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)),
           sqlite3_column_int64(stmt, 2),
           reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3))};
  sqlite3_finalize(stmt);
  return result;
}

struct fixture {
  test::temp_dir dir;
  storage_options opts;

  fixture() { opts.db_path = dir.file("cursors.db"); }

  database open() {
    auto db = database::open(opts);
    REQUIRE_MSG(db, render(db.error()));
    return std::move(*db);
  }

  // Writes `n` rows in random key order with the Rust store's SQL, as the
  // Rust store would (user_version 0); returns what it wrote.
  dump_t write_rust_file(size_t n, uint64_t seed = 7) {
    std::mt19937_64 rng{seed};
    dump_t expected;
    conn c{opts.db_path};
    c.exec(rust_open_sql);
    c.exec("BEGIN");
    for (size_t i = 0; i < n; ++i) {
      auto peer = "eu-west-1.node.host-" + std::to_string(rng() % 1000000000)
                  + ".example.net";
      auto id = std::to_string(1700000000000 + rng() % 1000000) + "-"
                + std::to_string(rng() % 10);
      auto at = static_cast<int64_t>(1700000000000 + rng() % 100000000);
      c.rust_upsert(peer, id, at);
      expected[peer] = {id, at, "text"};
    }
    c.exec("COMMIT");
    return expected;
  }

  std::string table_sql() {
    conn c{opts.db_path};
    return c.text("SELECT sql FROM sqlite_master WHERE name = 'cursors'");
  }

  std::string user_version() {
    conn c{opts.db_path};
    return c.text("PRAGMA user_version");
  }
};

bool clustered(const std::string& sql) {
  return sql.find("WITHOUT ROWID") != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(schema_migration_tests, fixture)

CAF_TEST(a new file gets the v2 table clustered on peer_id) {
  open();
  CAF_CHECK_EQUAL(user_version(), "2");
  CAF_CHECK(clustered(table_sql()));
}

CAF_TEST(a v1 file is migrated with every row and value identical) {
  auto expected = write_rust_file(2500);
  {
    conn c{opts.db_path};
    c.exec("PRAGMA user_version = 1");
  }
  CAF_REQUIRE(!clustered(table_sql()));
  auto db = open();
  CAF_CHECK_EQUAL(user_version(), "2");
  CAF_CHECK(clustered(table_sql()));
  CAF_CHECK(dump(opts.db_path) == expected);
  auto loaded = db.load();
  CAF_REQUIRE(loaded);
  CAF_CHECK_EQUAL(loaded->size(), expected.size());
  for (auto& row : *loaded) {
    auto i = expected.find(row.peer);
    CAF_REQUIRE(i != expected.end());
    CAF_CHECK_EQUAL(row.stream_id, std::get<0>(i->second));
    CAF_CHECK_EQUAL(row.updated_at, std::get<1>(i->second));
  }
  conn c{opts.db_path};
  CAF_CHECK_EQUAL(c.text("PRAGMA integrity_check"), "ok");
  // No leftover of the copy.
  CAF_CHECK_EQUAL(c.text("SELECT count(*) FROM sqlite_master WHERE name = "
                         "'cursors_v2'"),
                  "0");
}

CAF_TEST(a file written by the Rust store is migrated with values identical) {
  auto expected = write_rust_file(3000, 11);
  CAF_REQUIRE_EQUAL(user_version(), "0");
  {
    auto db = open();
    CAF_CHECK(db.write(write_batch{{write_op{"late.peer", "5-5", 42, false}}}));
    expected["late.peer"] = {"5-5", 42, "text"};
  }
  CAF_CHECK_EQUAL(user_version(), "2");
  CAF_CHECK(clustered(table_sql()));
  CAF_CHECK(dump(opts.db_path) == expected);
  // A second open finds nothing to do.
  auto before = test::read_file(opts.db_path);
  { open(); }
  CAF_CHECK(test::read_file(opts.db_path) == before);
}

CAF_TEST(the Rust store SQL still works on a v2 file) {
  auto expected = write_rust_file(200, 3);
  { open(); } // migrates
  CAF_REQUIRE(clustered(table_sql()));
  auto some = expected.begin()->first;
  auto other = std::next(expected.begin())->first;
  {
    // What the Rust store does at open and while it runs.
    conn c{opts.db_path};
    c.exec(rust_open_sql); // CREATE TABLE IF NOT EXISTS: a no-op
    CAF_CHECK(c.rust_select() == expected);
    c.rust_upsert(some, "1800000000000-1", 1800000000000);   // update
    c.rust_upsert("new.peer.example", "7-0", 1800000000001); // insert
    c.rust_delete(other);
    c.rust_delete("never.there"); // deleting a missing peer is no error
    expected[some] = {"1800000000000-1", 1800000000000, "text"};
    expected["new.peer.example"] = {"7-0", 1800000000001, "text"};
    expected.erase(other);
    CAF_CHECK(c.rust_select() == expected);
  }
  // And this build opens the result without another migration.
  auto db = open();
  CAF_CHECK_EQUAL(user_version(), "2");
  CAF_CHECK(dump(opts.db_path) == expected);
  CAF_CHECK_EQUAL(db.load()->size(), expected.size());
}

CAF_TEST(a short disk refuses the migration and changes nothing) {
  auto expected = write_rust_file(2000);
  auto before = test::read_file(opts.db_path);
  conn c{opts.db_path};
  sqlite::migration_options mig;
  mig.path = opts.db_path;
  uint64_t asked = 0;
  mig.free_bytes = [&](const std::string& dir) -> caf::expected<uint64_t> {
    CAF_CHECK_EQUAL(dir, this->dir.path());
    ++asked;
    return uint64_t{4096};
  };
  auto err = sqlite::upgrade_schema(c.db, mig);
  CAF_REQUIRE(err);
  CAF_CHECK_EQUAL(asked, 1u);
  CAF_CHECK(is(err, errc::storage_error));
  CHECK_MSG(render(err).find("needs about") != std::string::npos
                && render(err).find("available") != std::string::npos
                && render(err).find("nothing was changed") != std::string::npos,
            render(err));
  CAF_CHECK_EQUAL(c.text("PRAGMA user_version"), "0");
  CAF_CHECK(!clustered(table_sql()));
  CAF_CHECK(test::read_file(opts.db_path) == before);
  CAF_CHECK(dump(opts.db_path) == expected);
  // With room the same connection migrates.
  mig.free_bytes = {};
  CAF_CHECK(!sqlite::upgrade_schema(c.db, mig));
  CAF_CHECK(clustered(table_sql()));
  CAF_CHECK(dump(opts.db_path) == expected);
}

// Issue 17: through a link, the copy grows the target's file system.
CAF_TEST(the free space is measured where the file a link names lives) {
  write_rust_file(100);
  std::filesystem::create_directory(dir.file("links"));
  auto link = dir.file("links/alias.db");
  std::filesystem::create_symlink(opts.db_path, link);
  conn c{link};
  sqlite::migration_options mig;
  mig.path = link;
  std::string measured;
  mig.free_bytes = [&](const std::string& where) -> caf::expected<uint64_t> {
    measured = where;
    return uint64_t{4096};
  };
  auto err = sqlite::upgrade_schema(c.db, mig);
  CAF_REQUIRE(err);
  CAF_CHECK_EQUAL(measured, std::filesystem::canonical(dir.path()).string());
}

CAF_TEST(a max_page_count too small for the copy is refused at open) {
  auto expected = write_rust_file(3000);
  std::string pages;
  {
    conn c{opts.db_path};
    c.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    pages = c.text("PRAGMA page_count");
  }
  auto before = test::read_file(opts.db_path);
  opts.max_page_count = std::stoull(pages) + 2;
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::storage_error));
  CHECK_MSG(render(db.error()).find("max_page_count") != std::string::npos
                && render(db.error()).find(opts.db_path) != std::string::npos,
            render(db.error()));
  CAF_CHECK(test::read_file(opts.db_path) == before);
  CAF_CHECK_EQUAL(user_version(), "0");
  CAF_CHECK(dump(opts.db_path) == expected);
  // A cap with room for the copy lets it through.
  opts.max_page_count = 3 * std::stoull(pages);
  open();
  CAF_CHECK(clustered(table_sql()));
  CAF_CHECK(dump(opts.db_path) == expected);
}

CAF_TEST(a file full at the sqlite level rolls the migration back) {
  // The space check passes (no cap known to it), SQLite's cap then fails
  // the copy midway: everything is rolled back.
  auto expected = write_rust_file(3000);
  std::string pages;
  {
    conn c{opts.db_path};
    c.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    pages = c.text("PRAGMA page_count");
  }
  auto before = test::read_file(opts.db_path);
  conn c{opts.db_path};
  c.exec("PRAGMA max_page_count = " + std::to_string(std::stoull(pages) + 3));
  sqlite::migration_options mig;
  mig.path = opts.db_path; // max_page_count left 0: the check cannot see it
  auto err = sqlite::upgrade_schema(c.db, mig);
  CAF_REQUIRE(err);
  CAF_CHECK(is(err, errc::storage_error));
  CHECK_MSG(render(err).find("full") != std::string::npos, render(err));
  CAF_CHECK_EQUAL(c.text("PRAGMA user_version"), "0");
  CAF_CHECK_EQUAL(c.text("SELECT count(*) FROM sqlite_master WHERE name = "
                         "'cursors_v2'"),
                  "0");
  CAF_CHECK(dump(opts.db_path) == expected);
  c.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  CAF_CHECK(!clustered(table_sql()));
  CAF_CHECK(test::read_file(opts.db_path) == before);
}

CAF_TEST(a row the v2 table refuses fails the open and changes nothing) {
  {
    conn c{opts.db_path};
    c.exec(rust_open_sql);
    c.exec("INSERT INTO cursors VALUES ('a', '1-0', 1);"
           "INSERT INTO cursors VALUES (NULL, '2-0', 2);"
           "PRAGMA wal_checkpoint(TRUNCATE);");
  }
  auto before = test::read_file(opts.db_path);
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::corrupt_row));
  CHECK_MSG(render(db.error()).find("nothing was changed") != std::string::npos,
            render(db.error()));
  CAF_CHECK(test::read_file(opts.db_path) == before);
  CAF_CHECK_EQUAL(user_version(), "0");
}

CAF_TEST(a v2 table with an older stamp is only stamped) {
  {
    conn c{opts.db_path};
    c.exec("PRAGMA journal_mode = WAL; CREATE TABLE cursors (peer_id TEXT "
           "PRIMARY KEY, stream_id TEXT NOT NULL, updated_at INTEGER NOT "
           "NULL) WITHOUT ROWID; INSERT INTO cursors VALUES ('p', '1-1', 9);");
  }
  open();
  CAF_CHECK_EQUAL(user_version(), "2");
  CAF_CHECK((dump(opts.db_path) == dump_t{{"p", {"1-1", 9, "text"}}}));
}

CAF_TEST(a newer schema than v2 is still refused and left untouched) {
  {
    conn c{opts.db_path};
    c.exec("CREATE TABLE cursors (peer_id TEXT PRIMARY KEY, stream_id TEXT "
           "NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID; PRAGMA "
           "user_version = 3;");
  }
  auto before = test::read_file(opts.db_path);
  auto db = database::open(opts);
  CAF_REQUIRE(!db);
  CAF_CHECK(is(db.error(), errc::incompatible_schema));
  CAF_CHECK(render(db.error()).find("version 3") != std::string::npos);
  CAF_CHECK(test::read_file(opts.db_path) == before);
}

CAF_TEST_FIXTURE_SCOPE_END()
